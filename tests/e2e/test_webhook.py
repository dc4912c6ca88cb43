"""Webhook mode: Telegram posts updates with the secret token; anything else is refused; /healthz reports."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.runner import serve
from storage.db import Database
from tests.support.botharness import settings_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_serves_students_and_checks_the_secret(db: Database, env: Env, cohort) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with BotAPIEmulator() as emu:
        settings = settings_for(emu, db, webhook_url=url, webhook_port=port, webhook_secret_token="s3cret-token-1234")
        stop = asyncio.Event()
        server = asyncio.create_task(serve(settings, db, env, webhook=True, stop=stop))
        try:
            await emu.wait_until(lambda: emu.webhook is not None, 10, what="setWebhook")
            assert emu.webhook is not None and emu.webhook.url == url
            dana = emu.user(4001, "Dana")
            reply = await dana.say(f"/start {cohort.invite_code}", timeout=10)
            assert "participant information" in reply["plain_text"]
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json={"update_id": 1}) as forged:
                    assert forged.status == 403
                async with http.post(
                    url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                ) as wrong:
                    assert wrong.status == 403
                async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                    assert health.status == 200
                    assert await health.json() == {"status": "ok", "webhook": "ok", "database": "ok"}
        finally:
            stop.set()
            await server
