"""A Balint circle in the terminal (``balint sandbox --as circle``): you present, simulated members take part.

A fresh sandbox placement with a one-week circle of you, four simulated students (Anna, Ben, Cara, Dev) and a
simulated leader (Ruth). The same domain code as the chat: you join (the third consent), volunteer, write the
case and confirm its redacted version; the members ask their questions when the case is shared, discuss it in
the push-back, and Ruth closes the week after your response. ``/next`` is Ruth moving the circle on early, as a
leader can; in a real circle the weekly rhythm does it. What the relay would send to your chat is shown in order.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from bot.chat import circles as chat
from bot.chat import student
from bot.core.circles import relay, setup, week
from bot.core.circles.buttons import parse
from bot.core.context import Env, Person
from bot.core.replies import CallbackOutcome, Reply
from bot.core.scheduling.schedule import zone
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import queue as research_queue
from bot.sandbox import Sandbox, loop
from storage.circle_models import Circle, CircleMember, CircleOutbox, CircleWeek, MemberStatus, Phase
from storage.db import Database
from storage.migrate import upgrade

YOU = 1
MEMBERS = {"Anna": 2, "Ben": 3, "Cara": 4, "Dev": 5}
LEADER = ("Ruth", 9)
TIMEZONE = "Europe/London"
CIRCLE = "Sandbox circle"
# what the simulated members post when a phase begins: clarifying questions, then feelings, fantasies about the
# patient and the relationship (no advice), then the leader's closing words
SCRIPT: dict[Phase, tuple[tuple[str, str], ...]] = {
    Phase.QUESTIONS: (
        ("Ben", "What happened just before that moment?"),
        ("Cara", "Was anyone else in the room, and what did they do?")),
    Phase.DISCUSSION: (
        ("Anna", "Reading it I felt tense, as if I wanted to leave the room too."),
        ("Dev", "I imagine the patient had been waiting all day for someone to ask, and then didn't dare."),
        ("Cara", "I wonder whether the patient was protecting the student as much as themselves."),
        (LEADER[0], "I notice how much we want to make it right. Let's stay with what it was like, not fix it.")),
    Phase.CLOSING: ((LEADER[0], "Thank you for bringing this, {name}, and everyone for staying with it."),),
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

INTRO = (
    "balintbot sandbox — a Balint circle in your terminal (no Telegram, nothing leaves this machine).\n"
    "You, Anna, Ben, Cara and Dev are the circle; Ruth leads it. Everyone but you is simulated.\n"
    "Join, volunteer to present, write a case (an encounter that stayed with you) and share it: the others ask "
    "questions, then talk about it while you listen (push-back), then you respond and Ruth closes.\n"
    "Press a button by typing its number. /circle TEXT posts to the circle; /next is Ruth moving the circle on "
    "to the next phase; /circle shows where it is; /quit leaves.\n")


def _rhythm(today: datetime) -> dict[str, str]:
    """A week that opened at midnight today, so the sandbox starts at once (the phases move on with /next)."""
    def at(days: int, clock: str) -> str:
        return f"{_DAYS[(today.weekday() + days) % 7]} {clock}"
    return {"open": at(0, "00:00"), "case": at(2, "20:00"), "questions": at(3, "20:00"),
            "discussion": at(5, "20:00"), "response": at(6, "20:00")}


def _join_placement(session: Session, env: Env, person: Person, code: str) -> None:
    """Join the placement, take part, keep posts out of research: as a student does with the buttons."""
    shown = list(student.start(session, env, person, code))
    for label in ("Yes, I'll take part", "No, keep them out of research"):
        data = next(b.data for r in reversed(shown) for row in r.buttons for b in row if b.label == label)
        shown += student.callback(session, env, person, data).replies


def make_circle(session: Session, env: Env, name: str) -> int:
    """The placement, its six people and the circle; the simulated ones have joined it. Return the circle's id."""
    today = datetime.now(zone(TIMEZONE))
    cohort = create_cohort(session, CohortIn(name="Sandbox psychiatry placement", start_date=today.date(),
                                             timezone=TIMEZONE), actor="sandbox")
    people = [Person(telegram_id=YOU, first_name=name)]
    people += [Person(telegram_id=tid, first_name=n) for n, tid in MEMBERS.items()]
    for person in people:
        _join_placement(session, env, person, cohort.invite_code)
    student.start(session, env, Person(telegram_id=LEADER[1], first_name=LEADER[0]), None)
    circle = setup.create(session, env, setup.CircleIn(
        cohort=cohort.name, name=CIRCLE, leader=LEADER[1], students=[p.telegram_id for p in people],
        starts_on=today.date(), weeks=1, rhythm=_rhythm(today)), actor="sandbox")
    for member in session.exec(select(CircleMember).where(CircleMember.circle_id == circle.id,
                                                          CircleMember.chat_id != YOU)).all():
        first = LEADER[0] if member.chat_id == LEADER[1] else next(n for n, t in MEMBERS.items() if t == member.chat_id)
        setup.answer_invitation(session, env, Person(telegram_id=member.chat_id, first_name=first), member.id or 0, 1)
    assert circle.id is not None
    return circle.id


