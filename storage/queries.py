"""Bulk updates shared by several domain modules."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, update

from storage.models import Delivery, DeliveryState, ReflectionSession, SessionStatus


def close_open_sessions(*, session: Session, enrolment_id: int, status: str, at: datetime) -> None:
    """Close every open conversation of an enrolment."""
    session.execute(
        update(ReflectionSession)
        .where(col(ReflectionSession.enrolment_id) == enrolment_id,
               col(ReflectionSession.status) == SessionStatus.OPEN)
        .values(status=status, closed_at=at, updated_at=at)
    )


def expire_pending_deliveries(*, session: Session, enrolment_id: int, state: str) -> None:
    """Stop every delivery of an enrolment that has not gone out yet."""
    session.execute(
        update(Delivery)
        .where(col(Delivery.enrolment_id) == enrolment_id,
               col(Delivery.state).in_([DeliveryState.PENDING, DeliveryState.FAILED]))
        .values(state=state)
    )
