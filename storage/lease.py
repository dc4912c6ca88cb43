"""The send lease: one row naming the process that may send bulk messages for the bot token right now.

Telegram's ~30 messages/s is per token, not per process. Exactly one process holds the lease at a time; it paces
every broadcast, reminder and announcement, and the others (more workers, the CLI) leave their rows to it. The
holder renews the lease every few seconds; a holder that died stops renewing and loses it after ``ttl``. Taking
and renewing are one UPDATE each, atomic on SQLite and PostgreSQL alike (PostgreSQL re-checks the WHERE on the
locked row), so two processes can never both believe they hold it. Times are the processes' own UTC clocks: keep
the machines NTP-synchronised (the lease is seconds long, clock skew must stay well under that).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import CursorResult, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from storage.types import UTCDateTime

SEND_LEASE = "telegram-send"


class SendLease(SQLModel, table=True):
    """Who may send bulk messages for the bot token until ``expires_at``."""

    __tablename__ = "send_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime)


def take_lease(session: Session, *, holder: str, now: datetime, ttl: float, name: str = SEND_LEASE) -> bool:
    """Take or renew the lease for ``holder``; return whether it holds it now."""
    until = now + timedelta(seconds=ttl)
    result = session.execute(
        update(SendLease)
        .where(col(SendLease.name) == name, or_(col(SendLease.holder) == holder, col(SendLease.expires_at) < now))
        .values(holder=holder, expires_at=until)
    )
    if isinstance(result, CursorResult) and result.rowcount == 1:
        return True
    if session.get(SendLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.execute(insert(SendLease).values(name=name, holder=holder, expires_at=until))
    except IntegrityError:  # another process inserted it first
        return False
    return True


def drop_lease(session: Session, *, holder: str, name: str = SEND_LEASE) -> None:
    """Give the lease up at once (a clean stop), so another process can take it without waiting for it to lapse."""
    session.execute(
        update(SendLease).where(col(SendLease.name) == name, col(SendLease.holder) == holder)
        .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    )


def lease_holder(session: Session, *, now: datetime, name: str = SEND_LEASE) -> str | None:
    """Return who holds the lease now (None when no one does)."""
    row = session.get(SendLease, name, populate_existing=True)
    if row is None or row.expires_at < now:
        return None
    return row.holder
