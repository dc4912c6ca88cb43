"""Structured logs: one JSON object per line, and never a student's words, even at DEBUG."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import Settings
from bot.core.context import Env
from bot.runtime import setup_logging
from storage.db import Database
from tests.botharness import running_bot
from tests.emulator import BotAPIEmulator

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
