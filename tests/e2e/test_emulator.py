"""The Bot API emulator, exercised with the real python-telegram-bot ``Application`` over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.devtools.emulator import BotAPIEmulator, EmulatorThread, MarkupError, parse_markup
from bot.devtools.emulator.client import ControlClient
from bot.devtools.emulator.client import main as client_main
from bot.devtools.emulator.common import SlidingWindow
from bot.devtools.emulator.students import DEFAULT_PHOTO
from tests.support.paths import ROOT

Ctx = ContextTypes.DEFAULT_TYPE


# ---------------------------------------------------------------------------------------- helpers
@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        yield emulator


def build_app(emu: BotAPIEmulator, token: str | None = None) -> Application[Any, Any, Any, Any, Any, Any]:
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
    return [update["update_id"] for update in body["result"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


# ---------------------------------------------------------------------------------------- errors in PTB
async def test_telegram_errors_surface_as_ptb_exceptions(
    emu: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with build_app(emu) as app:
        with pytest.raises(BadRequest, match="too long"):
            await app.bot.send_message(1001, "x" * 4097)
        await app.bot.send_message(1001, "x" * 4096)
        with pytest.raises(BadRequest, match="text is empty"):
            await app.bot.send_message(1001, "   ")
        with pytest.raises(BadRequest, match="Chat not found"):
            await app.bot.send_message(-42, "no such group")
        with pytest.raises(BadRequest, match="(?i)parse entities: unsupported start tag"):
            await app.bot.send_message(1001, "a <script> b", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)character '.' is reserved"):
            await app.bot.send_message(1001, "1.5", parse_mode="MarkdownV2")
        emu.block_user(1002)
        with pytest.raises(Forbidden, match="blocked by the user"):
            await app.bot.send_message(1002, "hello?")
        emu.unblock_user(1002)
        await app.bot.send_message(1002, "hello again")
        emu.fail_next("sendMessage", chat_id=1003, error_code=429, retry_after=3)
        await app.bot.send_message(1001, "other chats are not affected")
        with pytest.raises(RetryAfter) as info:
            await app.bot.send_message(1003, "flood")
        assert info.value.retry_after == dtm.timedelta(seconds=3)
        await app.bot.send_message(1003, "only once")
        emu.fail_next("sendChatAction", error_code=502, times=2)
        with pytest.raises(Exception, match="Bad Gateway"):
            await app.bot.send_chat_action(1001, "typing")
    assert emu.count_429 == 1
    assert [m["text"] for m in emu.messages_to(1003)] == ["only once"]


async def test_editing_with_identical_content_is_not_modified(emu: BotAPIEmulator) -> None:
    async with build_app(emu) as app:
        sent = await app.bot.send_message(1001, "<b>Plan</b>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="not modified"):
            await app.bot.edit_message_text(
                "<b>Plan</b>", chat_id=1001, message_id=sent.message_id, parse_mode="HTML"
            )
        edited = await app.bot.edit_message_text("Plan", chat_id=1001, message_id=sent.message_id)
        assert isinstance(edited, type(sent)) and edited.edit_date is not None
        with pytest.raises(BadRequest, match="to edit not found"):
            await app.bot.edit_message_text("x", chat_id=1001, message_id=999)
    record = emu.last_message_to(1001)
    assert record["text"] == "Plan" and record["entities"] == []
    assert record["edits"][0]["previous_text"] == "<b>Plan</b>"


# ---------------------------------------------------------------------------------------- rate limits
async def test_per_chat_and_global_limits_answer_429_only_when_exceeded(
    emu: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with build_app(emu) as app:
        emu.set_limits(True, global_rate=30, per_chat_rate=1)
        await app.bot.send_message(1001, "one")
        with pytest.raises(RetryAfter) as info:
            await app.bot.send_message(1001, "two, too fast")
        assert info.value.retry_after == dtm.timedelta(seconds=1)
        await app.bot.send_message(1002, "another chat is fine")
        assert emu.count_429 == 1

        emu.set_limits(True, global_rate=5, per_chat_rate=1)
        for chat in range(2001, 2006):
            await app.bot.send_message(chat, "within the global limit")
        with pytest.raises(RetryAfter):
            await app.bot.send_message(2006, "sixth message in one second")
        assert emu.count_429 == 2

        emu.set_limits(True, global_rate=30, per_chat_rate=10)
        for i in range(12):  # 10/s to one chat, paced just under the limit: never 429
            await app.bot.send_message(3001, f"paced {i}")
            await asyncio.sleep(0.101)
    assert emu.count_429 == 2
    assert len(emu.messages_to(3001)) == 12


def test_sliding_window_frees_slots_as_time_passes() -> None:
    window = SlidingWindow(2.0)  # two events per second
    window.record(0.0)
    window.record(0.4)
    assert window.wait_time(0.5) == pytest.approx(0.5)
    assert window.wait_time(1.0) == 0.0
    slow = SlidingWindow(0.5)  # one event per two seconds
    slow.record(10.0)
    assert slow.wait_time(11.0) == pytest.approx(1.0)
    assert slow.wait_time(12.0) == 0.0


# ---------------------------------------------------------------------------------------- students
async def test_callback_query_round_trip(emu: BotAPIEmulator) -> None:
    pressed: list[str] = []

    async def ask(update: Update, context: Ctx) -> None:
        assert update.message is not None
        keyboard = [
            [
                InlineKeyboardButton("Yes", callback_data="consent:yes"),
                InlineKeyboardButton("No", callback_data="consent:no"),
            ]
        ]
        await update.message.reply_text("Consent?", reply_markup=InlineKeyboardMarkup(keyboard))

    async def on_button(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        pressed.append(query.data)
        await query.answer(f"got {query.data}")
        if query.data.startswith("consent:"):
            await query.edit_message_text(f"You chose {query.data}")  # removes the keyboard

    student = emu.user(1001, "Anna", "anna_md")
    async with running_bot(emu, CommandHandler("start", ask), CallbackQueryHandler(on_button)):
        question = await student.say("/start")
        keyboard = question["reply_markup"]  # records are live: keep the original markup
        assert keyboard["inline_keyboard"][0][0]["callback_data"] == "consent:yes"
        answer = await student.click(question["message_id"], text="Yes")
        assert answer["text"] == "got consent:yes" and answer["user_id"] == 1001
        await emu.wait_until(lambda: bool(emu.last_message_to(1001)["edits"]))
        with pytest.raises(ValueError, match="no button"):
            student.press_button(question["message_id"], "consent:no")  # the keyboard is gone now
        student.press_button(question["message_id"], "admin:delete_all", check=False)  # forged data
        await emu.wait_for_callback_answer()
    assert pressed == ["consent:yes", "admin:delete_all"]
    record = emu.last_message_to(1001)
    assert record["text"] == "You chose consent:yes" and record["reply_markup"] is None
    assert record["edits"][0]["previous_reply_markup"] == keyboard
    status, body = await raw_call(emu, "answerCallbackQuery", callback_query_id=answer["callback_query_id"])
    assert status == 400 and "query ID is invalid" in body["description"]


async def test_quote_replies_in_both_directions(emu: BotAPIEmulator) -> None:
    quotes: list[tuple[str, int, int]] = []

    async def on_reply(update: Update, context: Ctx) -> None:
        message = update.message
        assert message is not None and message.quote is not None and message.reply_to_message is not None
        quotes.append((message.quote.text, message.quote.position, message.reply_to_message.message_id))
        await message.reply_text("Noted", reply_parameters=ReplyParameters(message.message_id, quote="felt"))

    async with running_bot(emu, MessageHandler(filters.REPLY, on_reply)) as app:
        question = await app.bot.send_message(1001, "🙂 How did you feel?")
        sent = emu.send_text(1001, "I felt calm", reply_to_message_id=question.message_id, quote="How did")
        assert sent["reply_to_message"]["text"] == "🙂 How did you feel?"
        reply = await emu.wait_for_message(1001, after=1)
        with pytest.raises(BadRequest, match="(?i)QUOTE_TEXT_INVALID"):
            await app.bot.send_message(
                1001, "x", reply_parameters=ReplyParameters(sent["message_id"], quote="nope")
            )
    assert quotes == [("How did", 3, question.message_id)]  # 🙂 is two UTF-16 code units
    assert reply["reply_to_message_id"] == sent["message_id"]
    assert reply["quote"] == {"text": "felt", "position": 2, "is_manual": True}


async def test_edited_messages_media_groups_and_commands(emu: BotAPIEmulator) -> None:
    seen: list[tuple[str, str]] = []

    async def on_edit(update: Update, context: Ctx) -> None:
        message = update.edited_message
        assert message is not None and message.text is not None and message.edit_date is not None
        seen.append(("edited", message.text))

    async def on_media(update: Update, context: Ctx) -> None:
        message = update.message
        assert message is not None
        kind = next(
            k for k in ("voice", "photo", "sticker", "document", "video", "location") if getattr(message, k)
        )
        seen.append(("media", kind))

    async def on_start(update: Update, context: Ctx) -> None:
        assert update.effective_chat is not None
        seen.append((update.effective_chat.type, " ".join(context.args or [])))

    handlers = [
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit),
        CommandHandler("start", on_start),
        MessageHandler(filters.ATTACHMENT | filters.PHOTO | filters.LOCATION | filters.Sticker.ALL, on_media),
    ]
    async with running_bot(emu, *handlers):
        original = emu.send_text(1001, "first draft")
        emu.edit_text(1001, original["message_id"], "second draft")
        for action in (emu.send_voice, emu.send_photo, emu.send_sticker, emu.send_document, emu.send_video):
            action(1001)
        emu.send_location(1001)
        start = emu.send_group_text(-100500, 1001, "/start@balint_test_bot ABC123")
        assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
        await emu.wait_until(lambda: len(seen) == 8)
    assert seen[0] == ("edited", "second draft")
    media = ["voice", "photo", "sticker", "document", "video", "location"]
    assert [kind for tag, kind in seen if tag == "media"] == media
    assert seen[-1] == ("group", "ABC123")


async def test_files_travel_both_ways(emu: BotAPIEmulator) -> None:
    async def mirror(update: Update, context: Ctx) -> None:
        assert update.message is not None
        photo = await update.message.photo[-1].get_file()
        data = bytes(await photo.download_as_bytearray())
        await update.message.reply_photo(data, caption="<i>your picture</i>", parse_mode="HTML")
        await update.message.reply_document(b"report,1\n", filename="report.csv")

    async with running_bot(emu, MessageHandler(filters.PHOTO, mirror)) as app:
        emu.send_photo(1001)
        document = await emu.wait_for_message(1001, lambda m: m["method"] == "sendDocument")
        with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
            await app.bot.send_photo(1001, b"not a picture")
    [photo] = emu.photos_to(1001)
    assert photo["photo"]["content"] == DEFAULT_PHOTO and photo["plain_caption"] == "your picture"
    assert emu.documents_to(1001) == [document]
    assert (
        document["document"]["file_name"] == "report.csv" and document["document"]["content"] == b"report,1\n"
    )


async def test_commands_chat_info_and_actions(emu: BotAPIEmulator) -> None:
    from telegram import BotCommand

    async with build_app(emu) as app:
        await app.bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
        assert [c.command for c in await app.bot.get_my_commands()] == ["start", "help"]
        assert emu.my_commands() == [
            {"command": "start", "description": "Begin"},
            {"command": "help", "description": "Help"},
        ]
        await app.bot.delete_my_commands()
        assert await app.bot.get_my_commands() == ()
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await app.bot.set_my_commands([BotCommand("Bad-Command", "x")])
        emu.user(1001, "Anna", "anna_md")
        await app.bot.send_chat_action(1001, "typing")
        chat = await app.bot.get_chat(1001)
        assert (chat.first_name, chat.username, chat.type) == ("Anna", "anna_md", "private")
        assert await app.bot.close() is True
    assert emu.chat_actions == [(1001, "typing")]


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
    assert (
        info["result"]["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
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
            reply = await asyncio.to_thread(
                thread.call, thread.emu.wait_for_message, 1001, None, 5.0, after=1
            )
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


# ---------------------------------------------------------------------------------------- markup parser
@pytest.mark.parametrize(
    ("text", "mode", "plain", "entity_types"),
    [
        ("<b>bold</b> &lt;3 <a href='https://x.org'>x</a>", "HTML", "bold <3 x", ["bold", "text_link"]),
        ("<pre><code class='language-py'>1</code></pre>", "html", "1", ["pre"]),
        (
            "*b* _i_ __u__ ~s~ ||sp|| `c` [l](https://x.org) 1\\.5\\!",
            "MarkdownV2",
            "b i u s sp c l 1.5!",
            ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"],
        ),
        (">quoted\nplain", "MarkdownV2", "quoted\nplain", ["blockquote"]),
        ("*b* 1.5 [x]", "Markdown", "b 1.5 [x]", ["bold"]),
        ("plain <b>", None, "plain <b>", []),
    ],
)
def test_markup_parsing(text: str, mode: str | None, plain: str, entity_types: list[str]) -> None:
    parsed, entities = parse_markup(text, mode)
    assert parsed == plain
    assert [e["type"] for e in entities] == entity_types


@pytest.mark.parametrize(
    ("text", "mode", "error"),
    [
        ("a < b", "HTML", "Unclosed start tag at byte offset 2"),
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Done!", "MarkdownV2", "Character '!' is reserved"),
        ("*open", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
    ],
)
def test_markup_errors(text: str, mode: str, error: str) -> None:
    with pytest.raises(MarkupError, match="^" + error.replace("(", r"\(")):
        parse_markup(text, mode)
