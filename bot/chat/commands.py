"""Every chat command in one table: whose it is, its line in Telegram's menu, and the domain entry it calls.

The Telegram handlers (``bot.telegram``), the command menu (``set_my_commands``), the terminal sandbox and /help
read this table; nothing else lists commands. Each entry takes ``(session, env, person, args)`` and returns replies.
Each role's /help (and the facilitator's and researcher's /start greeting) is rendered from the ``help`` lines
here (``help_text``), so a command added to the table is in /help with no other edit. The rendering is here, in
chat, rather than in core: core may not import chat, so core's answers leave the list out and chat adds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlmodel import Session

from bot.chat import circles as circle_chat
from bot.chat import research as chat_research
from bot.chat import student
from bot.core import roles
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator, facilitator_announce, facilitator_dialogue
from bot.core.replies import Reply
from bot.core.safety import safeguarding
from bot.core.templates import escape
from bot.research import access, chat_exemplar, web_access
from bot.research import chat as research_chat

STUDENT, FACILITATOR, RESEARCHER, STAFF = "student", "facilitator", "researcher", "staff"
Entry = Callable[..., list[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str  # without the slash
    role: str  # STUDENT, FACILITATOR, RESEARCHER or STAFF (facilitators, the safeguarding lead, admins)
    entry: Entry  # (session, env, person, args) -> replies; the domain checks the role
    menu: str | None = None  # its line in Telegram's command menu (students' commands only)
    sandbox: bool = True  # offered by the terminal sandbox too
    background: bool = False  # Telegram runs it without holding up other updates (its own handler)
    # its lines in its role's /help, each in full ("/preview N — …"); None: "/name — " and the menu line
    help: tuple[str, ...] | None = None
    # its line in other roles' /help, for a command of one role another uses too (a facilitator's /pause 3)
    also_help: tuple[tuple[str, str], ...] = ()


def _student(name: str) -> Entry:
    def entry(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
        return student.command(session, env, person, name, args)

    entry.__name__ = entry.__qualname__ = f"student_{name}"
    return entry


def _send_now(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    return facilitator.send_now(session, env, person, args)[0]


def _circle(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    return circle_chat.command(session, env, person, args, chat_id=person.telegram_id, message_id=0)


def _cohorts(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    replies = facilitator.cohorts(session, env, person, args)
    if not facilitator.my_cohorts(session, env, person):
        return replies  # a refusal, or "no cohorts yet" with its pointer to /newcohort
    return with_help(replies, facilitator_help(session, env, person))


def with_help(replies: list[Reply], role_help: list[Reply]) -> list[Reply]:
    """An answer with a role's commands at the end of its last message (one message, as users know it)."""
    if not replies or not role_help:
        return [*replies, *role_help]
    return [*replies[:-1], replace(replies[-1], text=f"{replies[-1].text}\n\n{role_help[0].text}"), *role_help[1:]]