class CircleSandbox(Sandbox):
    """The sandbox chat of the presenter, with the relay and the simulated members played after each turn."""

    def __init__(self, db: Database, env: Env, person: Person, out: TextIO, *, circle_id: int, color: bool) -> None:
        super().__init__(db, env, person, out, color=color)
        self.circle_id = circle_id
        self.played: set[Phase] = set()
        self.commands = {"circle": self._circle, "next": self._next}
        self.sim_message_id = 100_000

    def callback(self, data: str | None) -> CallbackOutcome:
        if parse(data) is None:
            return super().callback(data)
        outcome: CallbackOutcome = self.db.call(chat.button, self.env, self.person, data, chat_id=YOU,
                                                message_id=self.message_id)
        return outcome

    def typed(self, line: str) -> list[Reply]:
        return list(self.db.call(chat.text, self.env, self.person, line, chat_id=YOU, message_id=self.message_id))

    def _circle(self, session: Session, env: Env, person: Person, args: str) -> list[Reply]:
        return chat.command(session, env, person, args, chat_id=YOU, message_id=self.message_id)

    def _next(self, session: Session, env: Env, person: Person, args: str) -> list[Reply]:
        """/next: the simulated leader moves the circle on, as /circle next would."""
        circle, current = self._week(session)
        if circle is None or current is None:
            return [Reply("The circle's week hasn't opened yet: join it first.")]
        said = week.move_on(session, env, circle, current, actor="sandbox")
        return [Reply(f"(Ruth, the leader, moves the circle on.) {said[0].text}" if said else "")]

    def _week(self, session: Session) -> tuple[Circle | None, CircleWeek | None]:
        circle = session.get(Circle, self.circle_id)
        return (circle, week._current(session, circle)) if circle is not None else (None, None)

    def show(self, replies: Iterable[Reply]) -> None:
        self.db.call(self._play)
        super().show([*replies, *self.db.call(self._relay)])

    def _play(self, session: Session) -> None:
        """Open the week once you have joined; post the simulated members' lines when their phase begins."""
        me = session.exec(select(CircleMember).where(CircleMember.chat_id == YOU)).one()
        if me.status != MemberStatus.JOINED:
            return
        week.tick(session, self.env)
        circle, current = self._week(session)
        phase = Phase(current.phase) if current is not None else Phase.CLOSED
        if phase in self.played or phase not in SCRIPT:
            return
        self.played.add(phase)
        for name, text in SCRIPT[phase]:
            tid = LEADER[1] if name == LEADER[0] else MEMBERS[name]
            self.sim_message_id += 1
            chat.command(session, self.env, Person(telegram_id=tid, first_name=name),
                         text.format(name=self.person.first_name), chat_id=tid, message_id=self.sim_message_id)
        if phase == Phase.CLOSING and circle is not None and current is not None:
            week.move_on(session, self.env, circle, current, actor="sandbox")

    def _relay(self, session: Session) -> list[Reply]:
        """Send the outbox as the relay does: your chat's copies are shown, the others' marked delivered."""
        shown: list[Reply] = []
        for row in session.exec(select(CircleOutbox).where(col(CircleOutbox.sent_at).is_(None))
                                .order_by(col(CircleOutbox.id))).all():
            out = relay.outgoing(session, self.env, row.id or 0)
            if out is None:
                continue
            if out.chat_id == YOU:
                self.message_id += 1
                text = f"(an earlier message now reads:) {out.reply.text}" if out.edit_of else out.reply.text
                shown.append(Reply(text, buttons=out.reply.buttons))
            relay.mark_sent(session, self.env, row.id or 0, out.edit_of or self.message_id)
        return shown


def run_circle_sandbox(*, input_lines: Callable[[], str] = input, out: TextIO = sys.stdout,
                       name: str = "Student") -> None:
    """Play a circle week in a throwaway database until /quit or end of input."""
    with tempfile.TemporaryDirectory(prefix="balint-circle-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'sandbox.db'}"
        upgrade(url)
        db = Database(url)
        env = Env(research=research_queue, bot_username="balint_sandbox_bot")
        try:
            circle_id = db.call(make_circle, env, name)
            box = CircleSandbox(db, env, Person(telegram_id=YOU, first_name=name), out, circle_id=circle_id,
                                color=out.isatty())
            out.write(INTRO)
            box.show([])
            loop(box, input_lines, out, prompt="you> ")
        finally:
            db.close()

