"""The weekly jobs on PTB's JobQueue, rebuilt from the database, and a tick that keeps them right.

The domain (``bot.core.scheduling.scheduling``) says WHAT is due, on the domain's clock; this module says WHEN, on the
JobQueue. Each week of each open cohort has a job with the deterministic id ``cohort:{id}:week:{n}`` (also the
APScheduler job id, so adding it again replaces it). At start-up the jobs are built from the database after a
catch-up (deliveries that fell due during downtime go out within the grace window, the rest are recorded as
missed). Every ``TICK_EVERY`` the tick makes sure the current week's deliveries exist, reconciles the jobs with
the database — so a schedule changed from the CLI or another process takes effect without a restart — and
sends due reminders and announcements through the dispatcher's pacer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram.ext import ContextTypes, Job

from bot.core.context import Env
from bot.core.delivery import reminders
from bot.core.delivery.dispatch import Dispatcher
from bot.core.delivery.outbox import drain
from bot.core.facilitator import facilitator_announce
from bot.core.scheduling import scheduling
from bot.core.scheduling.scheduling import WeekJob, parse_job_id
from bot.telegram.context import DB_KEY, ENV_KEY, BotApp
from storage.db import Database

log = logging.getLogger(__name__)

SCHEDULER_KEY = "scheduler"
TICK_EVERY = timedelta(seconds=30)


class Scheduler:
    """The week jobs and the tick of one Application (a service in ``bot_data``)."""

    def __init__(self, app: BotApp, db: Database, env: Env, dispatcher: Dispatcher) -> None:
        self.app, self.db, self.env, self.dispatcher = app, db, env, dispatcher
        self._tick_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def job_queue(self) -> Any:
        jq = self.app.job_queue
        if jq is None:
            raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
        return jq

    async def start(self) -> None:
        """Catch up after downtime, build the week jobs from the database, start the tick."""
        report = await self.db.run(scheduling.sync, self.env, starting=True)
        jobs = await self.rebuild()
        self.job_queue.run_repeating(self._tick_job, interval=TICK_EVERY, first=TICK_EVERY, name="schedule-tick",
                                     job_kwargs={"id": "schedule-tick", "replace_existing": True})
        log.info("scheduler started: %d week jobs; catch-up created %d, missed %d, held for quiet hours %d",
                 jobs, report.created, report.missed, report.deferred, extra={"event": "scheduler_start"})

    def week_jobs(self) -> dict[str, Job[Any]]:
        """Return the scheduled week jobs by id."""
        return {job.name: job for job in self.job_queue.jobs() if job.name and parse_job_id(job.name)}

    async def rebuild(self, cohort_id: int | None = None) -> int:
        """Make the week jobs (of one cohort, or all) match the database; return how many there are."""
        plan = await self.db.run(scheduling.job_plan, self.env, cohort_id)
        wanted = {j.id: j for j in plan}
        existing = {name: job for name, job in self.week_jobs().items()
                    if cohort_id is None or (parse_job_id(name) or (0, 0))[0] == cohort_id}
        for name, job in existing.items():
            if name not in wanted:
                job.schedule_removal()
        for name, week_job in wanted.items():
            current = existing.get(name)
            if current is None or not isinstance(current.data, dict) or current.data.get("at") != week_job.at:
                self._schedule(week_job)
        return len(wanted)

    async def reschedule(self, cohort_id: int) -> int:
        """A cohort's schedule changed: rebuild its jobs now."""
        return await self.rebuild(cohort_id)

    def _schedule(self, week_job: WeekJob) -> None:
        delay = max((week_job.at - self.env.clock.now()).total_seconds(), 0.0)
        self.job_queue.run_once(
            self._week_job, when=delay, name=week_job.id,
            data={"cohort_id": week_job.cohort_id, "week": week_job.week, "at": week_job.at},
            job_kwargs={"id": week_job.id, "replace_existing": True, "misfire_grace_time": None},
        )

    async def _week_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.job is not None and isinstance(context.job.data, dict)
        data = context.job.data
        created = await self.db.run(scheduling.fire_week, self.env, data["cohort_id"], data["week"])
        log.info("week %s of cohort %s is due: %d deliveries", data["week"], data["cohort_id"], created,
                 extra={"event": "week_due", "cohort_id": data["cohort_id"], "week": data["week"]})
        await self.dispatcher.run_once()

    async def _tick_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.tick()

    async def tick(self) -> None:
        """The safety net: current deliveries exist, jobs match the database, reminders and announcements go."""
        if self._tick_lock.locked():
            return  # the previous tick is still sending
        async with self._tick_lock:
            report = await self.db.run(scheduling.sync, self.env)
            await self.rebuild()
            if report.created:
                await self.dispatcher.run_once()
            await self.drain_outboxes()

    async def drain_outboxes(self) -> None:
        """Send the reminders and announcements that are due."""
        for kind in (reminders.KIND, facilitator_announce.KIND):
            stats = await drain(self.db, self.env, kind, self.dispatcher)
            if stats.sent or stats.blocked or stats.failed:
                log.info("%s: sent %d, unreachable %d, failed %d", kind.name, stats.sent, stats.blocked,
                         stats.failed, extra={"event": f"{kind.name}_sent"})

    def kick(self) -> None:
        """Send due announcements and reminders now, in the background (after a facilitator pressed Send)."""
        task = asyncio.get_running_loop().create_task(self.drain_outboxes())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def start(app: BotApp, dispatcher: Dispatcher) -> Scheduler:
    """Create the scheduler service for this Application and start it (called from post_init)."""
    scheduler = Scheduler(app, app.bot_data[DB_KEY], app.bot_data[ENV_KEY], dispatcher)
    app.bot_data[SCHEDULER_KEY] = scheduler
    await scheduler.start()
    return scheduler


def scheduler_of(context: ContextTypes.DEFAULT_TYPE) -> Scheduler | None:
    """Return the scheduler service (None before start-up finished)."""
    found = context.bot_data.get(SCHEDULER_KEY)
    return found if isinstance(found, Scheduler) else None
