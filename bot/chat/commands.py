"""Every chat command in one table: whose it is, its line in Telegram's menu, and the domain entry it calls.

The Telegram handlers (``bot.telegram``), the command menu (``set_my_commands``) and the terminal sandbox read
this table; nothing else lists commands. Each entry takes ``(session, env, person, args)`` and returns replies.
The /help texts stay beside their role's code (``core.status.HELP``, ``core.facilitator.HELP``,
``research.access.HELP``, shown by core too); ``tests/test_commands.py`` checks they name only commands here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.chat import circles as circle_chat
from bot.chat import research as chat_research
from bot.chat import student
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator, facilitator_announce, facilitator_dialogue
from bot.core.replies import Reply
from bot.core.safety import safeguarding
from bot.research import chat as research_chat
from bot.research import chat_exemplar, web_access

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


def _student(name: str) -> Entry:
    def entry(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
        return student.command(session, env, person, name, args)

    entry.__name__ = entry.__qualname__ = f"student_{name}"
    return entry


def _send_now(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    return facilitator.send_now(session, env, person, args)[0]


def _circle(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    return circle_chat.command(session, env, person, args, chat_id=person.telegram_id, message_id=0)


def _spec(name: str, role: str, entry: Entry | None = None, menu: str | None = None, **kw: bool) -> CommandSpec:
    return CommandSpec(name, role, entry or _student(name), menu, **kw)


COMMANDS: tuple[CommandSpec, ...] = (
    # the students', in the order of Telegram's menu
    _spec("status", STUDENT, menu="Your cohort, this week, what comes next"),
    _spec("reflect", STUDENT, menu="Start this week's reflection now"),
    _spec("skip", STUDENT, menu="Skip the current question"),
    _spec("done", STUDENT, menu="End this week's reflection early"),
    _spec("pause", STUDENT, menu="Pause your weekly prompts"),  # with a cohort's id: a facilitator's pause
    _spec("resume", STUDENT, menu="Resume your weekly prompts"),
    _spec("consent", STUDENT, menu="See or change your choices"),
    _spec("mydata", STUDENT, menu="A file of everything held about you"),
    _spec("delete", STUDENT, menu="Erase your data"),
    _spec("withdraw", STUDENT, menu="Leave the cohort"),
    # Telegram routes /circle to bot/telegram/circles.py (it also takes typed posts); the sandbox has no circles
    _spec("circle", STUDENT, _circle, menu="Your Balint circle", sandbox=False),
    _spec("help", STUDENT, menu="What I can do"),  # every role's commands, for whoever holds the role
    # the facilitator's console
    _spec("cohorts", FACILITATOR, facilitator.cohorts),
    _spec("newcohort", FACILITATOR, facilitator_dialogue.new_cohort),
    _spec("schedule", FACILITATOR, facilitator_dialogue.schedule),
    _spec("preview", FACILITATOR, facilitator.preview),
    _spec("announce", FACILITATOR, facilitator_announce.announce),
    _spec("stats", FACILITATOR, facilitator.show_stats),
    _spec("cancel", FACILITATOR, facilitator_dialogue.cancel),
    _spec("sendnow", FACILITATOR, _send_now, background=True),
    # coding in chat (a researcher's /skip defers to the student's when a reflection is open)
    _spec("code", RESEARCHER, research_chat.code_command),
    _spec("memo", RESEARCHER, research_chat.memo_command),
    _spec("exemplar", RESEARCHER, chat_exemplar.exemplar_command, sandbox=False),
    _spec("skip", RESEARCHER, chat_research.skip_command),
    _spec("progress", RESEARCHER, research_chat.progress_command),
    _spec("web", RESEARCHER, web_access.web_command, sandbox=False),  # a one-time sign-in link to the workbench
    # safeguarding staff
    _spec("ack", STAFF, safeguarding.ack_command),
)


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
