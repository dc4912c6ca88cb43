"""The bot's aiohttp transport for the Bot API, against the emulator: what PTB's httpx backend does, it does."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.http import AiohttpRequest


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        emulator.user(1001, "Ada")
        emulator.user(1002, "Ben")
        yield emulator


def bot_for(base_url: str, token: str, **kwargs: float) -> Bot:
    return Bot(
        token,
        base_url=base_url,
        base_file_url=base_url.removesuffix("/bot") + "/file/bot",
        request=AiohttpRequest(**kwargs),  # type: ignore[arg-type]
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


async def test_messages_buttons_and_files_arrive_as_sent(emu: BotAPIEmulator) -> None:
    async with bot_for(emu.base_url, emu.token) as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y:1")]])
        sent = await bot.send_message(1001, "<b>Week 1</b> &amp; you", parse_mode="HTML", reply_markup=keyboard)
        assert sent.text == "Week 1 & you" and sent.chat_id == 1001
        content = "step,text\nencounter,café ☕\n".encode()
        await bot.send_document(1001, InputFile(content, filename="my-data.csv"), caption="Your data")
    record = emu.last_message_to(1001)
    assert record["document"]["file_name"] == "my-data.csv"
    stored = emu.messages_to(1001)
    assert stored[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "y:1"
    async with bot_for(emu.base_url, emu.token) as bot:
        file = await bot.get_file(record["document"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == content


async def test_telegram_errors_map_to_the_same_exceptions(emu: BotAPIEmulator) -> None:
    async with bot_for(emu.base_url, emu.token) as bot:
        emu.fail_next("sendMessage", chat_id=1001, error_code=429, retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(1001, "flood")
        assert info.value.retry_after == dtm.timedelta(seconds=3)
        emu.block_user(1002)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(1002, "hello?")
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(1001, "   ")
        await bot.send_message(1001, "after the errors")
    assert [m["text"] for m in emu.messages_to(1001)] == ["after the errors"]


async def test_long_polling_waits_for_an_update(emu: BotAPIEmulator) -> None:
    async with bot_for(emu.base_url, emu.token) as bot:
        poll = asyncio.ensure_future(bot.get_updates(timeout=5, read_timeout=10))
        await asyncio.sleep(0.2)
        assert not poll.done()
        emu.send_text(1001, "a reply")
        updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["a reply"]


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    async with AiohttpRequest() as request:
        with pytest.raises(NetworkError, match="aiohttp.ClientConnectorError"):
            await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")


async def test_a_server_that_never_answers_times_out() -> None:
    release = asyncio.Event()

    async def stall(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", stall)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with AiohttpRequest(read_timeout=0.3) as request:
            with pytest.raises(TimedOut):
                await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
    finally:
        release.set()
        await runner.cleanup()


async def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a hospital or university proxy, HTTP(S)_PROXY is honoured, as PTB's httpx backend does."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response(
            {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "B", "username": "b_bot"}}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{runner.addresses[0][1]}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with AiohttpRequest() as request:
            result = await request.post("http://api.telegram.invalid/bot123:abc/getMe")
    finally:
        await runner.cleanup()
    assert result["username"] == "b_bot"
    assert seen == ["http://api.telegram.invalid/bot123:abc/getMe"]
