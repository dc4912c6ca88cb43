"""Tables of the web workbench's sign-in: one-time links and browser sessions.

Only SHA-256 hashes of the link and session tokens are stored, so a copy of the database cannot sign anyone in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class WebLink(SQLModel, table=True):
    """A one-time sign-in link (``balint web link`` or ``/web`` in chat); good once, for ten minutes."""

    __tablename__ = "web_links"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser; it ends after eight hours without a request, or at sign-out."""

    __tablename__ = "web_sessions"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    csrf: str  # sent in every form; useless without the session cookie itself
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
