"""Tables of the facilitator console: guided dialogues in progress, and announcements with their deliveries.

A dialogue's state lives here rather than in PTB's ``user_data`` so it survives a restart and works the same
with several bot processes. An announcement is stored once; each recipient gets a row that is claimed, sent and
marked like a weekly delivery, so a restart or a second process never sends it twice. Rows that hang off a user
go with the user (``ON DELETE CASCADE``), so erasing a student erases their announcement deliveries.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class DraftKind(StrEnum):
    NEW_COHORT = "newcohort"  # /newcohort, one question at a time
    SCHEDULE = "schedule"  # a /schedule button asked for one new value


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"  # shown to the facilitator, waiting for "Send"
    SENDING = "sending"  # recipients' rows exist; the outbox sends them
    CANCELLED = "cancelled"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # the student withdrew or stopped taking part before it went out


class FacilitatorDraft(SQLModel, table=True):
    """One open dialogue per facilitator (by Telegram id): what is being asked, and the answers so far."""

    __tablename__ = "facilitator_drafts"
    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str
    step: str
    cohort_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Announcement(SQLModel, table=True):
    """A facilitator's message to a cohort. Its text is the facilitator's, never a student's."""

    __tablename__ = "announcements"
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(sa_column=Column(Integer, ForeignKey("cohorts.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    author_telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    author_name: str = ""
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = AnnouncementStatus.DRAFT
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AnnouncementDelivery(SQLModel, table=True):
    """An announcement to one student: created before anything is sent, claimed by one sender."""

    __tablename__ = "announcement_deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "user_id"),
        Index("ix_announcement_deliveries_state_next", "state", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(sa_column=Column(
        Integer, ForeignKey("announcements.id", ondelete="CASCADE"), nullable=False))
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    enrolment_id: int = Field(sa_column=Column(Integer, ForeignKey("enrolments.id", ondelete="CASCADE"),
                                               nullable=False))
    state: str = OutboxState.PENDING
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
