"""Long polling that never confirms an update to Telegram before it is handled or safely stored.

PTB's own Updater asks for the next batch (which confirms the last one) as soon as it has queued the updates,
before any handler ran: a crash then loses them. Here each batch is first written to the update inbox
(``storage.inbox``, one INSERT per batch) and only then confirmed; a handled update's row is deleted. After a
crash (SIGKILL included) the rows left in the inbox are handled at start-up, in order, before anything new.

Without head-of-line blocking: updates go into per-chat lanes (``bot.telegram.lanes``) and polling does not wait
for them, so one chat waiting out 429s holds up only itself. Because the inbox lets the offset move past updates
still being handled, even a chat with hundreds of updates waiting cannot pin Telegram's 100-update window.
Without a database (``db=None``, tests of the poller alone) the offset stays at the oldest unhandled update and
updates already taken are skipped when Telegram offers them again.

The inbox is a convenience, never a gate: no step of the poll loop waits on the database for longer than
INBOX_WAIT. With the database away, reading what a crash left is retried in the background while new updates are
fetched and handled (a risk message's support reply must not wait for storage); a batch that can't be stored is
handled anyway and confirmed to Telegram only once handled; deleting handled rows runs beside the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.context import DB_KEY, BotApp
from bot.telegram.lanes import ChatLanes
from storage.db import Database
from storage.inbox import forget_updates, keep_updates, unhandled_updates

log = logging.getLogger(__name__)

STALE_BATCH_WAIT = 0.1  # a batch with nothing new: wait this long (or until an update is done) before asking again
STOP_GRACE = 2.5  # on stop, seconds to let updates in hand finish before confirming what is done
FORGET_EVERY = 0.5  # seconds between deleting the inbox rows of handled updates (one DELETE for all of them)
# How long the poll loop waits for the inbox. With the database away, the updates are handled anyway (a risk
# message's support reply must not wait for storage) and confirmed to Telegram only once handled, as without an inbox.
INBOX_WAIT = 2.0
RESUME_RETRY = 5.0  # seconds between attempts to read what a crash left, while the database is away


class SafePoller:
    """Fetch, hand to the chat lanes, confirm only what is handled."""

    def __init__(self, app: BotApp, *, timeout: int = 25, limit: int = 100,
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
        found = app.bot_data.get(DB_KEY)
        self.db: Database | None = found if isinstance(found, Database) else None
        self._handled: list[int] = []  # inbox rows to delete
        self._unstored: set[int] = set()  # taken while the inbox could not be written: confirm only once handled
        self._forgot_at = 0.0
        self._forgetting: asyncio.Task[None] | None = None
        self._resuming: asyncio.Task[None] | None = None
        self._first_fetched: int | None = None  # the lowest update id fetched by this process

    def stop(self) -> None:
        """Ask the loop to stop fetching; updates in hand get STOP_GRACE seconds to finish."""
        self._stop.set()

    def next_offset(self) -> int | None:
        """The offset to ask with: one past the newest stored (inbox), else the oldest in hand or past the newest."""
        if self._pending and self.db is None:
            return min(self._pending)
        waiting = self._unstored & self._pending
        if waiting:
            return min(waiting)
        return None if self._highest is None else self._highest + 1

    async def run(self) -> None:
        """Poll until stopped."""
        await self.app.bot.delete_webhook()
        self.on_alive()  # Telegram took the token; the first long poll may take ``timeout`` seconds to return
        delay = 1.0
        if self.db is not None and not await self._resume():
            self._resuming = asyncio.create_task(self._resume_later())
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
                if not await self._take(updates) and updates:
                    await self._wait_for_progress(STALE_BATCH_WAIT)  # only old ones came back: don't spin
                await self._forget()
        finally:
            await self._finish()

    async def _resume(self) -> bool:
        """Handle first what a crash left in the inbox, in update order; False if the inbox can't be read now."""
        assert self.db is not None
        try:
            async with asyncio.timeout(INBOX_WAIT):
                rows = await self.db.run_once(unhandled_updates)
        except Exception as exc:  # noqa: BLE001  the database is away: poll now, read the inbox once it's back
            log.warning("could not read the update inbox (%s); polling without it, reading it again every %.0fs",
                        type(exc).__name__, RESUME_RETRY, extra={"event": "inbox_unavailable"})
            return False
        updates = [u for u in (Update.de_json(json.loads(payload), self.app.bot) for _, payload in rows) if u]
        # Telegram offers again what was stored but not confirmed before the crash: polling takes those itself
        late = [u for u in updates if self._first_fetched is None or u.update_id < self._first_fetched]
        if late:
            log.info("handling %d updates left from before the restart", len(late), extra={"event": "inbox_resume"})
        self._submit(late, old=self._highest is not None)
        return True

    async def _resume_later(self) -> None:
        while not self._stop.is_set():
            await self._sleep(RESUME_RETRY)
            if self._stop.is_set() or await self._resume():
                return

    async def _take(self, updates: tuple[Update, ...]) -> int:
        """Store the new updates of a batch (inbox), then hand them to their lanes; return how many were new."""
        if updates and self._first_fetched is None:
            self._first_fetched = min(u.update_id for u in updates)
        new = [u for u in updates if self._highest is None or u.update_id > self._highest]
        if new and self.db is not None:
            rows = [(u.update_id, json.dumps(u.to_dict(), default=str)) for u in new]
            try:
                async with asyncio.timeout(INBOX_WAIT):  # one attempt: no worker keeps retrying once we gave up
                    await self.db.run_once(keep_updates, rows, now=datetime.now(UTC))
            except Exception as exc:  # noqa: BLE001  the database is away: handle them, confirm them once handled
                log.warning("could not store %d update(s) in the inbox (%s); handling them anyway", len(rows),
                            type(exc).__name__, extra={"event": "inbox_unavailable"})
                self._unstored.update(u.update_id for u in new)
        self._submit(new)
        return len(new)

    def _submit(self, updates: list[Update], *, old: bool = False) -> None:
        """Hand updates to their lanes; ``old``: inbox rows read after polling began (below what it fetched)."""
        for update in updates:
            uid = update.update_id
            if old:
                if uid in self._pending:
                    continue
            elif self._highest is not None and uid <= self._highest:
                continue  # taken before: in hand or handled
            else:
                self._highest = uid
            self._pending.add(uid)
            self._lanes.submit(update).add_done_callback(self._done_callback(uid))

    def _done_callback(self, uid: int) -> Callable[[asyncio.Future[None]], None]:
        def done(_future: asyncio.Future[None]) -> None:
            self._pending.discard(uid)
            self._unstored.discard(uid)
            self._handled.append(uid)
            self.processed += 1
            self._progress.set()

        return done

    async def _forget(self, *, now: bool = False) -> None:
        """Delete the inbox rows of handled updates (at most every FORGET_EVERY seconds, one statement).

        Beside the loop, never in it: with the database away the next getUpdates must not wait for the DELETE.
        ``now`` (stopping) waits for it, at most INBOX_WAIT seconds.
        """
        if self._forgetting is not None and not self._forgetting.done():
            if now:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(INBOX_WAIT):
                        await asyncio.shield(self._forgetting)
            if not self._forgetting.done():
                return
        if self.db is None or not self._handled or (not now and time.monotonic() - self._forgot_at < FORGET_EVERY):
            return
        ids, self._handled = self._handled, []
        self._forgot_at = time.monotonic()
        self._forgetting = asyncio.create_task(self._delete(self.db, ids))
        if now:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(INBOX_WAIT):
                    await asyncio.shield(self._forgetting)

    async def _delete(self, db: Database, ids: list[int]) -> None:
        try:
            await db.run_once(forget_updates, ids)
        except Exception as exc:  # noqa: BLE001  kept for the next try; a row left behind is handled again, idempotently
            self._handled[:0] = ids
            self._forgot_at = time.monotonic() + RESUME_RETRY  # don't hammer a database that is away
            log.warning("could not clear handled updates: %s", type(exc).__name__, extra={"event": "inbox_forget"})

    async def _process(self, update: Update) -> None:
        await self.app.process_update(update)

    async def _wait_for_progress(self, seconds: float) -> None:
        self._progress.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._progress.wait()

    async def _fetch(self) -> tuple[Update, ...]:
        wait = 0 if self._pending and self.db is None else self.timeout  # without an inbox, old ones come back
        fetch = asyncio.ensure_future(self.app.bot.get_updates(
            offset=self.next_offset(), timeout=wait, limit=self.limit,
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
            log.info("stopping with %d updates unfinished: they are handled after the restart",
                     len(self._pending), extra={"event": "poll_unfinished"})
        if self._resuming is not None:
            self._resuming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._resuming
        await self._forget(now=True)
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
