"""Safeguarding alerts: who may be at risk, which rule noticed it, who was told, who acknowledged.

An alert never holds what the student wrote: not the message, not the matched phrase. It names the student
through ``user_id`` so a facilitator can reach them, and records the rule's id and category so an institution
can review how its phrase list behaves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index
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
