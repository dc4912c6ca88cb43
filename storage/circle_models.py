"""Tables of Balint circles: the circle, its members (the third consent), its weeks, posts and the relay outbox.

A post is stored once; its copies to the members' chats are rows of ``circle_outbox``, written in the same
transaction, sent in id order per member (so every member sees the posts in one order) and marked when sent.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.models  # noqa: F401  (sets the metadata's naming convention before these tables exist)
from storage.types import UTCDateTime, utcnow


class MemberStatus(StrEnum):
    INVITED = "invited"  # asked; the third consent not answered yet
    JOINED = "joined"  # said yes: posts shared with the circle and its leader
    DECLINED = "declined"  # said no: not a member
    LEFT = "left"


class Phase(StrEnum):
    CHOOSING = "choosing"  # a presenter volunteers (or the rotation asks); the presenter writes the case
    QUESTIONS = "questions"  # the group asks clarifying questions; the presenter answers
    DISCUSSION = "discussion"  # push-back: the presenter listens, the group explores
    RESPONSE = "response"  # the presenter comes back in
    CLOSING = "closing"  # the leader closes
    CLOSED = "closed"
    NO_CASE = "no_case"  # nobody presented this week


class Circle(SQLModel, table=True):
    __tablename__ = "circles"
    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohorts.id", index=True)
    name: str
    starts_on: date  # the local date of week 1's opening (or the first rhythm day on or after it)
    weeks: int = 5
    rhythm: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    aliases: bool = False  # posts attributed by circle alias instead of first name
    created_by: str = "cli"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CircleMember(SQLModel, table=True):
    __tablename__ = "circle_members"
    __table_args__ = (UniqueConstraint("circle_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circles.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: str = "member"  # "member" | "leader"
    alias: str | None = None
    status: str = MemberStatus.INVITED
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    composing: str | None = None  # "post" | "case": the member's next typed message goes to the circle
    draft: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # the case awaiting confirmation


class CircleWeek(SQLModel, table=True):
    __tablename__ = "circle_weeks"
    __table_args__ = (UniqueConstraint("circle_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circles.id", index=True)
    week: int
    phase: str = Phase.CHOOSING
    presenter_id: int | None = Field(default=None, foreign_key="circle_members.id")
    asked_id: int | None = Field(default=None, foreign_key="circle_members.id")  # the rotation's current ask
    declined: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    pushback_told: bool = False  # the presenter was told once that push-back is for listening
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    phase_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CirclePost(SQLModel, table=True):
    """A post to the circle, stored once (the chat message it came from makes it exactly once)."""

    __tablename__ = "circle_posts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    week_id: int = Field(foreign_key="circle_weeks.id", index=True)
    member_id: int = Field(foreign_key="circle_members.id", index=True)
    role: str  # "presenter" | "member" | "leader"
    phase: str
    kind: str = "post"  # "case" | "post"
    text: str = Field(sa_column=Column(Text, nullable=False))
    encrypted: bool = False
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str | None = None
    # the post this one replied to (a Telegram reply to its copy); no foreign key, so a quoted post erased
    # with its author still marks this one as quoting someone who is gone
    quotes_post_id: int | None = None


class CircleOutbox(SQLModel, table=True):
    """One message to one member's chat; sent in id order per member, marked once sent."""

    __tablename__ = "circle_outbox"
    __table_args__ = (Index("ix_circle_outbox_unsent", "sent_at", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    circle_id: int = Field(foreign_key="circles.id", index=True)
    member_id: int = Field(foreign_key="circle_members.id")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    post_id: int | None = Field(default=None, foreign_key="circle_posts.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    encrypted: bool = False
    buttons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    edit_of: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))  # edit that message
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = None
