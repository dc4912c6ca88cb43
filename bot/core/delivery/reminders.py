"""One gentle reminder, ``reminder_hours`` after a week's prompt, to a student who has not replied.

``delivery.mark_sent`` sets ``Delivery.reminder_at`` from the cohort's ``reminder_hours`` (none when it is 0).
A reminder goes out only while the delivery is still ``sent`` — a reply makes it ``answered``, the next week's
prompt makes it ``expired`` — and only to a student still taking part, not paused, not withdrawn and reachable,
in an open cohort, outside its quiet hours. ``reminded_at`` records it, so there is never a second one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, or_, select

from bot.core.context import Env
from bot.core.delivery.delivery import claim_rows, mark_unreachable
from bot.core.delivery.outbox import Item, OutboxKind
from bot.core.replies import Reply
from bot.core.scheduling.schedule import spec_of
from bot.core.scheduling.scheduling import quiet_until
from bot.core.templates import render
from storage import repo
from storage.models import Cohort, CohortStatus, Delivery, DeliveryState, Enrolment, SessionStatus, User


def claim(session: Session, env: Env, worker: str, limit: int = 200) -> list[int]:
    """Claim deliveries whose reminder is due; another worker never gets the same rows."""
    now = env.clock.now()
    stmt = (
        select(Delivery)
        .join(Cohort, col(Cohort.id) == col(Delivery.cohort_id))
        .where(
            col(Delivery.state) == DeliveryState.SENT,
            col(Delivery.reminder_at) <= now,
            col(Delivery.reminded_at).is_(None),
            or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now),
            col(Cohort.status) == CohortStatus.OPEN,
        )
        .order_by(col(Delivery.reminder_at), col(Delivery.id))
        .limit(limit)
    )
    return claim_rows(session, stmt, worker, now, table=Delivery)


def _cancel(session: Session, d: Delivery) -> None:
    d.reminder_at, d.claimed_until = None, None
    session.add(d)


def prepare(session: Session, env: Env, delivery_id: int) -> Item | None:
    """Build a claimed reminder, or cancel it when it is no longer right to send (None)."""
    d = session.get(Delivery, delivery_id)
    if d is None:
        return None
    if d.state != DeliveryState.SENT or d.reminded_at is not None:
        _cancel(session, d)
        return None
    enrolment = session.get(Enrolment, d.enrolment_id)
    user = session.get(User, d.user_id)
    cohort = session.get(Cohort, d.cohort_id)
    if enrolment is None or user is None or cohort is None or not enrolment.participate or enrolment.paused \
            or enrolment.withdrawn_at is not None or user.unreachable_at is not None \
            or cohort.status != CohortStatus.OPEN:
        _cancel(session, d)
        return None
    rs = repo.get_reflection_session(session=session, enrolment_id=d.enrolment_id, week=d.week)
    if rs is None or rs.status != SessionStatus.OPEN:
        _cancel(session, d)
        return None
    until = quiet_until(spec_of(cohort), env.clock.now())
    if until is not None:  # wait for the morning
        d.reminder_at, d.claimed_until = until, None
        session.add(d)
        return None
    text = render("reminder.html.j2", first_name=user.first_name or "there", week=d.week, weeks=cohort.weeks,
                  cohort_name=cohort.name)
    return Item(row_id=delivery_id, chat_id=user.telegram_id, replies=[Reply(text)])


def mark_sent(session: Session, env: Env, delivery_id: int, message_id: int | None) -> None:
    """Record the reminder as sent: there will not be another for this week."""
    d = session.get(Delivery, delivery_id)
    if d is not None:
        d.reminded_at, d.claimed_until = env.clock.now(), None
        session.add(d)


def mark_retry(session: Session, env: Env, delivery_id: int, delay: float, error: str) -> None:
    """Try the reminder again later."""
    d = session.get(Delivery, delivery_id)
    if d is not None:
        d.reminder_at = env.clock.now() + timedelta(seconds=delay)
        d.claimed_until, d.last_error = None, f"reminder: {error}"[:500]
        session.add(d)


def mark_blocked(session: Session, env: Env, delivery_id: int) -> None:
    """The student blocked the bot: no reminder, and they are unreachable from now on."""
    d = session.get(Delivery, delivery_id)
    if d is None:
        return
    _cancel(session, d)
    d.last_error = "reminder: blocked by the student (403)"
    mark_unreachable(session, env, d.user_id)


def mark_failed(session: Session, env: Env, delivery_id: int, error: str) -> None:
    """Give the reminder up (the prompt itself stays sent)."""
    d = session.get(Delivery, delivery_id)
    if d is not None:
        _cancel(session, d)
        d.last_error = f"reminder: {error}"[:500]


KIND = OutboxKind(name="reminders", claim=claim, prepare=prepare, sent=mark_sent, retry=mark_retry,
                  blocked=mark_blocked, failed=mark_failed)
