"""The safeguarding and retention jobs: send alerts and record who got them, store alerts the database refused,
escalate unacknowledged alerts every minute, purge once a day.

* ``deliver_alerts`` sends the copies of alerts waiting in the outbox (``bot.core.safety.safeguarding_delivery``) and
  settles each: sent, unreachable (then the lead, then the admins get it at once), or tried again later. It runs
  straight after a risk message was handled (``kick``) and every ``ALERTS_EVERY`` as the safety net.
* ``Unstored`` holds, in memory, alerts that could not be stored when they were raised (the database away, the
  disk full); ``store_unstored`` tries again every ``ALERTS_EVERY`` until the database takes them.
* An escalation is recorded only after it was sent (``mark_escalated``), so one that could not reach the lead
  is tried again at the next run instead of being lost; the worst case is the lead getting it twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import ConfigError, Settings
from bot.core.context import Env, Person
from bot.core.delivery import delivery
from bot.core.privacy import retention
from bot.core.safety import safeguarding
from bot.core.safety import safeguarding_delivery as sg_delivery
from bot.core.safety.safeguarding_rules import Verdict, load_resources
from bot.telegram.context import DB_KEY, ENV_KEY, BotApp, db_of, env_of
from bot.telegram.send import TelegramSender, send_reply
from storage.db import Database

log = logging.getLogger(__name__)

ESCALATE_EVERY = timedelta(minutes=1)
ALERTS_EVERY = timedelta(seconds=10)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
LOCK_KEY = "safeguarding_alert_lock"
UNSTORED_KEY = "safeguarding_unstored"
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


def add_jobs(app: BotApp, settings: Settings) -> None:
    """Schedule the escalation check and the daily purge on the application's JobQueue."""
    check_settings(settings)
    jq = app.job_queue
    if jq is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    app.bot_data[LOCK_KEY] = asyncio.Lock()
    app.bot_data[UNSTORED_KEY] = Unstored()
    jq.run_repeating(alerts_job, interval=ALERTS_EVERY, first=2, name="safeguarding-alerts",
                     job_kwargs={"id": "safeguarding-alerts", "replace_existing": True})
    jq.run_repeating(escalate_job, interval=ESCALATE_EVERY, first=15, name="safeguarding-escalate",
                     job_kwargs={"id": "safeguarding-escalate", "replace_existing": True})
    jq.run_daily(purge_job, time=PURGE_AT, name="retention-purge",
                 job_kwargs={"id": "retention-purge", "replace_existing": True})


@dataclass
class AlertStats:
    sent: int = 0
    unreachable: int = 0
    retried: int = 0
    failed: int = 0


async def deliver_alerts(bot: Bot, db: Database, env: Env, *, worker: str = WORKER) -> AlertStats:
    """Send every alert copy that is due, and the fallback copies that unreachable ones call for."""
    sender = TelegramSender(bot)
    stats = AlertStats()
    for _round in range(10):  # each fallback level is a new round; a handful at most
        ids = await db.run(sg_delivery.claim, env, worker)
        if not ids:
            break
        for notice_id in ids:
            out = await db.run(sg_delivery.prepare, env, notice_id)
            if out is None:
                continue
            try:
                await sender.send(out.chat_id, out.reply)
            except delivery.RetryLater as exc:
                stats.retried += 1
                await db.run(sg_delivery.mark_retry, env, notice_id, exc.seconds, str(exc))
            except delivery.Blocked as exc:
                stats.unreachable += 1
                await db.run(sg_delivery.mark_unreachable, env, notice_id, str(exc))
            except delivery.Transient as exc:
                stats.retried += 1
                await db.run(sg_delivery.mark_retry, env, notice_id, None, str(exc))
            except delivery.SendError as exc:
                stats.failed += 1
                await db.run(sg_delivery.mark_failed, env, notice_id, str(exc))
            else:
                stats.sent += 1
                await db.run(sg_delivery.mark_sent, env, notice_id)
    return stats


async def deliver_now(app: BotApp) -> AlertStats:
    """One tick of the alert sender: send what is due, one sender at a time in this process."""
    lock: asyncio.Lock = app.bot_data[LOCK_KEY]
    async with lock:  # claims keep other processes apart
        try:
            return await deliver_alerts(app.bot, app.bot_data[DB_KEY], app.bot_data[ENV_KEY])
        except Exception:  # noqa: BLE001  the job runs again in ALERTS_EVERY; the log has it
            log.exception("sending safeguarding alerts failed", extra={"event": "alert_sender_failed"})
            return AlertStats()


def kick(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send waiting alerts now, in the background (after a risk message or a check-in answer was handled)."""
    if LOCK_KEY in context.bot_data:
        context.application.create_task(deliver_now(context.application))


@dataclass(frozen=True)
class UnstoredAlert:
    person: Person
    verdict: Verdict
    at: datetime
    told: tuple[int, ...]  # who was sent it directly, at the time


@dataclass
class Unstored:
    """Alerts the database refused when they were raised, kept in memory until it takes them."""

    waiting: list[UnstoredAlert] = field(default_factory=list)

    def add(self, alert: UnstoredAlert) -> None:
        self.waiting.append(alert)


async def store_unstored(app: BotApp) -> int:
    """Try again to store the alerts the database refused; return how many it took."""
    unstored: Unstored = app.bot_data[UNSTORED_KEY]
    db: Database = app.bot_data[DB_KEY]
    stored = 0
    for item in list(unstored.waiting):
        try:
            alert_id = await db.run(safeguarding.record_after_outage, app.bot_data[ENV_KEY], item.person,
                                    item.verdict, item.at, item.told)
        except Exception as exc:  # noqa: BLE001  still refused: kept for the next run
            log.warning("a safeguarding alert still can't be stored: %s", type(exc).__name__,
                        extra={"event": "alert_store_retry"})
            break
        unstored.waiting.remove(item)
        stored += 1
        log.info("safeguarding alert %s stored after the database came back", alert_id,
                 extra={"event": "alert_stored_late", "alert_id": alert_id})
    return stored


async def alerts_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store alerts the database refused earlier, then send the copies that are due."""
    if context.bot_data[UNSTORED_KEY].waiting:
        await store_unstored(context.application)
    await deliver_now(context.application)


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
