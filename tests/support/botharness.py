"""Run the real bot (PTB Application + our poller) against the Bot API emulator, inside a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from bot.config import Settings
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram import sending
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.polling import SafePoller
from storage.db import Database


def settings_for(emu: BotAPIEmulator, db: Database, **overrides: Any) -> Settings:
    """Settings pointing the bot at the emulator and the test database (no .env file)."""
    return Settings(_env_file=None, telegram_bot_token=emu.token, telegram_api_base_url=emu.base_url,  # type: ignore[call-arg]
                    database_url=db.url, **overrides)


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
