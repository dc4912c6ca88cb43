"""Updates taken from Telegram but not yet handled: kept here so the poller can confirm them at once.

Telegram only lets a poller confirm everything below an offset, and offers at most 100 updates past it. If the
poller confirmed only handled updates, one chat waiting out 429s would pin the offset while 100 newer updates
piled up, and the 101st student would wait behind it. So each batch is written here first (one INSERT per
batch), then confirmed; a handled update's row is deleted (in batches). After a crash the rows left here are
handled again at start-up, in update order: nothing is lost, and handling an update twice stores nothing twice
(the handlers are idempotent per message, the same property that makes re-offered updates safe).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BigInteger, Column, Text, delete, select
from sqlmodel import Field, Session, SQLModel, col

from storage.types import UTCDateTime


class UpdateInbox(SQLModel, table=True):
    """One update fetched from Telegram and not yet handled (raw JSON)."""

    __tablename__ = "update_inbox"
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)


def keep_updates(session: Session, rows: Iterable[tuple[int, str]], *, now: datetime) -> None:
    """Store updates (id, JSON) not stored yet."""
    rows = list(rows)
    if not rows:
        return
    have = set(session.execute(select(UpdateInbox.update_id).where(  # type: ignore[call-overload]
        col(UpdateInbox.update_id).in_([uid for uid, _ in rows]))).scalars().all())
    session.add_all([UpdateInbox(update_id=uid, payload=payload, received_at=now)
                     for uid, payload in rows if uid not in have])


def unhandled_updates(session: Session, /) -> list[tuple[int, str]]:
    """Return the stored updates, oldest first (what a crash left unhandled)."""
    return [(r.update_id, r.payload) for r in session.execute(
        select(UpdateInbox).order_by(col(UpdateInbox.update_id))).scalars().all()]


def forget_updates(session: Session, ids: Iterable[int]) -> None:
    """Delete the rows of handled updates."""
    ids = list(ids)
    if ids:
        session.execute(delete(UpdateInbox).where(col(UpdateInbox.update_id).in_(ids)))