def _help(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    return help_command(session, env, person)


def _spec(name: str, role: str, entry: Entry | None = None, menu: str | None = None, *,
          help: str | tuple[str, ...] | None = None, also_help: tuple[tuple[str, str], ...] = (),
          **kw: bool) -> CommandSpec:
    lines = (help,) if isinstance(help, str) else help
    return CommandSpec(name, role, entry or _student(name), menu, help=lines, also_help=also_help, **kw)


FACILITATORS_PAUSE = "/pause and /resume — stop and restart a cohort's prompts"


COMMANDS: tuple[CommandSpec, ...] = (
    # the students', in the order of Telegram's menu and of their /help
    _spec("status", STUDENT, menu="Your cohort, this week, what comes next"),
    _spec("reflect", STUDENT, menu="Start this week's reflection now"),
    _spec("skip", STUDENT, menu="Skip the current question"),
    _spec("done", STUDENT, menu="End this week's reflection early"),
    # with a cohort's id: a facilitator's pause
    _spec("pause", STUDENT, menu="Pause your weekly prompts", help="/pause and /resume — stop and restart your weekly "
          "prompts", also_help=((FACILITATOR, FACILITATORS_PAUSE),)),
    _spec("resume", STUDENT, menu="Resume your weekly prompts", help=()),  # in /pause's line
    _spec("consent", STUDENT, menu="See or change your choices", help="/consent — see or change your two choices"),
    _spec("mydata", STUDENT, menu="A file of everything held about you"),
    _spec("delete", STUDENT, menu="Erase your data"),
    _spec("withdraw", STUDENT, menu="Leave the cohort"),
    # Telegram routes /circle to bot/telegram/circles.py (it also takes typed posts); the sandbox has no circles
    _spec("circle", STUDENT, _circle, menu="Your Balint circle", sandbox=False,
          help="/circle — your Balint circle, if your cohort runs them"),
    _spec("help", STUDENT, _help, menu="What I can do", help="/help — this list"),  # every role's, for its holders
    # the facilitator's console, in the order of their /help
    _spec("cohorts", FACILITATOR, _cohorts, help="/cohorts — your cohorts, their students and next prompt"),
    _spec("newcohort", FACILITATOR, facilitator_dialogue.new_cohort, help="/newcohort — set up a cohort, step by step"),
    _spec("schedule", FACILITATOR, facilitator_dialogue.schedule, help="/schedule — see or change a cohort's schedule"),
    _spec("preview", FACILITATOR, facilitator.preview, help="/preview N — week N's prompt as students see it"),
    _spec("sendnow", FACILITATOR, _send_now, background=True, help="/sendnow N — send week N's prompt now"),
    _spec("announce", FACILITATOR, facilitator_announce.announce,
          help="/announce — a message to every consented student"),
    _spec("stats", FACILITATOR, facilitator.show_stats, help="/stats — participation per week, with a chart"),
    _spec("cancel", FACILITATOR, facilitator_dialogue.cancel,
          help="/cancel — stop a step-by-step setup or announcement; nothing is changed"),
    # coding in chat (a researcher's /skip defers to the student's when a reflection is open)
    _spec("code", RESEARCHER, research_chat.code_command,
          help=("/code — the next reflection assigned to you (put-aside ones come back last)",
                "/code 7 — open item #7, when it is one of yours")),
    _spec("memo", RESEARCHER, research_chat.memo_command,
          help="/memo — a note on the item in front of you, or on a code (<code>/memo Code name: note</code>)"),
    _spec("exemplar", RESEARCHER, chat_exemplar.exemplar_command, sandbox=False,
          help="/exemplar — mark the passage you coded last as an exemplar (<code>/exemplar undo</code> takes "
               "it off)"),
    _spec("skip", RESEARCHER, chat_research.skip_command, help="/skip — put the item aside for later"),
    _spec("progress", RESEARCHER, research_chat.progress_command,
          help="/progress — how far you and the round have got"),
    _spec("web", RESEARCHER, web_access.web_command, sandbox=False,
          help="/web — a one-time sign-in link to the web workbench"),
    # safeguarding staff (no /help of their own: the alert they answer says how)
    _spec("ack", STAFF, safeguarding.ack_command, help="/ack N — take on safeguarding alert N"),
)

# each role's /help around its command lines: (title, closing lines)
HELP_FRAME = {
    STUDENT: ("<b>What I can do</b>",
              "\nEach week's conversation has five short questions: the encounter, what you felt, what the patient "
              "may have felt, what went on between you, and what you take away. There are no right answers."),
    FACILITATOR: ("<b>Facilitator commands</b>",
                  "With several cohorts, add the cohort's id: /stats 3, /preview 2 3, /pause 3.\n"
                  "You see participation, never what a student wrote."),
    RESEARCHER: ("<b>Researcher commands</b>",
                 "To code a passage, select it in the item, choose Reply (quote) and send the code's name.\n"
                 "You see pseudonyms and redacted text only, never who wrote it."),
}


def help_lines(role: str) -> list[str]:
    """A role's command lines for /help, in the table's order (then other roles' commands it uses too)."""
    lines: list[str] = []
    for spec in COMMANDS:
        if spec.role != role:
            continue
        if spec.help is not None:
            lines += spec.help
        else:  # a command added with no help line of its own still shows up, with its menu line
            menu = f" — {spec.menu[0].lower()}{spec.menu[1:]}" if spec.menu else ""
            lines.append(f"/{spec.name}{menu}")
    lines += [line for spec in COMMANDS for other, line in spec.also_help if other == role]
    return lines


def help_text(role: str) -> str:
    """A role's /help text: its title, one line per command, its closing lines."""
    title, closing = HELP_FRAME[role]
    return "\n".join([title, *help_lines(role), closing])


def facilitator_help(session: Session, env: Env, person: Person) -> list[Reply]:
    """The facilitator commands, for /help and /start — only to someone who facilitates."""
    return [Reply(help_text(FACILITATOR))] if roles.is_facilitator(session, env, person) else []


def researcher_help(session: Session, env: Env, person: Person) -> list[Reply]:
    """The researcher commands with the studies they research, for /help and /start — only to a researcher."""
    studies = access.studies_of(session, env, person)
    if not studies:
        return []
    names = ", ".join(f"<b>{escape(s.name)}</b>" for s in studies)
    return [Reply(f"{help_text(RESEARCHER)}\nYour studies: {names}.")]


def role_help(session: Session, env: Env, person: Person) -> list[Reply]:
    """The facilitator's and the researcher's commands, for whoever holds those roles."""
    return [*facilitator_help(session, env, person), *researcher_help(session, env, person)]


def help_command(session: Session, env: Env, person: Person) -> list[Reply]:
    """/help: each role's commands, for whoever holds it (the students' only to a student, or to nobody else)."""
    roles_help = role_help(session, env, person)
    if roles_help and not student.is_student(session, person):
        return [*roles_help, Reply("Joining a cohort as a student? Open its invite link or type its code; "
                                   "/help then lists the students' commands too.")]
    return [Reply(help_text(STUDENT)), *roles_help]


def of_role(*roles: str) -> dict[str, CommandSpec]:
    """The commands of these roles by name, role by role (the first role's spec wins a name two roles share)."""
    found: dict[str, CommandSpec] = {}
    for role in roles:
        for spec in COMMANDS:
            if spec.role == role:
                found.setdefault(spec.name, spec)
    return found


def entries(*roles: str, sandbox: bool = False) -> dict[str, Entry]:
    """Name → entry for these roles (``sandbox``: only what the terminal sandbox offers)."""
    return {name: spec.entry for name, spec in of_role(*roles).items() if spec.sandbox or not sandbox}


def menu() -> list[tuple[str, str]]:
    """Telegram's command menu: (command, description), in order."""
    return [(spec.name, spec.menu) for spec in COMMANDS if spec.menu is not None]
