"""The safeguarding and retention jobs: escalate unacknowledged alerts every minute, purge once a day.

An escalation is recorded only after it was sent (``mark_escalated``), so one that could not reach the lead
is tried again at the next run instead of being lost; the worst case is the lead getting it twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, time, timedelta

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.config import ConfigError, Settings
from bot.core import retention, safeguarding
from bot.core.context import Env
from bot.core.safeguarding_rules import load_resources
from bot.telegram.context import db_of, env_of
from bot.telegram.send import send_reply
from storage.db import Database

log = logging.getLogger(__name__)

ESCALATE_EVERY = timedelta(minutes=1)
PURGE_AT = time(3, 30, tzinfo=UTC)  # a quiet hour in Europe


def check_settings(settings: Settings) -> None:
    """Refuse to start with a SAFEGUARDING_INSTITUTION that resources.toml doesn't have; warn about no lead."""
    if settings.safeguarding_lead_telegram_id is None:
        if settings.admin_telegram_ids:
            log.warning("SAFEGUARDING_LEAD_TELEGRAM_ID is not set: unacknowledged alerts escalate to the admins",
                        extra={"event": "no_safeguarding_lead"})
        else:
            log.error("neither SAFEGUARDING_LEAD_TELEGRAM_ID nor ADMIN_TELEGRAM_IDS is set: an alert about a student "
                      "with no facilitator, and every unacknowledged alert, reaches no one",
                      extra={"event": "no_safeguarding_lead"})
    if settings.safeguarding_institution:
        try:
            load_resources(institution=settings.safeguarding_institution)
        except KeyError:
            raise ConfigError(f"Configuration error: SAFEGUARDING_INSTITUTION: no [institution."
                              f"{settings.safeguarding_institution}] in prompts/safeguarding/resources.toml") from None


def add_jobs(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Schedule the escalation check and the daily purge on the application's JobQueue."""
    check_settings(settings)
    jq = app.job_queue
    if jq is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    jq.run_repeating(escalate_job, interval=ESCALATE_EVERY, first=15, name="safeguarding-escalate",
                     job_kwargs={"id": "safeguarding-escalate", "replace_existing": True})
    jq.run_daily(purge_job, time=PURGE_AT, name="retention-purge",
                 job_kwargs={"id": "retention-purge", "replace_existing": True})


async def run_escalations(bot: Bot, db: Database, env: Env) -> int:
    """Send every escalation that is due; record each one that reached someone. Return how many."""
    done = 0
    for esc in await db.run(safeguarding.due_escalations, env):
        sent = 0
        for reply in esc.replies:
            assert reply.chat_id is not None
            try:
                await send_reply(bot, reply.chat_id, reply)
                sent += 1
            except TelegramError as exc:
                log.error("could not send the escalation of alert %s: %s", esc.alert_id, exc,
                          extra={"event": "escalation_failed", "alert_id": esc.alert_id})
        if sent or not esc.to:
            await db.run(safeguarding.mark_escalated, env, esc.alert_id, esc.to)
            done += 1
    return done


async def escalate_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Escalate alerts nobody acknowledged in time."""
    await run_escalations(context.bot, db_of(context), env_of(context))


async def purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete what has passed its retention period."""
    report = await db_of(context).run(retention.purge, env_of(context))
    total = sum(c.total for c in report.cohorts) + report.users
    log.info("retention purge removed %d rows", total, extra={"event": "purge", "rows": total})
