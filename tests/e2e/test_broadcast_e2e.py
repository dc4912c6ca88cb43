"""The facilitator console end to end: the real PTB Application, started as in production, against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlmodel import select

from bot.core import roles
from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage.db import Database
from storage.models import Cohort, User
from tests.support.botharness import running_bot
from tests.support.scheduling_helpers import join, utc


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"].startswith(label):
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r} on {message['plain_text'][:60]!r}")


async def until(condition: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def unreachable(db: Database, telegram_id: int) -> bool:
    return db.call(
        lambda s: s.exec(select(User).where(User.telegram_id == telegram_id)).one().unreachable_at is not None
    )


def text_of(message: dict[str, Any]) -> str:
    return str(message["plain_text"] or message["plain_caption"] or "")


async def test_a_facilitator_runs_a_cohort_from_chat(db: Database, env: Env, cohort: Cohort, clock: ManualClock):
    clock.set(utc(2026, 1, 5, 10, 0))  # an hour after week 1's moment: the bot was down when it fell due
    students = [p.telegram_id for p in join(db, env, cohort, 6000, 4)]
    async with BotAPIEmulator() as emu:
        emu.block_user(students[3])
        async with running_bot(emu, db, env):
            for s in students[:3]:  # start-up catch-up: within the grace window, so it goes out now
                prompt = await emu.wait_for_message(s, timeout=10, after=0)
                assert text_of(prompt).startswith("Week 1 of 6")
            await until(lambda: unreachable(db, students[3]))  # the 403 was recorded

            ruth = emu.user(9001, "Ruth")
            welcome = await ruth.say(f"/start f-{cohort.facilitator_code}")
            assert "you're now a facilitator of Psychiatry Jan 2026" in text_of(welcome)

            listing = await ruth.say("/cohorts")
            assert "4 joined, 4 taking part · week 1 of 6" in text_of(listing)

            head = await ruth.say("/preview 2")
            assert "Preview of week 2" in text_of(head)
            shown = await ruth.wait_for_message(lambda m: "Week 2 of 6" in text_of(m))
            assert "Hello Ruth" in text_of(shown) and button(shown, "No encounter this week")

            started = await ruth.say("/sendnow 2")
            assert "Sending week 2's prompt to Psychiatry Jan 2026 now" in text_of(started)
            summary = await ruth.wait_for_message(lambda m: text_of(m).startswith("Week 2 of Psychiatry"), timeout=10)
            assert text_of(summary) == "Week 2 of Psychiatry Jan 2026: sent 3."
            assert [len(emu.messages_to(s)) for s in students] == [2, 2, 2, 0]

            table = await ruth.say("/stats")
            assert "Unreachable" in text_of(table)
            assert text_of(table).splitlines()[2].split()[:7] == ["1", "4", "4", "3", "0", "0", "1"]
            chart = await ruth.wait_for_message(lambda m: m["method"] == "sendPhoto")
            assert chart["photo"]["content"].startswith(b"\x89PNG")

            preview = await ruth.say("/announce The Balint group on Thursday is in room 4.")
            assert "This goes to 3 students" in text_of(preview)  # not to the one who blocked the bot
            card = await ruth.wait_for_message(lambda m: m["reply_markup"] is not None)
            await ruth.click(card["message_id"], button(card, "Send to"))
            for s in students[:3]:
                got = await emu.wait_for_message(s, lambda m: "room 4" in text_of(m), timeout=10, after=2)
                assert text_of(got) == (
                    "A message from Ruth, facilitator of Psychiatry Jan 2026:\n\n"
                    "The Balint group on Thursday is in room 4."
                )

            stranger = emu.user(9999, "Mallory")
            assert text_of(await stranger.say("/stats")) == roles.REFUSAL
            assert text_of(await stranger.say(f"/pause {cohort.id}")) == roles.REFUSAL

            paused = await ruth.say("/pause")
            assert text_of(paused).startswith("Paused Psychiatry Jan 2026")
    assert [len(emu.messages_to(s)) for s in students] == [3, 3, 3, 0]
