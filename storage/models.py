"""Tables of the student journey, schedules, delivery, roles and the audit log.

Research tables live in ``storage/research_models.py``; both register on ``SQLModel.metadata``, whose naming
convention keeps constraint names identical on SQLite and PostgreSQL (Alembic needs that on SQLite).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}




class CohortStatus(StrEnum):
    OPEN = "open"  # students may join; prompts go out
    PAUSED = "paused"  # students may join; no prompts go out
    CLOSED = "closed"  # no one may join; no prompts


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    ANSWERED = "answered"
    EXPIRED = "expired"
    MISSED = "missed"  # fell due during downtime, outside the grace window: never sent late


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # the student reached the close, or ended with /done
    EXPIRED = "expired"  # the next week's prompt arrived first


class Role(StrEnum):
    FACILITATOR = "facilitator"
    RESEARCHER = "researcher"
    ADMIN = "admin"


class Study(SQLModel, table=True):
    __tablename__ = "studies"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    retention_days: int = 365 * 5
    researcher_code: str | None = Field(default=None, unique=True)
    researcher_link_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    researcher_link_single_use: bool = False  # the code is replaced once someone has joined by it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    first_name: str = ""
    username: str | None = None
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Cohort(SQLModel, table=True):
    __tablename__ = "cohorts"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    invite_code: str = Field(unique=True)
    facilitator_code: str | None = Field(default=None, unique=True)
    facilitator_link_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    facilitator_link_single_use: bool = False  # the code is replaced once someone has become a facilitator by it
    study_id: int | None = Field(default=None, foreign_key="studies.id")
    start_date: date
    weeks: int = 6
    weekday: int = 0  # 0 = Monday … 6 = Sunday (Python's convention; converted where PTB wants 0 = Sunday)
    send_time: time = time(9, 0)
    timezone: str = "Europe/London"
    status: str = CohortStatus.OPEN
    quiet_start: time | None = None
    quiet_end: time | None = None
    reminder_hours: int | None = 48
    plan: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Enrolment(SQLModel, table=True):
    """A student in a cohort, with their current consent (the history is in ``consent_records``)."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int = Field(foreign_key="cohorts.id", index=True)
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    participate: bool | None = None  # None: not answered yet
    research: bool | None = None
    consent_version: str | None = None
    paused: bool = False
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pending_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ConsentRecord(SQLModel, table=True):
    """Append-only: who chose what, on which version of the participant information, and when."""

    __tablename__ = "consent_records"
    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolments.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int = Field(foreign_key="cohorts.id")
    kind: str  # "participate" | "research" | "withdraw"
    value: bool
    text_version: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReflectionSession(SQLModel, table=True):
    """One week's guided conversation; its step is the dialogue state, so a restart resumes it."""

    __tablename__ = "reflection_sessions"
    __table_args__ = (UniqueConstraint("enrolment_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolments.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int = Field(foreign_key="cohorts.id", index=True)
    week: int
    step: str
    status: str = SessionStatus.OPEN
    path: str = "full"
    nudged: bool = False  # a gentle "say a little more?" was asked at this step
    answered: bool = False  # the week's delivery was marked answered (saves an UPDATE on every later reply)
    skipped: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReflectionEntry(SQLModel, table=True):
    """One student reply, stored as it arrives; an edit is a new version of the same message."""

    __tablename__ = "reflection_entries"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", "version"),
        Index("ix_reflection_entries_cohort_week", "cohort_id", "week"),
    )
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="reflection_sessions.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int = Field(foreign_key="cohorts.id")
    week: int
    step: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    encrypted: bool = False
    version: int = 1
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """A week's prompt to one student: created before anything is sent, claimed by one sender."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "week"),
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolments.id")
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int = Field(foreign_key="cohorts.id", index=True)
    week: int
    state: str = DeliveryState.PENDING
    due_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("telegram_id", "role", "cohort_id", "study_id"),)
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    role: str
    cohort_id: int | None = Field(default=None, foreign_key="cohorts.id")
    study_id: int | None = Field(default=None, foreign_key="studies.id")
    granted_by: str = "cli"
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only record of who did what (facilitator actions, exports, deletions)."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str
    action: str = Field(index=True)
    cohort_id: int | None = None
    study_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
