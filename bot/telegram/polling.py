"""Long polling that confirms an update to Telegram only after it, and every update before it, was handled.

PTB's own Updater asks for the next batch (which confirms the last one) as soon as it has queued the updates,
before any handler ran: a crash then loses them. Here ``getUpdates`` is always called with the offset of the
oldest update not yet handled, so nothing unhandled is ever confirmed and an update fetched but not yet stored
comes back after a crash (SIGKILL included).

Without head-of-line blocking: updates go into per-chat lanes (``bot.telegram.lanes``) and polling does not wait
for them. While an old update is still being handled the offset stays at it, so Telegram offers the updates after
it again; those already taken are recognised by their ``update_id`` and skipped, the new ones are handled at once.
One limit remains: a single lane holding the oldest update while 100 newer ones pile up (Telegram's batch limit)
waits for that lane before the 101st is seen; per-user flood control keeps one chat far below that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.telegram.lanes import ChatLanes

log = logging.getLogger(__name__)

STALE_BATCH_WAIT = 0.1  # a batch with nothing new: wait this long (or until an update is done) before asking again
STOP_GRACE = 3.0  # on stop, seconds to let updates in hand finish before confirming what is done


class SafePoller:
    """Fetch, hand to the chat lanes, confirm only what is handled."""

    def __init__(self, app: Application, *, timeout: int = 25, limit: int = 100,  # type: ignore[type-arg]
                 allowed_updates: list[str] | None = None, on_alive: Callable[[], None] | None = None) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self.allowed_updates = allowed_updates
        self.offset: int | None = None  # confirmed: every update below it was handled
        self.processed = 0
        self.on_alive = on_alive or (lambda: None)
        self._stop = asyncio.Event()
        self._lanes = ChatLanes(self._process)
        self._pending: set[int] = set()  # update ids taken and not yet handled
        self._highest: int | None = None  # the highest update id taken
        self._progress = asyncio.Event()  # set whenever an update finishes

    def stop(self) -> None:
        """Ask the loop to stop fetching; updates in hand get STOP_GRACE seconds to finish."""
        self._stop.set()

    def next_offset(self) -> int | None:
        """The offset to ask with: the oldest update in hand, or one past the newest taken."""
        if self._pending:
            return min(self._pending)
        return None if self._highest is None else self._highest + 1

    async def run(self) -> None:
        """Poll until stopped."""
        await self.app.bot.delete_webhook()
        self.on_alive()  # Telegram took the token; the first long poll may take ``timeout`` seconds to return
        delay = 1.0
        try:
            while not self._stop.is_set():
                try:
                    updates = await self._fetch()
                    self.on_alive()
                    delay = 1.0
                except RetryAfter as exc:
                    retry = exc.retry_after
                    await self._sleep(float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry))
                    continue
                except InvalidToken:
                    raise
                except (TimedOut, NetworkError, TelegramError) as exc:
                    log.warning("getUpdates failed (%s); retrying in %.0fs", exc, delay,
                                extra={"event": "poll_retry"})
                    await self._sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                if not self._take(updates) and updates:
                    await self._wait_for_progress(STALE_BATCH_WAIT)  # only old ones came back: don't spin
        finally:
            await self._finish()

    def _take(self, updates: tuple[Update, ...]) -> int:
        """Hand the new updates of a batch to their lanes; return how many were new."""
        new = 0
        for update in updates:
            uid = update.update_id
            if self._highest is not None and uid <= self._highest:
                continue  # taken before: in hand or handled
            self._highest = uid
            self._pending.add(uid)
            self._lanes.submit(update).add_done_callback(self._done_callback(uid))
            new += 1
        return new

    def _done_callback(self, uid: int) -> Callable[[asyncio.Future[None]], None]:
        def done(_future: asyncio.Future[None]) -> None:
            self._pending.discard(uid)
            self.processed += 1
            self._progress.set()

        return done

    async def _process(self, update: Update) -> None:
        await self.app.process_update(update)

    async def _wait_for_progress(self, seconds: float) -> None:
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._progress.wait()

    async def _fetch(self) -> tuple[Update, ...]:
        fetch = asyncio.ensure_future(self.app.bot.get_updates(
            offset=self.next_offset(), timeout=0 if self._pending else self.timeout, limit=self.limit,
            allowed_updates=self.allowed_updates, read_timeout=self.timeout + 10))
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()  # nothing fetched is lost: an unconfirmed update is offered again next time
            return ()
        stopper.cancel()
        return fetch.result()

    async def _finish(self) -> None:
        """Give the updates in hand a moment, then confirm everything handled before the oldest still open."""
        deadline = asyncio.get_running_loop().time() + STOP_GRACE
        while self._pending and asyncio.get_running_loop().time() < deadline:
            await self._wait_for_progress(deadline - asyncio.get_running_loop().time())
        if self._pending:
            log.info("stopping with %d updates unfinished: Telegram offers them again after the restart",
                     len(self._pending), extra={"event": "poll_unfinished"})
        self.offset = self.next_offset()
        await self.confirm()

    async def confirm(self) -> None:
        """Tell Telegram the handled updates are done (so they aren't offered again)."""
        if self.offset is None:
            return
        try:
            await self.app.bot.get_updates(offset=self.offset, timeout=0, limit=1,
                                           allowed_updates=self.allowed_updates)
        except TelegramError as exc:
            log.warning("could not confirm the last updates: %s", exc, extra={"event": "confirm_failed"})

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
