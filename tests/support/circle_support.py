"""Helpers of the circle tests: a cohort's students, a circle of them, and reading what each chat received."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from bot.chat import circles as chat
from bot.chat import student
from bot.core.circles import relay, setup, week
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from storage.circle_models import Circle, CircleOutbox
from storage.db import Database
from storage.models import Cohort
from tests.support.research_support import enrol

STUDENTS = [(3001, "Anna"), (3002, "Ben"), (3003, "Cara"), (3004, "Dev"), (3005, "Eve")]
LEADER = (3100, "Ruth")
# the default rhythm over the cohort's first week (Europe/London, winter: local time = UTC)
OPEN = datetime(2026, 1, 10, 10, 1, tzinfo=UTC)  # Saturday 10:00 + a minute
HALFWAY = datetime(2026, 1, 11, 15, 1, tzinfo=UTC)  # halfway to the case time
QUESTIONS_END = datetime(2026, 1, 13, 20, 1, tzinfo=UTC)  # Tuesday 20:00
DISCUSSION_END = datetime(2026, 1, 15, 20, 1, tzinfo=UTC)  # Thursday 20:00
RESPONSE_END = datetime(2026, 1, 16, 20, 1, tzinfo=UTC)  # Friday 20:00
CASE_END = datetime(2026, 1, 12, 20, 1, tzinfo=UTC)  # Monday 20:00


def make_circle(db: Database, env: Env, cohort: Cohort, *, research: bool = True, aliases: bool = False) -> Circle:
    """Five consenting students of the cohort, a leader who has opened the bot, and a circle of them."""
    for telegram_id, name in STUDENTS:
        enrol(db, env, cohort, telegram_id, name, research=research)
    db.call(student.start, env, Person(telegram_id=LEADER[0], first_name=LEADER[1]), None)
    return db.call(
        setup.create,
        env,
        setup.CircleIn(
            cohort=cohort.name, name="Circle Rose", leader=LEADER[0], students=[t for t, _ in STUDENTS], aliases=aliases
        ),
    )


class CircleChat:
    """A circle member's chat with the domain (no Telegram): what the outbox holds for them, their presses."""

    def __init__(self, db: Database, env: Env, telegram_id: int, name: str) -> None:
        self.db, self.env, self.person = db, env, Person(telegram_id=telegram_id, first_name=name)
        self.message_id = 500
        self.replies: list[Any] = []  # direct replies (the case preview, refusals), newest last

    def inbox(self) -> list[tuple[str, list[Any]]]:
        """The texts and buttons queued for this member's chat, oldest first."""

        def read(session: Any) -> list[tuple[str, list[Any]]]:
            rows = session.exec(
                select(CircleOutbox)
                .where(CircleOutbox.chat_id == self.person.telegram_id)
                .order_by(col(CircleOutbox.id))
            ).all()
            return [(self.env.cipher.decrypt(r.text, r.encrypted), r.buttons) for r in rows]

        return list(self.db.call(read))

    def press(self, label: str) -> Any:
        """Press the newest button with this label (direct replies first, then the outbox)."""
        direct = [(r.text, [[[b.label, b.data] for b in row] for row in r.buttons]) for r in self.replies]
        for _text, rows in [*reversed(direct), *reversed(self.inbox())]:
            for row in rows:
                for b_label, data in row:
                    if b_label == label:
                        self.message_id += 1
                        outcome = self.db.call(
                            chat.button,
                            self.env,
                            self.person,
                            data,
                            chat_id=self.person.telegram_id,
                            message_id=self.message_id,
                        )
                        self.replies.extend(outcome.replies)
                        return outcome
        raise AssertionError(f"no button {label!r} for {self.person.first_name}")

    def say(self, text: str, *, reply_to: int | None = None) -> list[Any]:
        self.message_id += 1
        got = list(
            self.db.call(
                chat.text,
                self.env,
                self.person,
                text,
                chat_id=self.person.telegram_id,
                message_id=self.message_id,
                reply_to=reply_to,
            )
        )
        self.replies.extend(got)
        return got

    def delivered(self, text: str) -> int:
        """Mark the copy holding ``text`` as sent to this chat, as the relay does; return its message id."""

        def run(session: Any) -> int:
            for row in session.exec(
                select(CircleOutbox)
                .where(CircleOutbox.chat_id == self.person.telegram_id)
                .order_by(col(CircleOutbox.id))
            ).all():
                if text in self.env.cipher.decrypt(row.text, row.encrypted):
                    relay.mark_sent(session, self.env, row.id, 9000 + row.id)
                    return 9000 + int(row.id)
            raise AssertionError(f"no copy of {text!r} for {self.person.first_name}")

        return int(self.db.call(run))

    def command(self, args: str, *, reply_to: int | None = None) -> list[Any]:
        self.message_id += 1
        got = list(
            self.db.call(
                chat.command,
                self.env,
                self.person,
                args,
                chat_id=self.person.telegram_id,
                message_id=self.message_id,
                reply_to=reply_to,
            )
        )
        self.replies.extend(got)
        return got


def open_week(db: Database, env: Env, clock: ManualClock) -> dict[str, CircleChat]:
    """Every student and the leader join the circle made by ``make_circle``, and its first week opens: their chats,
    by first name."""
    chats = {name: CircleChat(db, env, tid, name) for tid, name in [*STUDENTS, LEADER]}
    for c in chats.values():
        c.press("Yes, I'll join")
    clock.set(OPEN)
    db.call(week.tick, env)
    return chats


def play_week(db: Database, env: Env, clock: ManualClock, chats: dict[str, CircleChat]) -> None:
    """A whole first week of the circle: everyone joins, Anna presents (a named patient, "I froze"), Ben and Cara
    ask, Dev responds, and Ruth, the leader, closes."""
    for c in chats.values():
        c.press("Yes, I'll join")
    clock.set(OPEN)
    db.call(week.tick, env)
    chats["Anna"].press("I'll present this week")
    chats["Anna"].say("Mr Rashid Begum, 64, cried when I told him the scan result. I froze.")
    chats["Anna"].press("Share it with the circle")
    chats["Ben"].press("✍️ Write to the circle")
    chats["Ben"].say("What did you do with your hands while he cried?")
    chats["Cara"].command("Did he have anyone with him?")
    clock.set(QUESTIONS_END)
    db.call(week.tick, env)
    chats["Dev"].command("I imagine he was protecting you from his fear.")
    clock.set(DISCUSSION_END)
    db.call(week.tick, env)
    clock.set(RESPONSE_END)
    db.call(week.tick, env)
    chats["Ruth"].command("Thank you all.")
    chats["Ruth"].command("close")
