"""One send budget for the whole bot token: the process holding the send lease sends every bulk message.

Telegram's ~30 messages/s is per token. Rather than a token bucket in the database (a round trip per message,
and slots granted to several processes whose requests still arrive at Telegram in bursts), one elected process
sends: it paces every weekly prompt, reminder and announcement on one ``Pacer`` at 29/s, evenly spaced, so a
strict sliding one-second window sees at most 30 whatever the number of processes. The others — more workers
on PostgreSQL, ``balint prompt send-now`` while a bot runs — only write delivery rows, which the holder picks up
within a second. When the holder stops cleanly it gives the lease up at once; when it dies the lease lapses
after ``LEASE_TTL`` and another process takes over (rows it had claimed come back when their claims lapse).

Replies to a student's own message are not bulk sends: every process answers its own updates directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col

from bot.core.delivery import delivery
from bot.core.delivery.dispatch import Dispatcher
from storage.db import Database
from storage.facilitator_models import AnnouncementDelivery, OutboxState
from storage.lease import drop_lease, lease_holder, take_lease
from storage.models import Delivery

log = logging.getLogger(__name__)

LEASE_TTL = 15.0
RENEW_EVERY = 3.0
LOOK_EVERY = 1.0
STOP_WITHIN = 2.5  # seconds a stop waits for the sends in flight before handing the rest back


def wall_now() -> datetime:
    """The lease's clock: this machine's UTC time (not the domain clock, which tests move by hand)."""
    return datetime.now(UTC)


def holder_name(worker: str) -> str:
    """Name this process in the lease: the worker id (which names its claims) and the process id."""
    return f"{worker}/pid{os.getpid()}"


def release_all(session: Session, worker: str) -> int:
    """Hand back every row this worker claimed and did not send: prompts, reminders, announcements."""
    released = delivery.release_claims(session, worker)
    session.execute(update(Delivery).where(col(Delivery.claimed_by) == worker).values(claimed_until=None))
    result = session.execute(
        update(AnnouncementDelivery)
        .where(col(AnnouncementDelivery.claimed_by) == worker, col(AnnouncementDelivery.state) == OutboxState.PENDING)
        .values(claimed_until=None))
    return released + int(getattr(result, "rowcount", 0) or 0)


def current_holder(session: Session, /) -> str | None:
    """Return who holds the send lease now (None: no process is sending)."""
    return lease_holder(session, now=wall_now())


class SendBudget:
    """Keep the lease while this process can, and send what is due whenever it holds it."""

    def __init__(self, db: Database, dispatcher: Dispatcher, *, holder: str, ttl: float = LEASE_TTL,
                 renew_every: float = RENEW_EVERY, look_every: float = LOOK_EVERY) -> None:
        self.db, self.dispatcher, self.holder = db, dispatcher, holder
        self.ttl, self.renew_every, self.look_every = ttl, renew_every, look_every
        self._valid_until = 0.0  # monotonic: past it, we no longer count as the holder (a renewal may hang)
        self._stopped = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        dispatcher.may_claim = self.holds

    def holds(self) -> bool:
        """Say whether this process holds the lease (with a margin, in case the last renewal was slow)."""
        return not self._stopped.is_set() and time.monotonic() < self._valid_until

    async def renew(self) -> bool:
        """Take or renew the lease once; return whether this process holds it."""
        started = time.monotonic()
        try:
            got = await self.db.run(take_lease, holder=self.holder, now=wall_now(), ttl=self.ttl)
        except Exception as exc:  # noqa: BLE001  a database hiccup: not the holder until the next renewal works
            log.warning("could not renew the send lease: %s", type(exc).__name__, extra={"event": "lease_error"})
            got = False
        was = self.holds()
        self._valid_until = started + self.ttl - self.renew_every if got else 0.0
        if got != was:
            log.info("%s the send lease", "took" if got else "lost", extra={"event": "lease", "holder": self.holder})
        return got

    def start(self) -> None:
        """Start renewing and sending in the background."""
        self._tasks = [asyncio.create_task(self._renew_loop()), asyncio.create_task(self._send_loop())]

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopped.wait()

    async def _renew_loop(self) -> None:
        while not self._stopped.is_set():
            await self.renew()
            await self._sleep(self.renew_every)

    async def _send_loop(self) -> None:
        while not self._stopped.is_set():
            if self.holds():
                try:
                    await self.dispatcher.run_once()
                except Exception:  # noqa: BLE001  logged; the next look tries again
                    log.exception("sending due messages failed", extra={"event": "dispatch_error"})
            await self._sleep(self.look_every)

    async def stop(self) -> None:
        """Claim nothing new, let sends in flight finish (or cancel them), hand back the rest, give up the lease."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.dispatcher.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_WITHIN)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            async with asyncio.timeout(1.0):
                released = await self.db.run(release_all, self.dispatcher.worker)
                await self.db.run(drop_lease, holder=self.holder)
            log.info("stopped sending: %d unsent messages handed back", released, extra={"event": "send_stopped"})
        except Exception as exc:  # noqa: BLE001  the claims lapse on their own after delivery.CLAIM_FOR
            log.warning("could not hand back claims on stop: %s", type(exc).__name__, extra={"event": "stop_release"})
