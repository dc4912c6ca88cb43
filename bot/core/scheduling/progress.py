"""Where a cohort or a student stands, from what was delivered as well as from the calendar.

A facilitator may send a week early (``/sendnow 2``, ``balint prompt send-now``). The calendar alone would then
still say "week 1", count week 2 as "to come" and promise a prompt that has already arrived. Everything that
says which week it is, or what comes next, asks here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.core.scheduling.schedule import ScheduleSpec, current_week, due_at
from storage.models import Delivery


def sent_weeks(session: Session, *, cohort_id: int, enrolment_id: int | None = None) -> dict[int, datetime]:
    """Return each week whose prompt went out (to the cohort, or to one student) and when it first did."""
    stmt = (select(Delivery.week, func.min(Delivery.sent_at))
            .where(Delivery.cohort_id == cohort_id, col(Delivery.sent_at).is_not(None))
            .group_by(col(Delivery.week)))
    if enrolment_id is not None:
        stmt = stmt.where(Delivery.enrolment_id == enrolment_id)
    return {int(week): first for week, first in session.exec(stmt).all() if first is not None}


def week_now(spec: ScheduleSpec, now: datetime, sent: dict[int, datetime] | set[int]) -> int | None:
    """Return the latest week that is due by the calendar or has been sent already (None before either)."""
    week = max(current_week(spec, now) or 0, max(sent, default=0))
    return min(week, spec.weeks) or None


def next_prompt(spec: ScheduleSpec, now: datetime, sent: dict[int, datetime] | set[int]) -> tuple[int, datetime] | None:
    """Return the next (week, moment) still to come after what is due or sent, or None when all are out."""
    week = week_now(spec, now, sent) or 0
    for later in range(week + 1, spec.weeks + 1):
        if later not in sent:
            return later, due_at(spec, later)
    return None
