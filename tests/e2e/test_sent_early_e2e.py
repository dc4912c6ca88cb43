"""Weeks sent early, end to end through the emulator: they count in /stats, show in /schedule, and every
"next prompt" a student reads comes from what they were sent, not the calendar alone."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.devtools.emulator import BotAPIEmulator
from bot.devtools.emulator.users import EmuUser
from bot.telegram.broadcast import send_now
from storage.db import Database
from storage.models import Cohort
from tests.support.botharness import running_bot, settings_for
from tests.support.scheduling_helpers import join, utc

REPLIES = [
    "A man on the ward who would not look at me.",
    "Small, and then cross with myself.",
    "Perhaps tired of being asked the same things.",
    "We were both waiting for the other.",
    "Waiting can be a kind of company.",
]


def text_of(message: dict[str, Any]) -> str:
    return str(message["plain_text"] or message["plain_caption"] or "")


async def reflect(student: EmuUser, week: int) -> str:
    """Wait for the week's prompt, answer all five questions; return the closing message."""
    await student.wait_for_message(lambda m: text_of(m).startswith(f"Week {week} of 6"), timeout=10, after=0)
    for reply in REPLIES[:-1]:
        await student.say(reply)
    return text_of(await student.say(REPLIES[-1]))


async def test_weeks_sent_early_count_and_move_the_next_prompt(
    db: Database, env: Env, cohort: Cohort, clock: ManualClock
) -> None:
    clock.set(utc(2026, 1, 5, 10, 0))  # week 1 fell due at 09:00; weeks 2 and 3 are sent early by hand
    people = join(db, env, cohort, 6100, 2)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        students = [emu.user(p.telegram_id, p.first_name) for p in people]
        for s in students:
            assert "Your next prompt comes Monday 12 January at 09:00." in await reflect(s, 1)
        ruth = emu.user(9001, "Ruth")
        await ruth.say(f"/start f-{cohort.facilitator_code}")
        for week, next_date in ((2, "Monday 19 January"), (3, "Monday 26 January")):
            await ruth.say(f"/sendnow {week}")
            await ruth.wait_for_message(lambda m, w=week: text_of(m).startswith(f"Week {w} of Psychiatry"), timeout=10)
            for s in students:
                closing = await reflect(s, week)
                assert f"Your next prompt comes {next_date} at 09:00." in closing, closing

        status = text_of(await students[0].say("/status"))
        expected = (
            "This is week 3 of 6; you've reflected on it already. Week 4's prompt comes Monday 26 January at 09:00."
        )
        assert status.endswith(expected), status
        assert "Week 1" not in status and "Week 2's" not in status
        await students[0].say("/pause")
        assert text_of(await students[0].say("/resume")).endswith(expected)

        table = text_of(await ruth.say("/stats"))
        rows = [line.split() for line in table.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"], ["4"])]
        assert rows == [[str(w), "2", "2", "2", "2", "2", "0", "0"] for w in (1, 2, 3)]  # and no week 4 yet
        await ruth.wait_for_message(lambda m: m["method"] == "sendPhoto")

        shown = text_of(await ruth.say("/schedule"))
        assert "✓ week  2: Monday 12 January at 09:00 (2026-01-12T09:00:00Z) — sent early, Monday 5 January" in shown
        assert "  week  4: Monday 26 January" in shown
        listing = text_of(await ruth.say("/cohorts"))
        assert "week 3 of 6 (sent early) · week 4 comes Monday 26 January at 09:00" in listing


async def test_a_week_sent_before_the_first_day_is_in_the_stats(db: Database, env: Env, clock: ManualClock) -> None:
    clock.set(utc(2026, 1, 1, 12, 0))  # a Thursday; the placement's first prompt is Monday 5 January
    early = db.call(
        create_cohort,
        CohortIn(
            name="Paeds Jan 2026",
            start_date=date(2026, 1, 5),
            weeks=6,
            weekday=0,
            send_time=time(9, 0),
            timezone="Europe/London",
        ),
    )
    people = join(db, env, early, 6200, 2)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        # as `balint prompt send-now` does
        result = await send_now(settings_for(emu, db), db, env, early.name, 1, actor="cli:test")
        assert result["sent"] == 2
        anna = emu.user(people[0].telegram_id, people[0].first_name)
        assert "Your next prompt comes Monday 12 January at 09:00." in await reflect(anna, 1)
        status = text_of(await anna.say("/status"))
        assert status.endswith(
            "This is week 1 of 6; you've reflected on it already. Week 2's prompt comes Monday 12 January at 09:00."
        )
        ruth = emu.user(9002, "Ruth")
        await ruth.say(f"/start f-{early.facilitator_code}")
        table = text_of(await ruth.say("/stats"))
        assert "hasn't started yet" not in table
        assert [line.split() for line in table.splitlines() if line.startswith("   1")] == [
            ["1", "2", "2", "2", "1", "1", "0", "0"]
        ]
