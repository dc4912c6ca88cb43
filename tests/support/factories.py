"""Test helpers that read like the chat they check: a student talking to the domain through a real database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.chat import student
from bot.core.context import Env, Person
from bot.core.delivery import delivery
from bot.core.replies import CallbackOutcome, Reply
from storage.db import Database
from storage.models import Cohort, ReflectionEntry


@dataclass
class DomainChat:
    """A student's chat with the bot's domain (no Telegram): what they send, what they are told."""

    db: Database
    env: Env
    person: Person
    seen: list[Reply] = field(default_factory=list)
    next_message_id: int = 100

    def _got(self, replies: list[Reply]) -> list[Reply]:
        self.seen.extend(replies)
        return replies

    def start(self, payload: str | None = None) -> list[Reply]:
        return self._got(self.db.call(student.start, self.env, self.person, payload))

    def say(self, text: str, *, message_id: int | None = None) -> list[Reply]:
        if message_id is None:
            self.next_message_id += 1
            message_id = self.next_message_id
        return self._got(
            self.db.call(
                student.text, self.env, self.person, text, chat_id=self.person.telegram_id, message_id=message_id
            )
        )

    def command(self, name: str, args: str = "") -> list[Reply]:
        return self._got(self.db.call(student.command, self.env, self.person, name, args))

    def press(self, label: str) -> CallbackOutcome:
        """Press the newest button with this label."""
        for reply in reversed(self.seen):
            for row in reply.buttons:
                for b in row:
                    if b.label == label:
                        outcome = self.db.call(student.callback, self.env, self.person, b.data)
                        self._got(outcome.replies)
                        return outcome
        raise AssertionError(f"no button {label!r} in {[r.text[:40] for r in self.seen]}")

    @property
    def last(self) -> str:
        return self.seen[-1].text

    def join_and_consent(self, code: str, *, research: bool = True) -> None:
        self.start(code)
        self.press("Yes, I'll take part")
        self.press("Yes, you may use them" if research else "No, keep them out of research")


def send_week(db: Database, env: Env, cohort: Cohort, week: int) -> dict[int, list[Reply]]:
    """Deliver a week's prompt as the dispatcher would, without Telegram; return what each chat got."""

    def run(session: Session) -> dict[int, list[Reply]]:
        c = session.get(Cohort, cohort.id)
        assert c is not None
        delivery.ensure_deliveries(session, env, c, week, when=env.clock.now())
        got: dict[int, list[Reply]] = {}
        for i, delivery_id in enumerate(delivery.claim(session, env, "test", cohort_id=c.id)):
            out = delivery.prepare(session, env, delivery_id)
            if out is not None:
                got[out.chat_id] = out.replies
                delivery.mark_sent(session, env, delivery_id, 10_000 + i)
        return got

    return db.call(run)


def stored_entries(db: Database, telegram_id: int | None = None) -> list[ReflectionEntry]:
    """Every stored reply, oldest first."""

    def run(session: Session) -> list[ReflectionEntry]:
        stmt = select(ReflectionEntry).order_by(ReflectionEntry.id)  # type: ignore[arg-type]
        if telegram_id is not None:
            stmt = stmt.where(ReflectionEntry.chat_id == telegram_id)
        return list(session.exec(stmt).all())

    return db.call(run)


def press(db: Database, env: Env, person: Person, data: str) -> CallbackOutcome:
    """Press a button by its callback data, as ``person`` (a forged or stale press too)."""
    return db.call(student.callback, env, person, data)


def buttons(reply: Reply) -> dict[str, str]:
    """A reply's buttons: label to callback data."""
    return {b.label: b.data for row in reply.buttons for b in row}
