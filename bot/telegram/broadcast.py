"""Send a week's prompt now, from the CLI, through the same dispatcher the running bot uses."""

from __future__ import annotations

import socket
from typing import Any

from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from bot.config import Settings
from bot.core.cohorts import cohort_status
from bot.core.context import Env
from bot.core.dispatch import Dispatcher
from bot.core.scheduling import queue_now
from bot.telegram.send import TelegramSender
from storage.db import Database


async def send_now(settings: Settings, db: Database, env: Env, ref: str, week: int | None) -> dict[str, Any]:
    """Queue and send the week's prompt to every consented student; return counts."""
    queued = await db.run(queue_now, env, ref, week)  # the same path as a facilitator's /sendnow
    cohort_id, name, wk, already = queued.cohort_id, queued.name, queued.week, queued.already
    assert settings.telegram_bot_token is not None
    bot: Bot = ExtBot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url,
                      rate_limiter=AIORateLimiter(max_retries=0))
    async with bot:
        dispatcher = Dispatcher(db, env, TelegramSender(bot), worker=f"cli@{socket.gethostname()}")
        stats = await dispatcher.run_once(cohort_id=cohort_id, settle=120)
    return {"cohort": name, "cohort_id": cohort_id, "week": wk, "sent": stats.sent, "already": already,
            "blocked": stats.blocked, "failed": stats.failed, "rate_limited": stats.rate_limited,
            "status": await db.run(cohort_status, cohort_id)}
