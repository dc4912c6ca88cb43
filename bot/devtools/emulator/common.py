"""Small building blocks shared by the emulator modules: API errors, change notification, limits."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .markup import utf16_len

__all__ = [
    "ApiError",
    "Fault",
    "FaultInjector",
    "Notifier",
    "SlidingWindow",
    "Upload",
    "command_entities",
    "now",
    "utf16_len",
    "utf16_offset",
]

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")


def now() -> int:
    """Unix time in seconds, the unit of every ``date`` field."""
    return int(time.time())


def utf16_offset(text: str, index: int) -> int:
    """UTF-16 offset of the Python string index ``index`` (Telegram counts UTF-16 code units)."""
    return utf16_len(text[:index])


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities like Telegram marks them ("/start ABC" -> offset 0, length 6)."""
    return [
        {"type": "bot_command", "offset": utf16_offset(text, m.start()), "length": utf16_len(m.group(0))}
        for m in _COMMAND_RE.finditer(text)
    ]


class ApiError(Exception):
    """An error response of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str | None = None, *, retry_after: int | None = None):
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
            )
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class Upload:
    """A file part of a multipart request (PTB uploads files this way)."""

    filename: str
    content_type: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data)}


class Notifier:
    """Wake every coroutine waiting for "something changed" (one fresh Event per generation)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, max_wait: float) -> bool:
        """Wait for the next :meth:`notify`; False if ``max_wait`` seconds passed first."""
        event = self._event
        try:
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation of the caller.
            async with asyncio.timeout(max(max_wait, 0.0)):
                await event.wait()
        except TimeoutError:
            return False
        return True


class SlidingWindow:
    """At most ``rate`` events per second, measured over a sliding window.

    For ``rate >= 1`` the window is one second holding ``floor(rate)`` events; for slower rates the
    window grows (``rate=0.5`` -> one event per two seconds).
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.capacity = max(1, int(rate))
        self.window = self.capacity / rate
        self._stamps: deque[float] = deque()

    def wait_time(self, at: float) -> float:
        """Seconds until one more event is allowed (0.0 if allowed now)."""
        while self._stamps and self._stamps[0] <= at - self.window:
            self._stamps.popleft()
        if len(self._stamps) < self.capacity:
            return 0.0
        return self._stamps[0] + self.window - at

    def record(self, at: float) -> None:
        self._stamps.append(at)


class RateLimiter:
    """Telegram-like flood control: a global window plus one window per chat."""

    def __init__(self, global_rate: float, per_chat_rate: float) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self._global = SlidingWindow(global_rate)
        self._chats: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int) -> None:
        """Record one send to ``chat_id`` or raise a 429 :class:`ApiError` (retry_after >= 1)."""
        at = time.monotonic()
        chat = self._chats.setdefault(chat_id, SlidingWindow(self.per_chat_rate))
        wait = max(self._global.wait_time(at), chat.wait_time(at))
        if wait > 0:
            raise ApiError(429, retry_after=max(1, math.ceil(wait)))
        self._global.record(at)
        chat.record(at)


@dataclass
class Fault:
    method: str  # lower-case method name
    chat_id: int | None
    error: ApiError
    remaining: int


class FaultInjector:
    """Errors queued by tests with :meth:`BotAPIEmulator.fail_next`."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        *,
        chat_id: int | None,
        error_code: int,
        description: str | None,
        retry_after: int | None,
        times: int,
    ) -> None:
        error = ApiError(error_code, description, retry_after=retry_after)
        self._faults.append(Fault(method.lower(), chat_id, error, times))

    def take(self, method: str, chat_id: Any) -> ApiError | None:
        """The error to answer this call with, if a queued fault matches it (consumes one use)."""
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return fault.error
        return None

    def clear(self) -> None:
        self._faults.clear()
