"""Send a week's prompt now, from the CLI, through the same dispatcher the running bot uses."""

from __future__ import annotations

import socket
from typing import Any

from sqlmodel import Session, col, func, select
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bot.config import Settings
from bot.core import delivery
from bot.core.cohorts import resolve_week
from bot.core.context import Env
from bot.core.dispatch import Dispatcher
from bot.telegram.send import TelegramSender
from storage.db import Database
from storage.models import Cohort, Delivery, DeliveryState


def _queue(session: Session, env: Env, ref: str, week: int | None) -> tuple[int, str, int, int]:
    cohort, wk = resolve_week(session, env, ref, week)
    assert cohort.id is not None
    delivery.ensure_deliveries(session, env, cohort, wk, when=env.clock.now())
    # a send-now is explicit: bring this week's pending rows forward to now
    for d in session.exec(select(Delivery).where(Delivery.cohort_id == cohort.id, Delivery.week == wk,
                                                 Delivery.state == DeliveryState.PENDING)).all():
        d.next_attempt_at = min(d.next_attempt_at, env.clock.now())
        d.due_at = min(d.due_at, env.clock.now())
        session.add(d)
    already = session.exec(select(func.count()).select_from(Delivery).where(
        Delivery.cohort_id == cohort.id, Delivery.week == wk,
        col(Delivery.state).in_([DeliveryState.SENT, DeliveryState.ANSWERED]))).one()
    return cohort.id, cohort.name, wk, int(already)


def _require_open(session: Session, cohort_id: int) -> str:
    cohort = session.get(Cohort, cohort_id)
    return cohort.status if cohort else "missing"


async def send_now(settings: Settings, db: Database, env: Env, ref: str, week: int | None) -> dict[str, Any]:
    """Queue and send the week's prompt to every consented student; return counts."""
    cohort_id, name, wk, already = await db.run(_queue, env, ref, week)
    assert settings.telegram_bot_token is not None
    bot: Bot = ExtBot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url,
                      rate_limiter=AIORateLimiter(max_retries=0))
    async with bot:
        dispatcher = Dispatcher(db, env, TelegramSender(bot), worker=f"cli@{socket.gethostname()}")
        stats = await dispatcher.run_once(cohort_id=cohort_id, settle=120)
    return {"cohort": name, "cohort_id": cohort_id, "week": wk, "sent": stats.sent, "already": already,
            "blocked": stats.blocked, "failed": stats.failed, "rate_limited": stats.rate_limited,
            "status": await db.run(_require_open, cohort_id)}
