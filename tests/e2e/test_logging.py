"""Structured logs: one JSON object per line, and never a student's words, even at DEBUG."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import Settings
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.runtime import setup_logging
from storage.db import Database
from tests.support.botharness import running_bot

SECRET_WORDS = "the tall man in bay four who whispered about his daughter"


async def test_json_lines_without_reflection_text(db: Database, env: Env, cohort, capsys: pytest.CaptureFixture[str]):
    saved = logging.getLogger().handlers[:], logging.getLogger().level
    setup_logging(Settings(_env_file=None, log_format="json", log_level="DEBUG"))  # type: ignore[call-arg]
    try:
        async with BotAPIEmulator() as emu, running_bot(emu, db, env):
            erin = emu.user(5001, "Erin")
            await erin.say(f"/start {cohort.invite_code}")
            q1 = await erin.wait_for_message(lambda m: m["reply_markup"] is not None, after=0)
            await erin.click(q1["message_id"], text="Yes, I'll take part")
            await erin.say("/reflect")
            await erin.say(f"I met {SECRET_WORDS}.")
            logging.getLogger("bot.test").info("a test event", extra={"event": "test", "cohort_id": cohort.id})
    finally:
        root = logging.getLogger()
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(r.get("event") == "test" and r.get("cohort_id") == cohort.id for r in records)
    assert all({"ts", "level", "logger", "msg"} <= r.keys() for r in records)
    assert not any("whispered" in line for line in lines)


async def test_a_429_that_outlasts_the_retries_is_one_log_line_without_a_traceback(
    db: Database, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        emu.fail_next("sendMessage", chat_id=5002, error_code=429, retry_after=1, times=3)  # the limiter's 3 tries
        frank = emu.user(5002, "Frank")
        frank.send_text("/nosuchcommand")
        await frank.wait_for_message(after=0, timeout=10)  # the kind message, once Telegram takes sends again
    assert emu.count_429 == 3
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "handler_rate_limited"]
    assert line.getMessage() == (
        "Telegram rate limit (429, retry after 1s) while answering chat 5002: the answer was not sent"
    )
    assert "Traceback" not in caplog.text
    assert not any(getattr(r, "event", None) == "handler_error" for r in caplog.records)


async def test_a_real_bug_in_a_handler_still_logs_its_traceback(
    db: Database, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.ext import MessageHandler, filters

    async def broken(_update: object, _context: object) -> None:
        raise ZeroDivisionError

    caplog.set_level(logging.INFO)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        app.add_handler(MessageHandler(filters.Regex("^/boom"), broken), group=-5)
        grace = emu.user(5003, "Grace")
        grace.send_text("/boom")
        await grace.wait_for_message(after=0, timeout=10)
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "handler_error"]
    assert "Traceback (most recent call last)" in record.getMessage() and "ZeroDivisionError" in record.getMessage()
