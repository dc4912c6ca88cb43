"""Safeguarding alerts: who may be at risk, which rule noticed it, who was told, who acknowledged.

An alert never holds what the student wrote: not the message, not the matched phrase. It names the student
through ``user_id`` so a facilitator can reach them, and records the rule's id and category so an institution
can review how its phrase list behaves. Each copy of an alert sent to someone is an ``AlertNotice`` (who, why,
whether it arrived); each "are you safe?" the bot asked is a ``CheckIn``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class SafeguardingAlert(SQLModel, table=True):
    __tablename__ = "safeguarding_alerts"
    __table_args__ = (Index("ix_safeguarding_alerts_open", "acknowledged_at", "escalated_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    cohort_id: int | None = Field(default=None, foreign_key="cohorts.id", index=True)
    category: str
    rule: str
    subject: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_hit_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    hits: int = 1  # further risk messages from the same student while this alert was open
    notified: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_to: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class NoticeState(StrEnum):
    PENDING = "pending"  # waiting to be sent (or to be tried again)
    SENT = "sent"  # Telegram accepted it: this person has the alert
    UNREACHABLE = "unreachable"  # 403 (blocked the bot) or never pressed Start: Telegram refuses the chat
    FAILED = "failed"  # kept failing; given up
    SKIPPED = "skipped"  # acknowledged (or erased) before this copy went out


class AlertNotice(SQLModel, table=True):
    """One copy of an alert to one person: created before it is sent, claimed by one sender, its outcome kept.

    ``reason`` says why this person got it: ``facilitator`` (the student's cohort), ``fallback`` (no facilitator
    could be reached: the safeguarding lead, then the admins), ``outage`` (told directly while the database was
    away; recorded once the alert could be stored).
    """

    __tablename__ = "safeguarding_notices"
    __table_args__ = (
        UniqueConstraint("alert_id", "telegram_id"),
        Index("ix_safeguarding_notices_state_next", "state", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(sa_column=Column(Integer, ForeignKey("safeguarding_alerts.id", ondelete="CASCADE"),
                                           nullable=False, index=True))
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str  # facilitator | lead | admin
    reason: str  # facilitator | fallback | outage
    state: str = NoticeState.PENDING
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None


class CheckInAnswer(StrEnum):
    SAFE = "safe"
    UNSURE = "unsure"
    NOT_SAFE = "not_safe"


class CheckIn(SQLModel, table=True):
    """The bot asked a student whether they are safe (warning signs, nothing explicit), and what they answered.

    Like an alert, it never holds what the student wrote; ``rule`` is the warning-sign rule that asked.
    """

    __tablename__ = "safeguarding_check_ins"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    cohort_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("cohorts.id", ondelete="SET NULL"), nullable=True))
    rule: str
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer: str | None = None  # a CheckInAnswer
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    alert_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("safeguarding_alerts.id", ondelete="SET NULL"), nullable=True))
