"""Who may do what: every command and every button, by every role, on one real database.

Roles: the student (Alice, cohort A, in the study), a facilitator of A, a facilitator of another cohort (B), a
researcher of the study, an admin, and a stranger. Commands that act on a cohort are given cohort A.

The commands come from the handlers ``build_application`` registers, so a new command fails this test until
it has a row in ``COMMANDS``; the buttons come from the ``Action`` enum, likewise. Refused means one of the
refusal texts; for buttons, a press by anyone not allowed must leave every table as it was (audit aside) and
say nothing beyond a toast. A few of the same exchanges then run through the real Application and the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select
from telegram.ext import CommandHandler

from bot.chat import circles as circle_chat
from bot.chat import student
from bot.chat.buttons import press
from bot.core import actions, roles
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator, facilitator_announce
from bot.core.replies import CallbackOutcome, Reply
from bot.core.safety import safeguarding
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.devtools.emulator import BotAPIEmulator
from bot.research import codebook, coding
from bot.research import queue as research_queue
from bot.research.access import NOT_A_RESEARCHER
from bot.telegram import circles, facilitator_handlers, handlers, research_handlers, safety_handlers
from bot.telegram.app import build_application
from storage import repo
from storage.db import Database
from storage.facilitator_models import Announcement
from storage.models import Cohort, Enrolment, ReflectionSession, Role, Study
from storage.research_models import Assignment, ResearchCode
from storage.safety_models import CheckIn, SafeguardingAlert
from tests.support.botharness import running_bot
from tests.support.factories import DomainChat, send_week
from tests.support.research_support import RESEARCHER_A, next_week, reflect, researchers, review_all, run_intake, seed

STUDENT = Person(telegram_id=1001, first_name="Alice", username="alice")
FAC_A = Person(telegram_id=2001, first_name="Fran")
FAC_B = Person(telegram_id=2003, first_name="Otto")
RESEARCHER = RESEARCHER_A
ADMIN = Person(telegram_id=4001, first_name="Ada")
STRANGER = Person(telegram_id=5005, first_name="Sam")
ROLES = {
    "student": STUDENT,
    "facilitator": FAC_A,
    "other facilitator": FAC_B,
    "researcher": RESEARCHER,
    "admin": ADMIN,
    "stranger": STRANGER,
}
EVERYONE = frozenset(ROLES)
COHORT_STAFF = frozenset({"facilitator", "admin"})
REFUSALS = (roles.REFUSAL, NOT_A_RESEARCHER, safeguarding.NOT_ALLOWED)
SECRET = "the registrar's hands were shaking as he told the family"
WEEK_ONE = [
    SECRET,
    "Small and frightened.",
    "Perhaps angry at being kept waiting.",
    "Silence between us.",
    "Stay longer in the room.",
]


@dataclass
class World:
    db: Database
    env: Env
    cohort_a: Cohort
    cohort_b: Cohort
    enrolment_id: int
    user_id: int
    open_week_id: int
    alert_id: int
    item_id: int
    code_id: int
    announcement_id: int
    check_in_id: int

    def fill(self, args: str) -> str:
        return args.format(A=self.cohort_a.id, alert=self.alert_id)


@pytest.fixture
def world(db: Database, research_env: Env, study_cohort: Cohort, clock) -> World:
    env = research_env
    env.admin_ids = frozenset({ADMIN.telegram_id})
    cohort_b = db.call(create_cohort, CohortIn(name="GP Spring", start_date=study_cohort.start_date))
    for person, cohort in ((FAC_A, study_cohort), (FAC_B, cohort_b)):
        db.call(
            lambda s, p=person, c=cohort: repo.grant_role(
                session=s, telegram_id=p.telegram_id, role=Role.FACILITATOR, cohort_id=c.id
            )
        )
    alice = DomainChat(db, env, STUDENT)
    alice.join_and_consent(study_cohort.invite_code)
    reflect(db, env, study_cohort, [alice], texts=WEEK_ONE)
    run_intake(db, env)
    researchers(db, env)
    seed(db, env)
    review_all(db, env)

    def assign(session: Session) -> tuple[int, int]:
        study = session.exec(select(Study)).one()
        rnd = codebook.open_round(session, study.id)
        coding.assign(session, env, study, rnd, actor="lead")
        mine = session.exec(select(Assignment).where(Assignment.coder_id == 1)).first()
        return mine.item_id, session.exec(select(ResearchCode)).first().id

    item_id, code_id = db.call(assign)
    alice.say("I want to die")  # no reflection open: kept waiting, and an alert goes to Fran
    next_week(clock)
    send_week(db, env, study_cohort, 2)

    def ids(session: Session) -> tuple[int, int, int, int]:
        enrolment = session.exec(select(Enrolment).where(Enrolment.cohort_id == study_cohort.id)).one()
        rs = session.exec(select(ReflectionSession).where(ReflectionSession.week == 2)).one()
        alert = session.exec(select(SafeguardingAlert)).one()
        return enrolment.id, enrolment.user_id, rs.id, alert.id

    enrolment_id, user_id, week_id, alert_id = db.call(ids)
    db.call(facilitator_announce.announce, env, FAC_A, f"{study_cohort.id} Hello everyone, see you on Friday.")
    announcement_id = db.call(lambda s: s.exec(select(Announcement)).one().id)

    def ask(session: Session) -> int:
        row = CheckIn(user_id=user_id, rule="warning.hopeless")
        session.add(row)
        session.flush()
        return row.id

    return World(
        db,
        env,
        study_cohort,
        cohort_b,
        enrolment_id,
        user_id,
        week_id,
        alert_id,
        item_id,
        code_id,
        announcement_id,
        db.call(ask),
    )


# --- commands ---------------------------------------------------------------------------------------------

# command -> (arguments, the roles it answers; everyone else is refused)
COMMANDS: dict[str, tuple[str, frozenset[str]]] = {
    "start": ("", EVERYONE),
    "help": ("", EVERYONE),
    "status": ("", EVERYONE),
    "consent": ("", EVERYONE),
    "reflect": ("", EVERYONE),
    "skip": ("", EVERYONE),  # the student's skip, or the researcher's when no reflection is open
    "mydata": ("", EVERYONE),  # everyone gets their own data, or hears nothing is held
    "delete": ("", EVERYONE),  # asks first; only ever about the sender
    "withdraw": ("", EVERYONE),
    "circle": ("", EVERYONE),  # a member's own circle, or "you're not in a circle"
    "pause": ("{A}", COHORT_STAFF),
    "resume": ("{A}", COHORT_STAFF),
    "cohorts": ("", frozenset({"facilitator", "other facilitator", "admin"})),
    "newcohort": ("", frozenset({"facilitator", "other facilitator", "admin"})),
    "cancel": ("", EVERYONE),
    "schedule": ("{A}", COHORT_STAFF),
    "preview": ("1 {A}", COHORT_STAFF),
    "sendnow": ("2 {A}", COHORT_STAFF),
    "announce": ("{A} Reminder: group on Friday.", COHORT_STAFF),
    "stats": ("{A}", COHORT_STAFF),
    "code": ("", frozenset({"researcher", "admin"})),
    "memo": ("A first thought.", frozenset({"researcher", "admin"})),
    "exemplar": ("", frozenset({"researcher", "admin"})),
    "progress": ("", frozenset({"researcher", "admin"})),
    "web": ("", frozenset({"researcher", "admin"})),  # a one-time sign-in link to the web workbench
    "ack": ("{alert}", COHORT_STAFF),
    "done": ("", EVERYONE),  # last: it closes the student's week
}


def registered_commands(db: Database) -> dict[str, Callable[..., Any]]:
    """Every command the real Application answers, with the handler callback that answers it."""
    from bot.config import Settings

    settings = Settings(_env_file=None, telegram_bot_token="123456:TEST", database_url=db.url)  # type: ignore[call-arg]
    app = build_application(settings, db, Env(research=research_queue))
    found: dict[str, Callable[..., Any]] = {}
    for group in app.handlers.values():
        for h in group:
            if isinstance(h, CommandHandler):
                for name in h.commands:
                    found.setdefault(name, h.callback)  # the first registered handler wins, as in PTB
    return found


def domain_call(name: str, callback: Callable[..., Any]) -> Callable[[Session, Env, Person, str], list[Reply]]:
    """The domain function a command's handler calls."""
    if callback is handlers.start:
        return lambda s, env, p, args: student.start(s, env, p, args or None)
    if callback is handlers.student_command:
        return lambda s, env, p, args: student.command(s, env, p, name, args)
    if callback is facilitator_handlers.command:
        return facilitator_handlers.COMMANDS[name]
    if callback is facilitator_handlers.send_now:
        return lambda s, env, p, args: facilitator.send_now(s, env, p, args)[0]
    if callback is research_handlers.command:
        return research_handlers.COMMANDS[name]
    if callback is safety_handlers.ack:
        return safeguarding.ack_command
    if callback is circles.circle_command:
        return lambda s, env, p, args: circle_chat.command(s, env, p, args, chat_id=p.telegram_id, message_id=0)
    raise AssertionError(f"/{name} is handled by {callback.__qualname__}: add its domain function to domain_call")


