"""Send due deliveries within Telegram's limits: paced under 30 messages/s, 429s honoured, 403s recorded.

Pacing is by fixed slots (one send every 1/rate seconds) rather than bursts, so no one-second window ever
holds more than ``rate`` messages; sends overlap in flight, so slow responses don't lower the rate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.context import Env
from bot.core.delivery import delivery
from bot.core.delivery.delivery import Blocked, Outgoing, Permanent, RetryLater, SendError, Transient
from bot.core.replies import Reply
from storage.db import Database

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, chat_id: int, reply: Reply) -> int:
        """Send one message; return its message id or raise a delivery.SendError."""
        ...


@dataclass
class DispatchStats:
    sent: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)


class Ticket:
    """One send slot; ``done()`` when the send came back (accepted or refused)."""

    __slots__ = ("finished", "_event")

    def __init__(self) -> None:
        self.finished: float | None = None
        self._event = asyncio.Event()

    def done(self) -> None:
        if self.finished is None:
            self.finished = time.monotonic()
            self._event.set()

    async def wait(self) -> float:
        await self._event.wait()
        assert self.finished is not None
        return self.finished


class Pacer:
    """Hands out send slots ``1/rate`` seconds apart; a 429 pushes every later slot back.

    Waiters pass one at a time. The slots keep to their schedule (no drift from sleeping a little long), but
    after a stall of the event loop (GC, a busy database thread) the sends behind it go out spaced, never in a
    catch-up burst: a burst after a stall is what pushes a one-second window past Telegram's 30.

    Even spacing is not enough on a busy machine: a request handed its slot on time can reach Telegram late and
    arrive just before the next ones. So a slot is also held until one second after the send ``window`` slots
    earlier came back. That send arrived before it came back and this one arrives after it starts, so any one
    second at Telegram holds at most ``window`` (30) of our messages, however late some of them travel.
    """

    def __init__(self, rate: float, *, window: int = 30) -> None:
        self.interval = 1.0 / rate
        self.window = window
        self._next = time.monotonic()
        self._held_until = 0.0
        self._lock = asyncio.Lock()
        self._closed = asyncio.Event()
        self._recent: deque[Ticket] = deque(maxlen=window)

    async def slot(self) -> Ticket | None:
        """Wait for the next send slot; None at once when the pacer was closed (a stop)."""
        async with self._lock:
            wait = max(self._next, self._held_until) - time.monotonic()
            if wait > 0 and await self._closing(wait):
                return None
            if len(self._recent) == self.window:  # the send ``window`` slots back must be back a second ago
                oldest = self._recent[0]
                if oldest.finished is None and await self._closing_or(oldest):
                    return None
                wait = (oldest.finished or 0.0) + 1.0 - time.monotonic()
                if wait > 0 and await self._closing(wait):
                    return None
            held = self._held_until - time.monotonic()
            if held > 0 and await self._closing(held):  # a 429 arrived while this sender waited
                return None
            if self._closed.is_set():
                return None
            self._next = max(self._next + self.interval, time.monotonic() + self.interval / 2)
            ticket = Ticket()
            self._recent.append(ticket)
            return ticket

    async def _closing(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._closed.wait()
        except TimeoutError:
            return False
        return True

    async def _closing_or(self, ticket: Ticket) -> bool:
        """Wait for a send to come back; return True if the pacer was closed first."""
        back = asyncio.ensure_future(ticket.wait())
        closed = asyncio.ensure_future(self._closed.wait())
        await asyncio.wait({back, closed}, return_when=asyncio.FIRST_COMPLETED)
        back.cancel()
        closed.cancel()
        return ticket.finished is None

    def hold(self, seconds: float) -> None:
        self._held_until = max(self._held_until, time.monotonic() + seconds)

    def close(self) -> None:
        """Hand out no more slots; every waiter returns None now."""
        self._closed.set()


class Dispatcher:
    """Claims due deliveries and sends them; safe to run in several processes at once.

    ``may_claim`` says whether this process may send bulk messages right now (it holds the bot's send lease, see
    ``bot.core.delivery.send_budget``); without it nothing is claimed. After ``stop()`` nothing new is claimed or sent.
    """

    def __init__(self, db: Database, env: Env, sender: Sender, *, worker: str, rate: float = 29.0,
                 in_flight: int = 16, batch: int = 200) -> None:
        self.db, self.env, self.sender, self.worker = db, env, sender, worker
        self.pacer = Pacer(rate)
        self.batch = batch
        self._sem = asyncio.Semaphore(in_flight)
        self._running = asyncio.Lock()
        self.may_claim: Callable[[], bool] = lambda: True
        self.stopping = False
        self.sent_total = 0  # messages this dispatcher sent, over its life

    def stop(self) -> None:
        """Claim nothing new and send nothing more; what is claimed but unsent is released by the caller."""
        self.stopping = True
        self.pacer.close()

    def claiming(self) -> bool:
        """Say whether this process may claim rows now."""
        return not self.stopping and self.may_claim()

    async def run_once(self, *, cohort_id: int | None = None, settle: float = 0.0) -> DispatchStats:
        """Send everything due now; with ``settle``, also wait up to that long for retries falling due."""
        stats = DispatchStats()
        async with self._running:
            if not self.claiming():
                return stats
            await self.db.run(delivery.expire_overdue, self.env)
            while self.claiming():
                ids = await self.db.run(delivery.claim, self.env, self.worker, limit=self.batch, cohort_id=cohort_id)
                if not ids:
                    wait = await self.db.run(delivery.seconds_to_next_retry, self.env, cohort_id=cohort_id)
                    if wait is None or wait > settle:
                        break
                    await asyncio.sleep(max(wait, 0.05))
                    continue
                tasks = [asyncio.create_task(self._one(i, stats)) for i in ids]
                await asyncio.gather(*tasks)
        return stats

    async def _one(self, delivery_id: int, stats: DispatchStats) -> None:
        async with self._sem:
            out = await self.db.run(delivery.prepare, self.env, delivery_id)
            ticket = None if out is None or self.stopping else await self.pacer.slot()
            if out is None or ticket is None:
                return  # stopping: the claim is released and the row goes out after the restart
            try:
                await self._send(out, stats, ticket)
            finally:
                ticket.done()

    async def _send(self, out: Outgoing, stats: DispatchStats, ticket: Ticket) -> None:
        message_id: int | None = None
        try:
            for reply in out.replies:
                message_id = await self.sender.send(out.chat_id, reply)
            ticket.done()  # back from Telegram: the next slots may count from now (marking it is our business)
        except RetryLater as exc:
            stats.rate_limited += 1
            self.pacer.hold(exc.seconds)
            await self.db.run(delivery.mark_retry, self.env, out.delivery_id, exc.seconds, str(exc))
            stats.retried += 1
            return
        except Blocked:
            stats.blocked += 1
            await self.db.run(delivery.mark_blocked, self.env, out.delivery_id)
            return
        except Transient as exc:
            stats.retried += 1
            await self.db.run(delivery.mark_retry, self.env, out.delivery_id, delivery.backoff(1), str(exc))
            return
        except (Permanent, SendError) as exc:
            stats.failed += 1
            stats.errors.append(str(exc))
            await self.db.run(delivery.mark_failed, self.env, out.delivery_id, str(exc))
            return
        await self.db.run(delivery.mark_sent, self.env, out.delivery_id, message_id)
        stats.sent += 1
        self.sent_total += 1
