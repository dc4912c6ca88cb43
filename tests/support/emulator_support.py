"""What the emulator's own tests share: a bare python-telegram-bot ``Application`` built on the emulator and run
polling it (or receiving its webhook), an echo handler, and raw HTTP calls to the emulator.

A bare Application, with only the handlers a test gives it: the real bot against the emulator is
``tests.support.botharness.running_bot``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseHandler, ContextTypes, MessageHandler, filters

from bot.devtools.emulator import BotAPIEmulator

Ctx = ContextTypes.DEFAULT_TYPE


def build_app(emu: BotAPIEmulator, token: str | None = None) -> Application[Any, Any, Any, Any, Any, Any]:
    """A PTB Application pointed at the emulator (not started)."""
    builder = ApplicationBuilder().token(token or emu.token).base_url(emu.base_url)
    return builder.base_file_url(emu.base_file_url).build()


@contextlib.asynccontextmanager
async def running_bot(
    emu: BotAPIEmulator, *handlers: BaseHandler[Any, Any, Any], webhook: dict[str, Any] | None = None
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A real PTB Application polling the emulator (or receiving its webhook)."""
    app = build_app(emu)
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        if webhook is None:
            await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        else:
            await app.updater.start_webhook(**webhook)  # type: ignore[union-attr]
        try:
            yield app
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()


async def echo(update: Update, context: Ctx) -> None:
    """Answer a text with the same text."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


ECHO = MessageHandler(filters.TEXT, echo)


async def raw_call(
    emu: BotAPIEmulator, method: str, *, token: str | None = None, form: bool = False, **params: Any
) -> tuple[int, dict[str, Any]]:
    """Call the emulator like any HTTP client would (JSON or urlencoded form body)."""
    url = f"{emu.base_url}{token or emu.token}/{method}"
    async with aiohttp.ClientSession() as session:
        body: dict[str, Any] = {"data": params} if form else {"json": params}
        async with session.post(url, **body) as response:
            return response.status, await response.json()


def update_ids(body: dict[str, Any]) -> list[int]:
    """The ids of the updates in a getUpdates answer."""
    return [update["update_id"] for update in body["result"]]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
