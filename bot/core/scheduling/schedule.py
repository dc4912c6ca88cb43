"""When each week's prompt falls due, in the cohort's own time zone, daylight-saving correct.

Week 1 falls on the first ``weekday`` on or after the start date; each later week seven local days on, at
the same local wall-clock time (so 09:00 Europe/London is 09:00 on both sides of the clock change). A time
that falls in quiet hours moves to the end of them. Everything returned is aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from storage.models import Cohort

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """A schedule value is not valid; the message says which and why."""


@dataclass(frozen=True)
class ScheduleSpec:
    start_date: date
    weeks: int
    weekday: int  # 0 = Monday
    send_time: time
    timezone: str
    quiet_start: time | None = None
    quiet_end: time | None = None


def spec_of(cohort: Cohort) -> ScheduleSpec:
    """Return the cohort's schedule."""
    return ScheduleSpec(
        start_date=cohort.start_date, weeks=cohort.weeks, weekday=cohort.weekday, send_time=cohort.send_time,
        timezone=cohort.timezone, quiet_start=cohort.quiet_start, quiet_end=cohort.quiet_end,
    )


def parse_weekday(text: str) -> int:
    """Turn "mon", "Monday" or "1" (Monday) into 0…6 with Monday = 0."""
    t = text.strip().lower()
    for i, name in enumerate(WEEKDAYS):
        if t[:3] == name:
            return i
    raise ScheduleError(f"unknown day {text!r}: use mon, tue, wed, thu, fri, sat or sun")


def parse_time(text: str) -> time:
    """Turn "09:00" into a time."""
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ScheduleError(f"time {text!r} is not HH:MM (24-hour), e.g. 09:00") from None


def parse_date(text: str) -> date:
    """Turn "2026-01-05" into a date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(f"date {text!r} is not YYYY-MM-DD, e.g. 2026-01-05") from None


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone, or a ScheduleError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}: use an IANA name such as Europe/London") from None


def ptb_days(weekday: int) -> tuple[int]:
    """Convert Monday = 0 to PTB ``run_daily``'s days, where 0 = Sunday."""
    return ((weekday + 1) % 7,)


def _in_quiet(t: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    return start <= t < end if start < end else (t >= start or t < end)


def local_moment(day: date, at: time, tz: ZoneInfo, quiet: tuple[time | None, time | None]) -> datetime:
    """Return the aware UTC moment for a local date and time, moved out of quiet hours."""
    if _in_quiet(at, *quiet):
        end = quiet[1]
        assert end is not None
        if end <= at:
            day += timedelta(days=1)
        at = end
    # fold=0 with zoneinfo: a non-existent local time (spring gap) resolves forward by the offset change,
    # an ambiguous one (autumn) takes the first occurrence; both are what a person would expect.
    local = datetime.combine(day, at, tzinfo=tz)
    return local.astimezone(UTC)


def first_prompt_date(spec: ScheduleSpec) -> date:
    """Return the local date of week 1's prompt."""
    return spec.start_date + timedelta(days=(spec.weekday - spec.start_date.weekday()) % 7)


def due_at(spec: ScheduleSpec, week: int) -> datetime:
    """Return when week ``week`` (1-based) falls due, aware UTC."""
    if not 1 <= week <= spec.weeks:
        raise ScheduleError(f"week {week} is outside 1…{spec.weeks}")
    day = first_prompt_date(spec) + timedelta(weeks=week - 1)
    return local_moment(day, spec.send_time, zone(spec.timezone), (spec.quiet_start, spec.quiet_end))


def all_due(spec: ScheduleSpec) -> list[datetime]:
    """Return every week's due moment."""
    return [due_at(spec, w) for w in range(1, spec.weeks + 1)]


def current_week(spec: ScheduleSpec, now: datetime) -> int | None:
    """Return the latest week already due at ``now`` (None before week 1)."""
    week = None
    for w, when in enumerate(all_due(spec), start=1):
        if when <= now:
            week = w
    return week


def next_due(spec: ScheduleSpec, now: datetime) -> tuple[int, datetime] | None:
    """Return the next (week, moment) still to come, or None when the placement's prompts are all out."""
    for w, when in enumerate(all_due(spec), start=1):
        if when > now:
            return w, when
    return None


def finished(spec: ScheduleSpec, now: datetime) -> bool:
    """Say whether the placement is over (a week after the last prompt)."""
    return now >= due_at(spec, spec.weeks) + timedelta(days=7)


def describe_local(when: datetime, tz_name: str) -> str:
    """Say a moment the way a student reads it: "Monday 5 January at 09:00"."""
    local = when.astimezone(zone(tz_name))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"
