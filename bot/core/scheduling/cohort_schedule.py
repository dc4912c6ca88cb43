"""Change a cohort's schedule, pause or resume it, and describe it — one path for the CLI and the chat.

Every change is validated before anything is stored, written to the audit log, and followed by
``scheduling.forget_unsent`` so no delivery made for the old schedule goes out; the week jobs follow on the
next tick (or at once, when the chat asks ``bot/telegram/jobs.reschedule``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.core.scheduling import progress
from bot.core.scheduling.schedule import WEEKDAYS, ScheduleError, describe_local, due_at, parse_time, spec_of, zone
from bot.core.scheduling.scheduling import forget_unsent
from bot.core.student.plan import PLAN_DIR, render_prompt
from bot.core.templates import TemplateProblem
from storage import repo
from storage.models import Cohort, CohortStatus

QUIET_OFF = ("off", "none", "no", "-")
PLAN_DEFAULT = ("default", "none", "-")


def parse_quiet(text: str) -> tuple[time | None, time | None]:
    """Turn "22:00-07:00" into (start, end); "off" into (None, None)."""
    t = text.strip().lower()
    if t in QUIET_OFF:
        return None, None
    start, sep, end = t.replace("–", "-").partition("-")
    if not sep:
        raise ScheduleError(f"quiet hours {text!r} are not START-END, e.g. 22:00-07:00 (or off)")
    a, b = parse_time(start), parse_time(end)
    if a == b:
        raise ScheduleError("quiet hours need different start and end times, e.g. 22:00-07:00")
    return a, b


def parse_plan(text: str) -> list[str]:
    """Turn "week1_arriving, my_week2" into template names; "default" into [] (the default plan)."""
    t = text.strip()
    if t.lower() in PLAN_DEFAULT:
        return []
    names = [n.strip() for n in t.replace(";", ",").split(",") if n.strip()]
    return [n if n.endswith(".html.j2") else f"{n}.html.j2" for n in names]


def check_plan(names: list[str], weeks: int, cohort_name: str) -> None:
    """Refuse a plan naming a template that is missing or does not render, with the reason."""
    for name in names:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ScheduleError(f"plan template {name!r} must be a file name in prompts/plan/")
        if not (PLAN_DIR / name).is_file():
            raise ScheduleError(f"plan template {name!r} is not in prompts/plan/")
    for week in range(1, weeks + 1):
        try:
            render_prompt(week=week, weeks=weeks, first_name="Alex", cohort_name=cohort_name, override=names or None)
        except TemplateProblem as exc:
            raise ScheduleError(str(exc)) from None


@dataclass
class ScheduleChange:
    """What to change; None leaves a value as it is."""

    start_date: date | None = None
    weeks: int | None = None
    weekday: int | None = None
    send_time: time | None = None
    timezone: str | None = None
    quiet: tuple[time | None, time | None] | None = None  # (None, None) switches quiet hours off
    reminder_hours: int | None = None  # 0 switches the reminder off
    plan: list[str] | None = None  # [] returns to the default plan

    def empty(self) -> bool:
        return all(getattr(self, f) is None for f in ("start_date", "weeks", "weekday", "send_time", "timezone",
                                                      "quiet", "reminder_hours", "plan"))


def change_schedule(session: Session, env: Env, cohort: Cohort, change: ScheduleChange, *, actor: str) -> list[str]:
    """Apply a schedule change (all or nothing); return what changed, in words."""
    weeks = change.weeks if change.weeks is not None else cohort.weeks
    if not 1 <= weeks <= 52:
        raise ScheduleError("weeks must be between 1 and 52")
    if change.timezone is not None:
        zone(change.timezone)
    if change.reminder_hours is not None and not 0 <= change.reminder_hours <= 24 * 7:
        raise ScheduleError("reminder hours must be between 0 (no reminder) and 168")
    if change.plan is not None:
        check_plan(change.plan, weeks, cohort.name)
    elif change.weeks is not None and cohort.plan:
        check_plan(cohort.plan, weeks, cohort.name)
    said: list[str] = []
    if change.start_date is not None and change.start_date != cohort.start_date:
        cohort.start_date = change.start_date
        said.append(f"start {change.start_date.isoformat()}")
    if change.weeks is not None and change.weeks != cohort.weeks:
        cohort.weeks = change.weeks
        said.append(f"{change.weeks} weeks")
    if change.weekday is not None and change.weekday != cohort.weekday:
        cohort.weekday = change.weekday
        said.append(f"day {WEEKDAYS[change.weekday]}")
    if change.send_time is not None and change.send_time != cohort.send_time:
        cohort.send_time = change.send_time
        said.append(f"time {change.send_time:%H:%M}")
    if change.timezone is not None and change.timezone != cohort.timezone:
        cohort.timezone = change.timezone
        said.append(f"time zone {change.timezone}")
    if change.quiet is not None and change.quiet != (cohort.quiet_start, cohort.quiet_end):
        cohort.quiet_start, cohort.quiet_end = change.quiet
        said.append(f"quiet hours {quiet_text(cohort)}")
    if change.reminder_hours is not None and change.reminder_hours != (cohort.reminder_hours or 0):
        cohort.reminder_hours = change.reminder_hours or None
        said.append(f"reminder {reminder_text(cohort)}")
    if change.plan is not None and (change.plan or None) != (cohort.plan or None):
        cohort.plan = change.plan or None
        said.append(f"plan {plan_text(cohort)}")
    if not said:
        return []
    session.add(cohort)
    assert cohort.id is not None
    dropped = forget_unsent(session, env, cohort.id)
    repo.audit(session=session, actor=actor, action="cohort.schedule", cohort_id=cohort.id, at=env.clock.now(),
               changed=said, unsent_dropped=dropped)
    return said


def set_status(session: Session, env: Env, cohort: Cohort, status: CohortStatus, *, actor: str) -> bool:
    """Pause, resume or close a cohort; return False when it was so already."""
    if cohort.status == status:
        return False
    before = cohort.status
    cohort.status = status
    session.add(cohort)
    action = {CohortStatus.PAUSED: "cohort.pause", CohortStatus.OPEN: "cohort.resume"}.get(status, "cohort.close")
    repo.audit(session=session, actor=actor, action=action, cohort_id=cohort.id, at=env.clock.now(),
               before=str(before))
    return True


def quiet_text(cohort: Cohort) -> str:
    """Say the quiet hours: "22:00–07:00" or "off"."""
    if cohort.quiet_start is None or cohort.quiet_end is None:
        return "off"
    return f"{cohort.quiet_start:%H:%M}–{cohort.quiet_end:%H:%M}"


def reminder_text(cohort: Cohort) -> str:
    """Say when the reminder comes: "48 h after the prompt" or "off"."""
    return f"{cohort.reminder_hours} h after the prompt" if cohort.reminder_hours else "off"


def plan_text(cohort: Cohort) -> str:
    """Say which plan the cohort follows."""
    return ", ".join(n.removesuffix(".html.j2") for n in cohort.plan) if cohort.plan else "default"


def describe(session: Session, env: Env, cohort: Cohort) -> dict[str, Any]:
    """Return the schedule as plain data, with every week's moment (local and UTC), whether it has passed, and
    when a week was sent ahead of its moment (``sent_early``, local)."""
    spec = spec_of(cohort)
    now = env.clock.now()
    sent = progress.sent_weeks(session, cohort_id=cohort.id or 0)
    weeks = []
    for week in range(1, cohort.weeks + 1):
        when = due_at(spec, week)
        first = sent.get(week)
        weeks.append({"week": week, "local": describe_local(when, cohort.timezone),
                      "utc": when.isoformat().replace("+00:00", "Z"), "passed": when <= now or first is not None,
                      "sent_early": describe_local(first, cohort.timezone) if first and first < when else None})
    return {
        "id": cohort.id, "name": cohort.name, "status": cohort.status, "start": cohort.start_date.isoformat(),
        "weeks": cohort.weeks, "day": WEEKDAYS[cohort.weekday], "time": f"{cohort.send_time:%H:%M}",
        "timezone": cohort.timezone, "quiet": quiet_text(cohort), "reminder_hours": cohort.reminder_hours or 0,
        "plan": cohort.plan or "default", "current_week": progress.week_now(spec, now, sent), "due": weeks,
    }


def schedule_lines(data: dict[str, Any]) -> list[str]:
    """Render ``describe``'s data as lines of text (no markup)."""
    plan = data["plan"] if isinstance(data["plan"], str) else ", ".join(
        n.removesuffix(".html.j2") for n in data["plan"])
    lines = [
        f"{data['name']} (id {data['id']}) — {data['status']}",
        f"Starts {data['start']}, {data['weeks']} weeks, {data['day']} {data['time']} {data['timezone']}",
        f"Quiet hours: {data['quiet']} · Reminder: "
        + (f"{data['reminder_hours']} h after the prompt" if data["reminder_hours"] else "off")
        + f" · Plan: {plan}",
    ]
    for w in data["due"]:
        mark = "✓" if w["passed"] else " "
        early = f" — sent early, {w['sent_early']}" if w.get("sent_early") else ""
        lines.append(f"{mark} week {w['week']:>2}: {w['local']} ({w['utc']}){early}")
    return lines


__all__ = ["CohortStatus", "ScheduleChange", "change_schedule", "describe", "parse_plan", "parse_quiet",
           "schedule_lines", "set_status"]
