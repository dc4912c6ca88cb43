"""PTB's AIORateLimiter, but a 429 pauses only the chat it was about.

PTB's limiter answers a ``RetryAfter`` by pausing *every* request of the bot until it has passed. Telegram's
per-chat limit (about one message a second to one chat) then turns one flooding stranger into a wait for every
student: replies, safeguarding answers and all. Here a 429 pauses that chat's requests only; a request with no
chat (getUpdates, getMe) still pauses alone. Group chats keep PTB's 20-per-minute limiter. Bulk sends are paced
by the dispatcher, which asks for no retries here (``rate_limit_args=NO_RETRY``; PTB drops a falsy 0) and holds
its own pacer on a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)
NO_RETRY = "no-retry"


class PerChatRateLimiter(AIORateLimiter):
    """Retry a 429 after its ``retry_after``, pausing only requests to the same chat meanwhile."""

    def __init__(self, *, max_retries: int = 2) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        self._paused_until: dict[object, float] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> bool | JSONDict | list[JSONDict]:
        max_retries = 0 if rate_limit_args == NO_RETRY else int(rate_limit_args or self._max_retries)
        chat_id: object = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[call-overload]
        group: int | str | bool = chat_id if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str) \
            else False
        for attempt in range(max_retries + 1):
            wait = self._paused_until.get(chat_id, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._run_request(chat=chat_id is not None, group=group, allow_paid_broadcast=False,
                                               callback=callback, args=args, kwargs=kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    raise
                retry = exc.retry_after
                seconds = float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry) + 0.1
                self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), time.monotonic() + seconds)
                log.info("429 for one chat: its requests wait %.1fs, the others go on", seconds,
                         extra={"event": "chat_rate_limited"})
            finally:
                if len(self._paused_until) > 10_000:  # forget pauses long past
                    now = time.monotonic()
                    self._paused_until = {k: v for k, v in self._paused_until.items() if v > now}
        raise AssertionError("unreachable")
