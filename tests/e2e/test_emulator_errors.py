"""The Bot API emulator's errors as python-telegram-bot raises them (bad requests, blocked users, injected
failures, edits that change nothing), and its rate limits: 429 only when a chat's or the global limit is exceeded."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.devtools.emulator import BotAPIEmulator
from bot.devtools.emulator.common import SlidingWindow
from tests.support.emulator_support import build_app


# ---------------------------------------------------------------------------------------- errors in PTB
async def test_telegram_errors_surface_as_ptb_exceptions(emu: BotAPIEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
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
            await app.bot.edit_message_text("<b>Plan</b>", chat_id=1001, message_id=sent.message_id, parse_mode="HTML")
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
