"""Cohort listings and the week a send-now means."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.scheduling.schedule import WEEKDAYS, ScheduleError, current_week
from storage import repo
from storage.models import Cohort, Enrolment

if TYPE_CHECKING:  # `balint cohort list` needs neither (enrolment pulls in consent and Jinja2)
    from bot.core.context import Env


def find_cohort(session: Session, ref: str) -> Cohort | None:
    """Find a cohort by id or by name (in this module, not enrolment: ``balint stats`` needs no Jinja2)."""
    ref = ref.strip()
    if ref.isdigit():
        found = repo.get_cohort(session=session, cohort_id=int(ref))
        if found:
            return found
    return repo.get_cohort_by_name(session=session, name=ref)


def cohort_rows(session: Session) -> list[dict[str, Any]]:
    """Return every cohort as a plain row, with its number of active students."""
    counts = dict(session.exec(
        select(Enrolment.cohort_id, func.count())
        .where(col(Enrolment.withdrawn_at).is_(None))
        .group_by(col(Enrolment.cohort_id))
    ).all())
    return [
        {
            "id": c.id, "name": c.name, "invite_code": c.invite_code, "start": c.start_date.isoformat(),
            "weeks": c.weeks, "day": WEEKDAYS[c.weekday], "time": c.send_time.strftime("%H:%M"),
            "timezone": c.timezone, "status": c.status, "students": counts.get(c.id or 0, 0),
        }
        for c in repo.list_cohorts(session=session)
    ]


def resolve_week(session: Session, env: Env, ref: str, week: int | None) -> tuple[Cohort, int]:
    """Find the cohort and the week to send: the given one, else the current one (1 before the start)."""
    from bot.core.scheduling.schedule import spec_of

    cohort = find_cohort(session, ref)
    if cohort is None:
        raise ScheduleError(f"no cohort {ref!r}: `balint cohort list` shows ids and names")
    if week is None:
        week = current_week(spec_of(cohort), env.clock.now()) or 1
    if not 1 <= week <= cohort.weeks:
        raise ScheduleError(f"week {week} is outside 1…{cohort.weeks} for {cohort.name!r}")
    return cohort, week


def cohort_status(session: Session, cohort_id: int) -> str:
    """Return a cohort's status ("open", "paused", "closed"), or "missing"."""
    cohort = repo.get_cohort(session=session, cohort_id=cohort_id)
    return cohort.status if cohort else "missing"
