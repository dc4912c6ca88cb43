"""What is due, computed from the database: the weekly jobs, the deliveries behind them, catch-up after downtime.

The database is the source of truth. ``job_plan`` says which week jobs should exist (one per week still to come
of every open cohort, with the deterministic id ``cohort:{id}:week:{n}``); the transport
(``bot/telegram/jobs.py``) schedules them and reconciles them on every tick, so a schedule changed anywhere — in
chat, from the CLI, by another process — takes effect without a restart.

When a week's moment comes, ``fire_week`` creates its deliveries (idempotently) and the dispatcher sends them.
``sync`` is the safety net run on every tick: the current week's deliveries exist for every eligible student as
long as the week is inside the grace window (a student who joined an hour after the prompt still gets it). At
start-up it also records, as missed, the current week's prompt for students who were due it while the bot was
down longer than the grace window: it is never sent late. Automatic sends wait for the end of a cohort's quiet
hours; a facilitator's explicit send-now (``send_now``, which queues a week at once) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlmodel import Session, col, delete, or_, select

from bot.core.context import Env
from bot.core.delivery import delivery
from bot.core.scheduling.schedule import ScheduleSpec, current_week, due_at, spec_of, zone
from storage.models import Cohort, CohortStatus, Delivery, DeliveryState

JOB_PREFIX = "cohort:"
MISSED_NOTE = "fell due while the bot was down, outside the grace window"


def job_id(cohort_id: int, week: int) -> str:
    """Return the deterministic id of a week's job."""
    return f"{JOB_PREFIX}{cohort_id}:week:{week}"


def parse_job_id(text: str) -> tuple[int, int] | None:
    """Return (cohort id, week) from a job id, or None for any other job."""
    parts = text.split(":")
    if len(parts) != 4 or parts[0] != "cohort" or parts[2] != "week":
        return None
    try:
        return int(parts[1]), int(parts[3])
    except ValueError:
        return None


@dataclass(frozen=True)
class WeekJob:
    id: str
    cohort_id: int
    week: int
    at: datetime  # aware UTC, on the domain's clock


@dataclass
class SyncReport:
    created: int = 0  # deliveries made for the current week (late joiners, missed job firings, catch-up)
    missed: int = 0  # deliveries recorded as missed at start-up
    deferred: int = 0  # deliveries held until a cohort's quiet hours end


def open_cohorts(session: Session, cohort_id: int | None = None) -> list[Cohort]:
    """Return the cohorts whose prompts go out (status open), oldest first."""
    stmt = select(Cohort).where(Cohort.status == CohortStatus.OPEN).order_by(col(Cohort.id))
    if cohort_id is not None:
        stmt = stmt.where(Cohort.id == cohort_id)
    return list(session.exec(stmt).all())


def job_plan(session: Session, env: Env, cohort_id: int | None = None) -> list[WeekJob]:
    """Return the week jobs that should exist now: every week still to come of every open cohort."""
    now = env.clock.now()
    plan = []
    for cohort in open_cohorts(session, cohort_id):
        assert cohort.id is not None
        spec = spec_of(cohort)
        for week in range(1, cohort.weeks + 1):
            when = due_at(spec, week)
            if when > now:
                plan.append(WeekJob(job_id(cohort.id, week), cohort.id, week, when))
    return plan


def quiet_until(spec: ScheduleSpec, now: datetime) -> datetime | None:
    """Return when the cohort's quiet hours end if ``now`` falls inside them, else None."""
    start, end = spec.quiet_start, spec.quiet_end
    if start is None or end is None or start == end:
        return None
    tz = zone(spec.timezone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() + (timedelta(days=1) if start > end and t >= start else timedelta())
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def _week_rows(session: Session, cohort_id: int, week: int) -> set[int]:
    return set(session.exec(
        select(Delivery.enrolment_id).where(Delivery.cohort_id == cohort_id, Delivery.week == week)).all())


def _ensure(session: Session, env: Env, cohort: Cohort, week: int) -> tuple[int, int]:
    """Create a week's missing deliveries at its due moment, held to the end of quiet hours; (new, deferred)."""
    return delivery.racing(session, lambda: _ensure_now(session, env, cohort, week), (0, 0))


def _ensure_now(session: Session, env: Env, cohort: Cohort, week: int) -> tuple[int, int]:
    assert cohort.id is not None
    spec = spec_of(cohort)
    before = _week_rows(session, cohort.id, week)
    created = delivery.ensure_deliveries(session, env, cohort, week, when=due_at(spec, week))
    until = quiet_until(spec, env.clock.now())
    if not created or until is None:
        return created, 0
    fresh = session.exec(select(Delivery).where(
        Delivery.cohort_id == cohort.id, Delivery.week == week,
        col(Delivery.enrolment_id).not_in(before) if before else col(Delivery.id).is_not(None))).all()
    for d in fresh:
        d.next_attempt_at = until
        session.add(d)
    return created, len(fresh)


def fire_week(session: Session, env: Env, cohort_id: int, week: int) -> int:
    """A week's moment has come: make sure every eligible student has its delivery; return how many are new."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.status != CohortStatus.OPEN or not 1 <= week <= cohort.weeks:
        return 0
    when = due_at(spec_of(cohort), week)
    now = env.clock.now()
    if when > now or now - when > timedelta(hours=env.grace_hours):
        return 0  # early (the tick reschedules it) or too late (never sent late)
    return _ensure(session, env, cohort, week)[0]


def _record_missed(session: Session, env: Env, cohort: Cohort, week: int) -> int:
    """Record the week as missed for students who were due it (enrolled by then) and have no delivery."""
    assert cohort.id is not None
    when = due_at(spec_of(cohort), week)
    have = _week_rows(session, cohort.id, week)
    missed = 0
    for enrolment, user in delivery.eligible(session, cohort.id):
        if enrolment.id in have or enrolment.joined_at > when:
            continue
        assert enrolment.id is not None and user.id is not None
        session.add(Delivery(enrolment_id=enrolment.id, user_id=user.id, cohort_id=cohort.id, week=week,
                             due_at=when, next_attempt_at=when, state=DeliveryState.MISSED, last_error=MISSED_NOTE))
        missed += 1
    session.flush()
    return missed


def _defer_unsent(session: Session, env: Env, cohort: Cohort, until: datetime) -> int:
    """Hold a cohort's never-attempted pending deliveries until its quiet hours end."""
    now = env.clock.now()
    rows = session.exec(select(Delivery).where(
        Delivery.cohort_id == cohort.id, Delivery.state == DeliveryState.PENDING, Delivery.attempts == 0,
        col(Delivery.next_attempt_at) <= now,
        or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now))).all()
    for d in rows:
        d.next_attempt_at = until
        session.add(d)
    return len(rows)


def sync(session: Session, env: Env, *, starting: bool = False) -> SyncReport:
    """Make sure the current week's deliveries exist; at start-up, also settle what fell due during downtime."""
    report = SyncReport()
    now = env.clock.now()
    grace = timedelta(hours=env.grace_hours)
    for cohort in open_cohorts(session):
        spec = spec_of(cohort)
        week = current_week(spec, now)
        if week is None:
            continue
        if now - due_at(spec, week) <= grace:
            created, deferred = _ensure(session, env, cohort, week)
            report.created += created
            report.deferred += deferred
        elif starting:
            report.missed += delivery.racing(session, partial(_record_missed, session, env, cohort, week), 0)
        if starting and (until := quiet_until(spec, now)) is not None:
            report.deferred += _defer_unsent(session, env, cohort, until)
    if starting:
        report.missed += delivery.expire_overdue(session, env)
    session.flush()
    return report


def forget_unsent(session: Session, env: Env, cohort_id: int) -> int:
    """Drop a cohort's deliveries that were never attempted, after its schedule changed; the new one re-creates
    them when their week falls due. Rows a sender holds right now are left alone."""
    now = env.clock.now()
    result = session.execute(delete(Delivery).where(
        col(Delivery.cohort_id) == cohort_id, col(Delivery.state) == DeliveryState.PENDING,
        col(Delivery.attempts) == 0,
        or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now)))
    return int(getattr(result, "rowcount", 0) or 0)
