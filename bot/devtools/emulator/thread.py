"""``EmulatorThread``: a BotAPIEmulator on its own event loop in a background thread.

For tests and benchmarks where the bot runs in another process (CLI subprocess tests) or on
another event loop::

    with EmulatorThread() as emu_thread:
        env = {"TELEGRAM_API_BASE_URL": emu_thread.base_url, ...}
        proc = subprocess.Popen([...], env=env)
        emu_thread.call(emu_thread.emu.send_text, 1001, "/start ABC123")
        reply = emu_thread.call(emu_thread.emu.wait_for_message, 1001, None, 10.0, after=0)
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any

from .server import BotAPIEmulator


class EmulatorThread:
    """Runs ``BotAPIEmulator(token, **emulator_kwargs)`` on a background thread (context manager)."""

    def __init__(self, token: str = "123456:TEST", *, port: int = 0, **emulator_kwargs: Any) -> None:
        self.emu = BotAPIEmulator(token, **emulator_kwargs)
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> EmulatorThread:
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the emulator did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("the emulator failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.emu.base_url

    @property
    def base_file_url(self) -> str:
        return self.emu.base_file_url

    @property
    def control_url(self) -> str:
        return self.emu.control_url

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the emulator's loop and return its result.

        ``fn`` may be a plain function (e.g. ``emu.send_text``) or a coroutine function (e.g.
        ``emu.wait_for_message``); exceptions propagate to the caller.
        """
        if self._loop is None or self._thread is None:
            raise RuntimeError("the emulator thread is not running")

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self.emu.start(self._port))
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.emu.stop())
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()
