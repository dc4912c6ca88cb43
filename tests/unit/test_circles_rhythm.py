"""The circle's phase machine across a daylight-saving change (Europe/London, 25 October 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.circles.rhythm import DEFAULT_RHYTHM, current_week, due_phase, parse_rhythm, week_times
from bot.core.scheduling.schedule import ScheduleError
from storage.circle_models import Phase

LONDON = "Europe/London"
START = date(2026, 10, 19)  # a Monday; clocks go back at 02:00 BST on Sunday 25 October


def test_the_week_straddling_the_change_keeps_local_times() -> None:
    t = week_times(DEFAULT_RHYTHM, START, 1, LONDON)
    assert t.open == datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # Saturday 10:00 BST
    assert t.case == datetime(2026, 10, 26, 20, 0, tzinfo=UTC)  # Monday 20:00 GMT
    assert t.questions == datetime(2026, 10, 27, 20, 0, tzinfo=UTC)
    assert t.discussion == datetime(2026, 10, 29, 20, 0, tzinfo=UTC)
    assert t.response == datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
    week2 = week_times(DEFAULT_RHYTHM, START, 2, LONDON)
    assert week2.open == datetime(2026, 10, 31, 10, 0, tzinfo=UTC)  # Saturday 10:00 GMT: an hour later in UTC
    assert week2.open - t.open == timedelta(days=7, hours=1)


def test_the_phase_machine_steps_through_a_week_by_the_local_clock() -> None:
    t = week_times(DEFAULT_RHYTHM, START, 1, LONDON)
    # an hour before Monday 20:00 local: still choosing (a UTC-only clock would say the case time had passed)
    assert due_phase(Phase.CHOOSING, t, datetime(2026, 10, 26, 19, 30, tzinfo=UTC), has_case=False) == Phase.CHOOSING
    assert due_phase(Phase.CHOOSING, t, t.case, has_case=False) == Phase.NO_CASE
    assert due_phase(Phase.CHOOSING, t, t.open, has_case=True) == Phase.QUESTIONS
    assert due_phase(Phase.QUESTIONS, t, t.questions - timedelta(seconds=1), has_case=True) == Phase.QUESTIONS
    assert due_phase(Phase.QUESTIONS, t, t.questions, has_case=True) == Phase.DISCUSSION
    assert due_phase(Phase.DISCUSSION, t, t.discussion, has_case=True) == Phase.RESPONSE
    assert due_phase(Phase.RESPONSE, t, t.response, has_case=True) == Phase.CLOSING
    # the leader closes: the clock never does
    assert due_phase(Phase.CLOSING, t, t.response + timedelta(days=3), has_case=True) == Phase.CLOSING
    # after downtime the machine catches up in one go
    assert due_phase(Phase.QUESTIONS, t, t.response + timedelta(minutes=1), has_case=True) == Phase.CLOSING


def test_spring_forward_a_moment_in_the_gap_moves_on_by_the_hour() -> None:
    rhythm = parse_rhythm("open=sun 01:30")  # 01:30 does not exist on 29 March 2026 in London
    t = week_times(rhythm, date(2026, 3, 23), 1, LONDON)
    assert t.open == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # = 02:30 BST, the moment a person would expect
    assert t.case == datetime(2026, 3, 30, 19, 0, tzinfo=UTC)  # Monday 20:00 BST


def test_current_week_by_openings() -> None:
    assert current_week(DEFAULT_RHYTHM, START, 5, LONDON, datetime(2026, 10, 24, 8, 59, tzinfo=UTC)) is None
    assert current_week(DEFAULT_RHYTHM, START, 5, LONDON, datetime(2026, 10, 24, 9, 0, tzinfo=UTC)) == 1
    assert current_week(DEFAULT_RHYTHM, START, 5, LONDON, datetime(2026, 10, 31, 9, 30, tzinfo=UTC)) == 1
    assert current_week(DEFAULT_RHYTHM, START, 5, LONDON, datetime(2026, 10, 31, 10, 0, tzinfo=UTC)) == 2
    assert current_week(DEFAULT_RHYTHM, START, 5, LONDON, datetime(2027, 1, 1, tzinfo=UTC)) == 5


@pytest.mark.parametrize("text", ["case=mon", "oops=mon 20:00", "case=funday 20:00", "case=mon 25:00"])
def test_a_bad_rhythm_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_rhythm(text)