def refused(replies: list[Reply]) -> bool:
    return any(r.text in REFUSALS for r in replies)


def test_every_registered_command_is_in_the_matrix(db):
    assert set(registered_commands(db)) == set(COMMANDS)


def test_every_command_by_every_role(world: World):
    registered = registered_commands(world.db)
    seen: dict[tuple[str, str], list[Reply]] = {}
    for name, (args, allowed) in COMMANDS.items():
        call = domain_call(name, registered[name])
        for role, person in ROLES.items():
            replies = world.db.call(call, world.env, person, world.fill(args))
            seen[name, role] = replies
            assert replies, f"/{name} by the {role} got no answer"
            if role in allowed:
                assert not refused(replies), f"/{name} by the {role} was refused: {replies[0].text[:80]}"
            else:
                assert refused(replies), f"/{name} by the {role} was not refused: {replies[0].text[:80]}"
    for (name, role), replies in seen.items():
        shown = " ".join(
            r.text + (r.attachment.content.decode(errors="ignore") if r.attachment else "") for r in replies
        )
        if role not in ("student", "researcher"):
            assert SECRET not in shown, f"/{name} showed the {role} what the student wrote"
        if role == "researcher":
            assert "Alice" not in shown, f"/{name} showed the researcher the student's name"
    # what others are told is about themselves: cohort A is never named to them
    for (name, role), replies in seen.items():
        if role in ("other facilitator", "stranger"):
            assert not any("Psychiatry Jan 2026" in r.text for r in replies), f"/{name} named cohort A to the {role}"
    for role, person in ROLES.items():  # /mydata is always the sender's own
        attachment = seen["mydata", role][0].attachment
        assert attachment is not None
        data = json.loads(attachment.content)
        assert data["user"]["telegram_id"] == person.telegram_id
        assert bool(data["reflections"]) == (role == "student")


