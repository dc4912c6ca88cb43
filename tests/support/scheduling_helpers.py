"""Helpers for the schedule, delivery and facilitator tests: students who joined, a dispatcher wired to the emulator.

Sending always goes through the real transport (``TelegramSender`` on a PTB ``Bot``) to the Bot API emulator, so
429, 403 and network errors are Telegram's own responses, and what a student received is read back from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select
from telegram import Bot

from bot.core.context import Env, Person
from bot.core.delivery.dispatch import Dispatcher, DispatchStats
from bot.core.scheduling import scheduling
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.send import TelegramSender
from storage.db import Database
from storage.models import Cohort, Delivery
from tests.support.factories import DomainChat


@dataclass
class Wire:
    """The emulator, a bot talking to it, and a dispatcher sending through that bot."""

    emu: BotAPIEmulator
    bot: Bot
    dispatcher: Dispatcher

    def texts(self, chat_id: int) -> list[str]:
        """What the student sees, message by message."""
        return [m["plain_text"] or m["plain_caption"] or "" for m in self.emu.messages_to(chat_id)]

    def counts(self, chat_ids: list[int]) -> dict[int, int]:
        """How many messages each chat received."""
        return {c: len(self.emu.messages_to(c)) for c in chat_ids}


@asynccontextmanager
async def wired(
    db: Database, env: Env, *, worker: str = "test", rate: float = 500.0, **emulator: Any
) -> AsyncIterator[Wire]:
    """Start an emulator and a dispatcher sending to it (fast pacing unless limits are the point)."""
    async with BotAPIEmulator(**emulator) as emu:
        bot = Bot(emu.token, base_url=emu.base_url)
        async with bot:
            yield Wire(emu, bot, Dispatcher(db, env, TelegramSender(bot), worker=worker, rate=rate))


def join(db: Database, env: Env, cohort: Cohort, first_id: int, n: int, *, name: str = "Student") -> list[Person]:
    """Students who joined the cohort and said yes to both choices."""
    people = [Person(telegram_id=first_id + i, first_name=f"{name}{i}") for i in range(n)]
    for p in people:
        DomainChat(db, env, p).join_and_consent(cohort.invite_code)
    return people


async def tick(db: Database, env: Env, dispatcher: Dispatcher, *, starting: bool = False) -> DispatchStats:
    """What the running bot's tick does at this moment (bot/telegram/jobs.py): sync, then dispatch."""
    await db.run(scheduling.sync, env, starting=starting)
    return await dispatcher.run_once()


def deliveries(db: Database, cohort_id: int | None = None) -> list[tuple[int, int, str]]:
    """Every delivery as (user id, week, state), in id order."""

    def run(session: Session) -> list[tuple[int, int, str]]:
        stmt = select(Delivery).order_by(Delivery.id)  # type: ignore[arg-type]
        if cohort_id is not None:
            stmt = stmt.where(Delivery.cohort_id == cohort_id)
        return [(d.user_id, d.week, d.state) for d in session.exec(stmt).all()]

    return db.call(run)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
