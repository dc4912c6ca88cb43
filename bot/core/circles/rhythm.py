"""A circle's weekly rhythm: when each phase of a week ends, in the cohort's zone (daylight-saving correct).

A rhythm names a weekday and a local time for each moment of the week, in order:
``open`` (the call for a presenter), ``case`` (the case is in by then), ``questions`` (clarifying questions
until), ``discussion`` (push-back until) and ``response`` (the presenter's response until; then the leader
closes). Week ``n`` opens on the first ``open`` weekday on or after ``starts_on + 7·(n-1)`` days; each later
moment is the first of its weekday and time after the one before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.scheduling.schedule import ScheduleError, local_moment, parse_time, parse_weekday, zone
from storage.circle_models import Phase

MOMENTS = ("open", "case", "questions", "discussion", "response")
DEFAULT_RHYTHM = {"open": "sat 10:00", "case": "mon 20:00", "questions": "tue 20:00", "discussion": "thu 20:00",
                  "response": "fri 20:00"}
_NO_QUIET: tuple[time | None, time | None] = (None, None)


@dataclass(frozen=True)
class WeekTimes:
    """The aware UTC moments of one circle week."""

    open: datetime
    case: datetime
    questions: datetime
    discussion: datetime
    response: datetime

    def until(self, phase: str) -> datetime | None:
        """Return when a phase ends by the rhythm (None: it ends when someone ends it)."""
        return {Phase.CHOOSING: self.case, Phase.QUESTIONS: self.questions, Phase.DISCUSSION: self.discussion,
                Phase.RESPONSE: self.response}.get(Phase(phase))


def parse_rhythm(text: str | None) -> dict[str, str]:
    """Read ``open=sat 10:00,case=mon 20:00,…`` (missing moments take the default); raise ScheduleError."""
    rhythm = dict(DEFAULT_RHYTHM)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in MOMENTS:
            raise ScheduleError(f"unknown rhythm moment {key!r}: use {', '.join(MOMENTS)}")
        rhythm[key] = value.strip().lower()
    for key in MOMENTS:
        _split(rhythm[key])
    return rhythm


def _split(value: str) -> tuple[int, time]:
    day, _, at = value.strip().partition(" ")
    if not at:
        raise ScheduleError(f"a rhythm moment needs a weekday and a time, such as 'mon 20:00' (not {value!r})")
    return parse_weekday(day), parse_time(at.strip())


def week_times(rhythm: dict[str, str], starts_on: date, week: int, timezone: str) -> WeekTimes:
    """Return the moments of week ``week`` (1-based) as aware UTC."""
    tz = zone(timezone)
    day = starts_on + timedelta(weeks=week - 1)
    previous: tuple[date, time] | None = None
    moments: list[datetime] = []
    for key in MOMENTS:
        weekday, at = _split(rhythm.get(key, DEFAULT_RHYTHM[key]))
        day = day + timedelta(days=(weekday - day.weekday()) % 7)
        if previous is not None and (day, at) <= previous:
            day += timedelta(days=7)
        previous = (day, at)
        moments.append(local_moment(day, at, tz, _NO_QUIET))
    return WeekTimes(*moments)


def current_week(rhythm: dict[str, str], starts_on: date, weeks: int, timezone: str, now: datetime) -> int | None:
    """Return the week whose opening has passed most recently (None before week 1 opens)."""
    found = None
    for week in range(1, weeks + 1):
        if week_times(rhythm, starts_on, week, timezone).open <= now:
            found = week
    return found


NEXT = {Phase.CHOOSING: Phase.QUESTIONS, Phase.QUESTIONS: Phase.DISCUSSION, Phase.DISCUSSION: Phase.RESPONSE,
        Phase.RESPONSE: Phase.CLOSING, Phase.CLOSING: Phase.CLOSED}


def due_phase(phase: str, times: WeekTimes, now: datetime, *, has_case: bool) -> str:
    """Return the phase a week should be in at ``now``: the machine moves on when a phase's time is up.

    A week without a confirmed case when the case time passes becomes "nobody presents this week"; the case
    itself (confirmed by the presenter) and the leader's close move the week on without the clock.
    """
    current = Phase(phase)
    while True:
        if current is Phase.CHOOSING:
            if has_case:
                current = Phase.QUESTIONS
                continue
            return Phase.NO_CASE if now >= times.case else current
        end = times.until(current)
        if end is None or now < end:
            return current
        current = NEXT[current]