# --- buttons ----------------------------------------------------------------------------------------------

STUDENT_ONLY = frozenset({"student"})
# action -> (its arguments in the world, the roles it is for)
BUTTONS: dict[Action, tuple[Callable[[World], tuple[int, ...]], frozenset[str]]] = {
    Action.CONSENT_PARTICIPATE: (lambda w: (w.enrolment_id, 1), STUDENT_ONLY),
    Action.CONSENT_RESEARCH: (lambda w: (w.enrolment_id, 1), STUDENT_ONLY),
    Action.WITHDRAW: (lambda w: (w.enrolment_id, 0), STUDENT_ONLY),
    Action.NO_ENCOUNTER: (lambda w: (w.open_week_id,), STUDENT_ONLY),
    Action.START_WITH_PENDING: (lambda w: (w.enrolment_id, 0), STUDENT_ONLY),
    Action.DELETE: (lambda w: (w.user_id, 0), STUDENT_ONLY),
    Action.ACK_ALERT: (lambda w: (w.alert_id,), COHORT_STAFF),
    Action.CODE_TOGGLE: (lambda w: (w.item_id, w.code_id), frozenset({"researcher"})),
    Action.CODE_SEGMENT: (lambda w: (w.item_id, w.code_id), frozenset({"researcher"})),
    Action.CODE_DONE: (lambda w: (w.item_id,), frozenset({"researcher"})),
    Action.SCHEDULE: (lambda w: (w.cohort_a.id, 0), COHORT_STAFF),
    Action.ANNOUNCE: (lambda w: (w.announcement_id, 0), frozenset({"facilitator"})),  # its author only
    Action.CHECK_IN: (lambda w: (w.check_in_id, 1), STUDENT_ONLY),
}


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table but the audit log (where refusals are recorded)."""
    return {
        t.name: sorted(repr(tuple(r)) for r in session.execute(sa_select(t)).all())
        for t in SQLModel.metadata.sorted_tables
        if t.name != "audit_events"
    }


def test_every_action_is_in_the_matrix():
    assert set(BUTTONS) == set(Action)


def test_every_button_by_every_role(world: World):
    for action, (args_of, allowed) in BUTTONS.items():
        data = actions.encode(action, *args_of(world))
        order = [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]
        for role in order:
            before = world.db.call(snapshot)
            outcome: CallbackOutcome = world.db.call(press, world.env, ROLES[role], data)
            if role in allowed:
                assert outcome.replies or outcome.edit_text or outcome.keep_buttons or outcome.toast, (
                    f"{action.name} by the {role}: no answer"
                )
                continue
            after = world.db.call(snapshot)
            if role == "admin":  # an admin may research any study: first research use makes them a coder, by design
                after.pop("research_coders"), before.pop("research_coders")
            assert after == before, f"{action.name} by the {role} changed something"
            assert not outcome.replies and outcome.edit_text is None, f"{action.name} by the {role} said more"
            assert outcome.toast, f"{action.name} by the {role}: the button must be answered"


# --- through Telegram -------------------------------------------------------------------------------------

SUBSET = [
    ("stats", "{A}", "other facilitator"),
    ("stats", "{A}", "facilitator"),
    ("ack", "{alert}", "student"),
    ("code", "", "stranger"),
    ("preview", "1 {A}", "researcher"),
    ("mydata", "", "stranger"),
    ("ack", "{alert}", "admin"),
]


async def test_a_subset_through_the_real_application(world: World):
    async with BotAPIEmulator() as emu, running_bot(emu, world.db, world.env):
        for name, args, role in SUBSET:
            person = ROLES[role]
            user = emu.user(person.telegram_id, person.first_name)
            reply = await user.say(f"/{name} {world.fill(args)}".strip())
            text = reply["plain_text"] or reply["plain_caption"] or ""
            is_refusal = any(_plain(r) in text for r in REFUSALS)
            assert is_refusal == (role not in COMMANDS[name][1]), f"/{name} by the {role}: {text[:80]}"


def _plain(html_text: str) -> str:
    return html_text.replace("<b>", "").replace("</b>", "")


async def test_help_through_the_real_application_is_each_roles_own(world: World):
    """/help is rendered from the command table: each role sees its own commands, and nobody else's."""
    async with BotAPIEmulator() as emu, running_bot(emu, world.db, world.env):

        async def help_of(person: Person, last: str) -> str:
            user = emu.user(person.telegram_id, person.first_name)
            after = len(user.messages())
            user.send_text("/help")
            await user.wait_for_message(lambda m: last in (m["plain_text"] or ""), after=after)
            return "\n".join(m["plain_text"] or "" for m in user.messages()[after:])

        researcher = await help_of(RESEARCHER, "Your studies:")
        assert all(f"/{name}" in researcher for name in ("code", "memo", "progress", "exemplar", "web"))
        assert "/reflect" not in researcher and "/withdraw" not in researcher
        fac = await help_of(FAC_A, "Facilitator commands")
        assert all(
            f"/{name}" in fac
            for name in ("cohorts", "newcohort", "schedule", "preview", "sendnow", "announce", "stats", "cancel")
        )
        assert "/code" not in fac
        alice = await help_of(STUDENT, "What I can do")
        assert all(
            f"/{name}" in alice
            for name in (
                "status",
                "reflect",
                "skip",
                "done",
                "pause",
                "resume",
                "consent",
                "mydata",
                "delete",
                "withdraw",
                "circle",
            )
        )
        assert "/cohorts" not in alice and "/code" not in alice
