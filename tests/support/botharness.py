"""Run the real bot (PTB Application + our poller) against the Bot API emulator, inside a test, and read what a
chat received: a button's data, a message that says something, a student who has joined."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from bot.config import Settings
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator, EmuUser
from bot.telegram import sending
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.polling import SafePoller
from storage.db import Database


def settings_for(emu: BotAPIEmulator, db: Database, **overrides: Any) -> Settings:
    """Settings pointing the bot at the emulator and the test database (no .env file)."""
    return Settings(
        _env_file=None,
        telegram_bot_token=emu.token,
        telegram_api_base_url=emu.base_url,  # type: ignore[call-arg]
        database_url=db.url,
        **overrides,
    )


@asynccontextmanager
async def running_bot(emu: BotAPIEmulator, db: Database, env: Env, **overrides: Any) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start the bot, polling the emulator; stop it cleanly afterwards."""
    app = build_application(settings_for(emu, db, **overrides), db, env)
    async with app:
        if app.post_init is not None:  # run_polling would call it; we feed updates ourselves
            await app.post_init(app)
        await app.start()
        poller = SafePoller(app, timeout=1, allowed_updates=ALLOWED_UPDATES)
        task = asyncio.create_task(poller.run())
        try:
            yield app
        finally:
            poller.stop()
            await task
            await sending.stop(app)
            await app.stop()


def button(message: dict[str, Any], label: str) -> str:
    """The callback data of the button with this label."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if b["text"] == label:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} on {(message.get('plain_text') or '')[:60]!r}")


def has(text: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for ``wait_for_message``: the message (or its caption) contains ``text``."""
    return lambda m: text in (m["plain_text"] or m["plain_caption"] or "")


async def join(emu: BotAPIEmulator, cohort: Any, user_id: int = 1001, name: str = "Anna") -> EmuUser:
    """A student who opens the invite link and says yes to both choices, in the emulator."""
    student = emu.user(user_id, name, name.lower())
    await student.say(f"/start {cohort.invite_code}")
    choice = await student.wait_for_message(has("Choice 1"), after=0)
    await student.click(choice["message_id"], button(choice, "Yes, I'll take part"))
    research = await student.wait_for_message(has("Choice 2 of 2"), after=0)
    await student.click(research["message_id"], button(research, "Yes, you may use them"))
    await student.wait_for_message(has("you're all set"), after=0)
    return student
