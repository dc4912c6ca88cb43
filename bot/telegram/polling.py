"""Long polling that confirms an update to Telegram only after it has been handled.

PTB's own Updater asks for the next batch (which confirms the last one) as soon as it has queued the
updates, before any handler ran: a crash then loses them. Here the offset moves past a batch only when
every update in it has been processed, so an update fetched but not yet stored comes back after a crash.
Updates of one chat are handled in order; different chats in a batch are handled concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

log = logging.getLogger(__name__)


def _chat_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class SafePoller:
    """Fetch, handle, then confirm."""

    def __init__(self, app: Application, *, timeout: int = 25, limit: int = 100,  # type: ignore[type-arg]
                 allowed_updates: list[str] | None = None, on_alive: Callable[[], None] | None = None) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self.allowed_updates = allowed_updates
        self.offset: int | None = None
        self.processed = 0
        self._stop = asyncio.Event()
        self.on_alive = on_alive or (lambda: None)

    def stop(self) -> None:
        """Ask the loop to finish after the batch in hand."""
        self._stop.set()

    async def run(self) -> None:
        """Poll until stopped."""
        await self.app.bot.delete_webhook()
        self.on_alive()  # Telegram took the token; the first long poll may take ``timeout`` seconds to return
        delay = 1.0
        while not self._stop.is_set():
            try:
                updates = await self._fetch()
                self.on_alive()
                delay = 1.0
            except RetryAfter as exc:
                await self._sleep(float(exc.retry_after.total_seconds()  # type: ignore[union-attr]
                                        if hasattr(exc.retry_after, "total_seconds") else exc.retry_after))
                continue
            except InvalidToken:
                raise
            except (TimedOut, NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, delay, extra={"event": "poll_retry"})
                await self._sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if updates:
                await self.handle_batch(updates)
                self.offset = updates[-1].update_id + 1
        await self.confirm()

    async def _fetch(self) -> tuple[Update, ...]:
        fetch = asyncio.ensure_future(self.app.bot.get_updates(
            offset=self.offset, timeout=self.timeout, limit=self.limit, allowed_updates=self.allowed_updates,
            read_timeout=self.timeout + 10))
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()  # nothing fetched is lost: an unconfirmed update is offered again next time
            return ()
        stopper.cancel()
        return fetch.result()

    async def handle_batch(self, updates: tuple[Update, ...]) -> None:
        """Handle a batch: each chat's updates in order, chats side by side."""
        by_chat: dict[int, list[Update]] = defaultdict(list)
        for update in updates:
            by_chat[_chat_key(update)].append(update)

        async def one_chat(items: list[Update]) -> None:
            for update in items:
                await self.app.process_update(update)
                self.processed += 1

        await asyncio.gather(*(one_chat(items) for items in by_chat.values()))

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
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass
