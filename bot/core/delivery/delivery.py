"""Durable delivery of weekly prompts: one row per (student, week), created before anything is sent.

A delivery is claimed by one sender (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a single writer),
sent, then marked; a crash between claim and mark leaves a claim that expires and is retried, so the worst
case is one duplicate for what was in flight, never a loss. Two bot processes making the same rows at once is no
error either (``racing``: a savepoint on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update
from sqlmodel.sql.expression import SelectOfScalar

from bot.core.context import Env
from bot.core.replies import Reply
from bot.core.scheduling.schedule import due_at, spec_of
from bot.core.student.reflection import open_week, prompt_replies
from storage.models import Cohort, CohortStatus, Delivery, DeliveryState, Enrolment, User

T = TypeVar("T")
CLAIM_FOR = timedelta(minutes=5)
MAX_ATTEMPTS = 6


class SendError(Exception):
    """Sending to one chat failed."""


class Blocked(SendError):
    """The student blocked the bot (Telegram 403)."""


class RetryLater(SendError):
    """Telegram asked us to wait (429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Transient(SendError):
    """A network or server error worth retrying."""


class Permanent(SendError):
    """A request Telegram will never accept (400)."""


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    chat_id: int
    week: int
    cohort_id: int
    replies: list[Reply]


def eligible(session: Session, cohort_id: int) -> list[tuple[Enrolment, User]]:
    """Return the students of a cohort who should get prompts: consented, not paused, reachable."""
    rows = session.exec(
        select(Enrolment, User)
        .join(User, col(User.id) == col(Enrolment.user_id))
        .where(
            Enrolment.cohort_id == cohort_id,
            col(Enrolment.participate).is_(True),
            col(Enrolment.paused).is_(False),
            col(Enrolment.withdrawn_at).is_(None),
            col(User.unreachable_at).is_(None),
        )
        .order_by(col(Enrolment.id))
    ).all()
    return [(e, u) for e, u in rows]


def ensure_deliveries(session: Session, env: Env, cohort: Cohort, week: int, *, when: datetime | None = None) -> int:
    """Create the week's pending deliveries for every eligible student; idempotent. Return how many are new."""
    assert cohort.id is not None
    when = when or due_at(spec_of(cohort), week)
    existing = set(session.exec(
        select(Delivery.enrolment_id).where(Delivery.cohort_id == cohort.id, Delivery.week == week)
    ).all())
    created = 0
    for enrolment, user in eligible(session, cohort.id):
        if enrolment.id in existing:
            continue
        assert enrolment.id is not None and user.id is not None
        session.add(Delivery(enrolment_id=enrolment.id, user_id=user.id, cohort_id=cohort.id, week=week,
                             due_at=when, next_attempt_at=when))
        created += 1
    session.flush()
    return created


def expire_overdue(session: Session, env: Env) -> int:
    """Mark pending deliveries that fell due longer ago than the grace window as missed (never sent late)."""
    cutoff = env.clock.now() - timedelta(hours=env.grace_hours)
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.state) == DeliveryState.PENDING, col(Delivery.due_at) < cutoff)
        .values(state=DeliveryState.MISSED, last_error="fell due during downtime, outside the grace window")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim(session: Session, env: Env, worker: str, *, limit: int = 200, cohort_id: int | None = None) -> list[int]:
    """Claim up to ``limit`` due deliveries for this worker; another worker never gets the same rows."""
    now = env.clock.now()
    stmt = (
        select(Delivery)
        .join(Cohort, col(Cohort.id) == col(Delivery.cohort_id))
        .where(
            col(Delivery.state) == DeliveryState.PENDING,
            col(Delivery.next_attempt_at) <= now,
            or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now),
            col(Cohort.status) == CohortStatus.OPEN,
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
    )
    if cohort_id is not None:
        stmt = stmt.where(and_(col(Delivery.cohort_id) == cohort_id))
    return claim_rows(session, stmt, worker, now, table=Delivery)


class Claimable(Protocol):
    """An outbox row: deliveries, announcement rows, safeguarding notices."""

    id: int | None
    claimed_by: str | None
    claimed_until: datetime | None


ClaimableRow = TypeVar("ClaimableRow", bound=Claimable)


def claim_rows(session: Session, stmt: SelectOfScalar[ClaimableRow], worker: str, now: datetime, *,
               table: type[ClaimableRow], claim_for: timedelta = CLAIM_FOR) -> list[int]:
    """Lock the selected outbox rows (skipping rows another sender holds, on PostgreSQL) and claim them."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=table)  # type: ignore[arg-type]
    rows = session.exec(stmt).all()
    for row in rows:
        row.claimed_by, row.claimed_until = worker, now + claim_for
        session.add(row)
    return [row.id for row in rows if row.id is not None]


def release_claims(session: Session, worker: str) -> int:
    """Release the claims a worker held when it stopped (called at its start)."""
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.claimed_by) == worker, col(Delivery.state) == DeliveryState.PENDING)
        .values(claimed_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prepare(session: Session, env: Env, delivery_id: int) -> Outgoing | None:
    """Build the prompt of a claimed delivery and open its week's conversation."""
    d = session.get(Delivery, delivery_id)
    if d is None or d.state != DeliveryState.PENDING:
        return None
    enrolment = session.get(Enrolment, d.enrolment_id)
    user = session.get(User, d.user_id)
    cohort = session.get(Cohort, d.cohort_id)
    if enrolment is None or user is None or cohort is None or not enrolment.participate \
            or enrolment.withdrawn_at is not None or enrolment.paused:
        d.state = DeliveryState.EXPIRED
        d.last_error = "student no longer eligible"
        session.add(d)
        return None
    rs = open_week(session, env, enrolment, d.week)
    replies = prompt_replies(first_name=user.first_name, cohort=cohort, week=d.week, rs=rs)
    return Outgoing(delivery_id=delivery_id, chat_id=user.telegram_id, week=d.week, cohort_id=cohort.id or 0,
                    replies=replies)


def mark_sent(session: Session, env: Env, delivery_id: int, message_id: int | None) -> None:
    """Record a delivery as sent; last week's unanswered prompt expires now."""
    d = session.get(Delivery, delivery_id)
    if d is None:
        return
    now = env.clock.now()
    d.state, d.sent_at, d.message_id, d.attempts = DeliveryState.SENT, now, message_id, d.attempts + 1
    d.claimed_until = None
    cohort = session.get(Cohort, d.cohort_id)
    hours = cohort.reminder_hours if cohort and cohort.reminder_hours else None
    d.reminder_at = now + timedelta(hours=hours) if hours else None
    session.add(d)
    session.execute(
        update(Delivery)
        .where(col(Delivery.enrolment_id) == d.enrolment_id, col(Delivery.week) < d.week,
               col(Delivery.state) == DeliveryState.SENT)
        .values(state=DeliveryState.EXPIRED)
    )


class SendRow(Protocol):
    """What a prompt row and an announcement row share: one message to one student, with retries."""

    user_id: int
    state: str
    attempts: int
    next_attempt_at: datetime
    claimed_until: datetime | None
    last_error: str | None


def settle_retry(session: Session, env: Env, row: SendRow, delay: float, error: str, *, failed: str) -> None:
    """Put a row back for a later attempt, or fail it (state ``failed``) after too many."""
    row.attempts += 1
    row.last_error, row.claimed_until = error[:500], None
    if row.attempts >= MAX_ATTEMPTS:
        row.state = failed
    else:
        row.next_attempt_at = env.clock.now() + timedelta(seconds=delay)
    session.add(row)


def settle_failed(session: Session, env: Env, row: SendRow, error: str, *, failed: str) -> None:
    """Fail a row for good."""
    row.state, row.last_error, row.claimed_until = failed, error[:500], None
    row.attempts += 1
    session.add(row)


def settle_blocked(session: Session, env: Env, row: SendRow, *, failed: str) -> None:
    """The student blocked the bot (403): fail the row and mark the student unreachable."""
    settle_failed(session, env, row, "blocked by the student (403)", failed=failed)
    mark_unreachable(session, env, row.user_id)


def mark_unreachable(session: Session, env: Env, user_id: int) -> None:
    """Record that a student blocked the bot (facilitators see it in /stats)."""
    user = session.get(User, user_id)
    if user is not None and user.unreachable_at is None:
        user.unreachable_at = env.clock.now()
        session.add(user)


def mark_retry(session: Session, env: Env, delivery_id: int, delay: float, error: str) -> None:
    """Put a delivery back for a later attempt (or fail it after too many)."""
    if (d := session.get(Delivery, delivery_id)) is not None:
        settle_retry(session, env, d, delay, error, failed=DeliveryState.FAILED)


def mark_blocked(session: Session, env: Env, delivery_id: int) -> None:
    """The student blocked the bot: fail the delivery and mark them unreachable."""
    if (d := session.get(Delivery, delivery_id)) is not None:
        settle_blocked(session, env, d, failed=DeliveryState.FAILED)


def mark_failed(session: Session, env: Env, delivery_id: int, error: str) -> None:
    """Fail a delivery for good."""
    if (d := session.get(Delivery, delivery_id)) is not None:
        settle_failed(session, env, d, error, failed=DeliveryState.FAILED)


def seconds_to_next_retry(session: Session, env: Env, *, cohort_id: int | None = None) -> float | None:
    """Return how long until the next pending delivery may be attempted (None when nothing is pending).

    Rows another sender holds right now are its business (or, if it died, come back when the claim lapses):
    counting them would keep this sender waiting on work it cannot claim."""
    now = env.clock.now()
    stmt = select(Delivery.next_attempt_at).where(
        col(Delivery.state) == DeliveryState.PENDING,
        or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now))
    if cohort_id is not None:
        stmt = stmt.where(col(Delivery.cohort_id) == cohort_id)
    first = session.exec(stmt.order_by(col(Delivery.next_attempt_at)).limit(1)).first()
    if first is None:
        return None
    return max((first - now).total_seconds(), 0.0)


def backoff(attempts: int) -> float:
    """Seconds to wait before the next attempt after a transient error."""
    return float(min(5 * 2 ** attempts, 600))


def racing(session: Session, fn: Callable[[], T], lost: T) -> T:
    """Run ``fn`` so that losing a race to another bot process (the same rows inserted at the same moment) is
    not an error: on PostgreSQL in a savepoint, answering ``lost`` when the other process's rows won. (SQLite
    has one writer: the second process waits, and ``Database.call`` retries it on "database is locked".) With
    ``claim_rows``, one of the two places the domain tells SQLite and PostgreSQL apart."""
    if session.get_bind().dialect.name != "postgresql":
        return fn()
    try:
        with session.begin_nested():
            return fn()
    except IntegrityError:
        return lost
