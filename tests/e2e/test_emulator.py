"""The Bot API emulator as a server, exercised with the real python-telegram-bot ``Application`` over HTTP:
updates by long polling and by webhook, its HTTP layer, and serving from a thread or as a process of its own.

What PTB sees of Telegram's errors and rate limits is in test_emulator_errors, a student's side (buttons, replies,
media, files) in test_emulator_students, the markup parser in test_emulator_markup; the bare Application and the
raw calls they share in tests/support/emulator_support.py, the ``emu`` fixture in tests/e2e/conftest.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken
from telegram.ext import MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.devtools.emulator import BotAPIEmulator, EmulatorThread
from bot.devtools.emulator.client import ControlClient
from bot.devtools.emulator.client import main as client_main
from tests.support.emulator_support import ECHO, Ctx, echo, free_port, raw_call, running_bot, update_ids
from tests.support.paths import ROOT


# ---------------------------------------------------------------------------------------- updates
async def test_updates_are_delivered_once_and_confirmed_forever(emu: BotAPIEmulator) -> None:
    delivered: list[int] = []

    async def record(update: Update, context: Ctx) -> None:
        delivered.append(update.update_id)
        await echo(update, context)

    async with running_bot(emu, MessageHandler(filters.TEXT, record)):
        for i in range(5):
            emu.send_text(1001, f"message {i}")
        await emu.wait_until(lambda: len(emu.messages_to(1001)) == 5)
        await emu.wait_until_confirmed()
    assert [m["text"] for m in emu.messages_to(1001)] == [f"message {i}" for i in range(5)]
    assert len(delivered) == len(set(delivered)) == 5
    # A restarted bot gets only what is new: the confirmed updates are gone for good.
    delivered.clear()
    async with running_bot(emu, MessageHandler(filters.TEXT, record)):
        emu.send_text(1001, "after restart")
        await emu.wait_for_message(1001, lambda m: m["text"] == "after restart", after=5)
    assert len(delivered) == 1
    assert emu.pending_updates() == 0


async def test_offset_limit_and_negative_offset_semantics(emu: BotAPIEmulator) -> None:
    for text in ("a", "b", "c", "d"):
        emu.send_text(1001, text)
    first, second, third, fourth = (u["update_id"] for u in emu.updates)
    status, body = await raw_call(emu, "getUpdates")
    assert status == 200 and update_ids(body) == [first, second, third, fourth]
    _, body = await raw_call(emu, "getUpdates")  # nothing confirmed yet: same updates again
    assert update_ids(body) == [first, second, third, fourth]
    _, body = await raw_call(emu, "getUpdates", offset=second, limit=2)
    assert update_ids(body) == [second, third]
    _, body = await raw_call(emu, "getUpdates", offset=0)  # `first` was confirmed: gone forever
    assert update_ids(body) == [second, third, fourth]
    _, body = await raw_call(emu, "getUpdates", offset=-1)  # the last one only, older are forgotten
    assert update_ids(body) == [fourth]
    assert emu.pending_updates() == 1
    _, body = await raw_call(emu, "getUpdates", offset=fourth + 1, timeout=0)
    assert body == {"ok": True, "result": []}
    assert emu.pending_updates() == 0


async def test_allowed_updates_filters_update_types(emu: BotAPIEmulator) -> None:
    emu.send_text(1001, "text")
    emu.send_location(1001)
    emu.member_update(1001, "member", "kicked")
    _, body = await raw_call(emu, "getUpdates", allowed_updates=["my_chat_member"])
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["my_chat_member"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(emu: BotAPIEmulator) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(raw_call(emu, "getUpdates", timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    emu.send_text(1001, "hello")
    status, body = await asyncio.wait_for(poll, 2)
    assert status == 200 and body["result"][0]["message"]["text"] == "hello"
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    _, body = await raw_call(emu, "getUpdates", offset=body["result"][0]["update_id"] + 1, timeout=0.3)
    assert body["result"] == [] and 0.25 < time.monotonic() - started < 1.5


async def test_a_second_poller_terminates_the_first_with_conflict(emu: BotAPIEmulator) -> None:
    first = asyncio.create_task(raw_call(emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    await raw_call(emu, "getUpdates", timeout=0)
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other getUpdates")


# ---------------------------------------------------------------------------------------- HTTP layer
async def test_wrong_token_unknown_method_and_body_formats(emu: BotAPIEmulator) -> None:
    status, body = await raw_call(emu, "getMe", token="999:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw_call(emu, "sendTelepathy", chat_id=1)
    assert status == 404 and body["description"] == "Not Found: method not found"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    status, body = await raw_call(
        emu, "sendMessage", form=True, chat_id="1001", text="123", reply_markup=json.dumps(markup)
    )
    assert status == 200 and body["result"]["text"] == "123" and body["result"]["reply_markup"] == markup
    status, body = await raw_call(emu, "SENDMESSAGE", chat_id=1001, text="json body")  # case-insensitive
    assert status == 200 and emu.last_message_to(1001)["text"] == "json body"
    requests = (HTTPXRequest(), HTTPXRequest())
    bot = Bot("999:WRONGTOKEN", base_url=emu.base_url, request=requests[0], get_updates_request=requests[1])
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:  # a failed initialize() leaves PTB's HTTP clients open; a failed Application would too
        for request in requests:
            await request.shutdown()


# ---------------------------------------------------------------------------------------- webhook
async def test_webhook_mode_with_ptb_and_secret_token(emu: BotAPIEmulator) -> None:
    port = free_port()
    webhook = {
        "listen": "127.0.0.1",
        "port": port,
        "url_path": "hook",
        "webhook_url": f"http://127.0.0.1:{port}/hook",
        "secret_token": "s3cret-Token_1",
    }
    async with running_bot(emu, ECHO, webhook=webhook) as app:
        assert emu.webhook is not None and emu.webhook.secret_token == "s3cret-Token_1"
        reply = await emu.user(1001).say("via webhook")
        assert reply["text"] == "via webhook"
        with pytest.raises(Conflict, match="webhook is active"):
            await app.bot.get_updates()
        info = await app.bot.get_webhook_info()
        assert info.url == webhook["webhook_url"] and info.pending_update_count == 0


async def test_webhook_delivery_retries_until_accepted(emu: BotAPIEmulator) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        status, _ = await raw_call(emu, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="abc")
        assert status == 200
        sent = emu.send_text(1001, "hello hook")
        await emu.wait_until_confirmed()
    finally:
        await runner.cleanup()
    assert len(received) == 2 and all(secret == "abc" for secret, _ in received)
    assert received[1][1]["message"] == sent
    _, info = await raw_call(emu, "getWebhookInfo")
    assert info["result"]["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    status, _ = await raw_call(emu, "getUpdates")
    assert status == 409
    await raw_call(emu, "deleteWebhook")
    status, _ = await raw_call(emu, "getUpdates")
    assert status == 200


# ---------------------------------------------------------------------------------------- other processes
async def test_emulator_thread_serves_a_bot_on_another_loop(capsys: pytest.CaptureFixture[str]) -> None:
    with EmulatorThread() as thread:
        async with running_bot(thread.emu, ECHO):
            client = ControlClient(thread.base_url)
            await asyncio.to_thread(client.send_text, 1001, "ping")
            reply = await asyncio.to_thread(client.wait_message, 1001, 0, 5.0)
            assert reply["text"] == "ping"
            sent = thread.call(thread.emu.send_text, 1001, "pong")
            assert sent["text"] == "pong"
            reply = await asyncio.to_thread(thread.call, thread.emu.wait_for_message, 1001, None, 5.0, after=1)
            assert reply["text"] == "pong"
            argv = ["--url", thread.base_url, "--user", "1002", "--quiet", "0.2", "scripted hello"]
            await asyncio.to_thread(client_main, argv)
    assert "bot> #2 scripted hello" in capsys.readouterr().out


def test_standalone_server_prints_its_url_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.devtools.emulator", "--port", "0", "--limits"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
        assert first_line.startswith("Bot API emulator listening on http://127.0.0.1:")
        base_url = first_line.split()[-1]
        control = base_url.removesuffix("/bot") + "/_emu"
        request = urllib.request.Request(f"{control}/send_text", data=b'{"user_id": 7, "text": "/start"}')
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["result"]["text"] == "/start"
        with urllib.request.urlopen(f"{control}/state", timeout=5) as response:
            assert json.loads(response.read())["result"]["pending_updates"] == 1
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0
