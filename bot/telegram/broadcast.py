"""Send a week's prompt now from the CLI, within the bot-wide send budget.

The rows are queued first, and audited, by the one send-now service (``bot.core.scheduling.send_now``, as a
facilitator's /sendnow). Then this process competes for the send
lease like any bot process: when a bot is running it holds the lease and sends the rows within a second, and
this command only watches them go; with no bot running this command takes the lease and sends them itself. If
the bot dies mid-way its lease lapses and this command takes over. Either way only one process sends for the
token, so the 30/s ceiling holds.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.config import Settings
from bot.core.context import Env
from bot.core.delivery.dispatch import Dispatcher
from bot.core.delivery.send_budget import SendBudget, current_holder, holder_name
from bot.core.scheduling import send_now as send_now_service
from bot.core.scheduling.cohorts import cohort_status
from bot.core.scheduling.send_now import WeekTally, week_tally
from bot.telegram.ratelimit import PerChatRateLimiter
from bot.telegram.send import TelegramSender
from storage.db import Database

UNREACHABLE: tuple[type[Exception], ...] = (TelegramError, OSError)  # send_now raises these when Telegram is away
STALL_AFTER = 180.0  # seconds without progress before the command gives up watching (the rows stay queued)


@dataclass(frozen=True)
class Progress:
    total: int
    done: int  # sent, unreachable or failed
    sender: str  # "this command" or the lease holder's name


async def send_now(settings: Settings, db: Database, env: Env, ref: str, week: int | None, *, actor: str,
                   on_progress: Callable[[Progress], None] | None = None) -> dict[str, Any]:
    """Queue the week's prompt for every consented student, see it sent (by the bot or here); return counts."""
    queued = await db.run(send_now_service.queue_by_ref, env, ref, week, actor=actor)  # as a facilitator's /sendnow
    cohort_id, wk = queued.cohort_id, queued.week
    before = await db.run(send_now_service.tally, queued)
    assert settings.telegram_bot_token is not None
    bot: Bot = ExtBot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url,
                      rate_limiter=PerChatRateLimiter(max_retries=0))
    worker = f"cli@{socket.gethostname()}"
    async with bot:
        dispatcher = Dispatcher(db, env, TelegramSender(bot), worker=worker)
        budget = SendBudget(db, dispatcher, holder=holder_name(worker))
        await budget.renew()  # take the lease now if no bot holds it, so the first look below says who sends
        budget.start()
        try:
            tally = await _watch(db, budget, cohort_id, wk, on_progress)
        finally:
            await budget.stop()
    return {"cohort": queued.name, "cohort_id": cohort_id, "week": wk, "sent": tally.sent - before.sent,
            "already": queued.already, "blocked": tally.unreachable - before.unreachable,
            "failed": tally.failed - before.failed, "pending": tally.pending, "sent_here": dispatcher.sent_total,
            "status": await db.run(cohort_status, cohort_id)}


async def _watch(db: Database, budget: SendBudget, cohort_id: int, week: int,
                 on_progress: Callable[[Progress], None] | None) -> WeekTally:
    last_done, last_change = -1, time.monotonic()
    while True:
        tally = await db.run(week_tally, cohort_id, week)
        done = tally.sent + tally.unreachable + tally.failed
        if on_progress is not None:
            other: str | None = None if budget.holds() else await db.run(current_holder)
            holder = "this command" if budget.holds() else (other or "no one yet")
            on_progress(Progress(total=done + tally.pending, done=done, sender=holder))
        if tally.pending == 0:
            return tally
        if done != last_done:
            last_done, last_change = done, time.monotonic()
        elif time.monotonic() - last_change > STALL_AFTER:
            return tally
        await asyncio.sleep(0.25)
