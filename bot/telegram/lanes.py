"""Per-chat lanes: each chat's updates are handled one after another, in order; different chats side by side.

Shared by long polling and the webhook. A chat whose replies wait on Telegram (429s, a slow answer) only holds
up its own lane: the other students' updates go on being handled, and polling goes on fetching.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from telegram import Update

log = logging.getLogger(__name__)


def chat_key(update: Update) -> int:
    """The lane of an update: its chat, else its user (an inline query), else one shared lane."""
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


class ChatLanes:
    """Run ``handle(update)`` for each submitted update: in order within a chat, concurrently across chats."""

    def __init__(self, handle: Callable[[Update], Awaitable[object]]) -> None:
        self._handle = handle
        self._queues: dict[int, deque[tuple[Update, asyncio.Future[None]]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}

    def submit(self, update: Update) -> asyncio.Future[None]:
        """Queue an update in its chat's lane; the future is done once it was handled."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        key = chat_key(update)
        self._queues.setdefault(key, deque()).append((update, done))
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._drain(key))
        return done

    @property
    def busy(self) -> int:
        """How many chats have updates waiting or being handled."""
        return len(self._workers)

    async def _drain(self, key: int) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update, done = queue[0]
                try:
                    await self._handle(update)
                except Exception:  # noqa: BLE001  the Application's error handler already saw it; keep the lane going
                    log.exception("update %s could not be handled", update.update_id, extra={"event": "update_failed"})
                queue.popleft()
                if not done.done():
                    done.set_result(None)
        finally:
            del self._workers[key]
            if not queue:
                del self._queues[key]
