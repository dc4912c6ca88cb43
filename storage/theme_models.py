"""Tables of themes: a round's themes, the codes that make each up, their history, and exemplar quotes.

Like the codebook, every round has its own copy of its themes (same ``lineage`` across rounds, ``derived_from``
pointing back); every change is a ``research_theme_history`` row. An exemplar marks one coding (a coded passage
or a whole item) as a quote for the report; it goes with the coding, so erasing a student's reflections erases it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _fk(target: str) -> Any:
    """A foreign key whose rows go when the referenced row goes."""
    return Field(default=None, sa_column=Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=False,
                                               index=True))


class Theme(SQLModel, table=True):
    """A theme of one round: a name, a definition and (in ``research_theme_codes``) the codes that make it up."""

    __tablename__ = "research_themes"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_id: int = Field(foreign_key="research_rounds.id", index=True)
    lineage: str
    name: str
    definition: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    colour: str = "#888888"
    position: int = 0
    derived_from: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # removed in this round


class ThemeCode(SQLModel, table=True):
    """A code that belongs to a theme (a code may belong to several themes)."""

    __tablename__ = "research_theme_codes"
    __table_args__ = (UniqueConstraint("theme_id", "code_id"),)
    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = _fk("research_themes.id")
    code_id: int = Field(foreign_key="research_codes.id", index=True)


class ThemeEvent(SQLModel, table=True):
    """The themes' history: created, edited, linked, unlinked, removed, carried into a new round."""

    __tablename__ = "research_theme_history"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_id: int = Field(foreign_key="research_rounds.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    action: str
    theme_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Exemplar(SQLModel, table=True):
    """A coding a coder marked as an exemplar quote."""

    __tablename__ = "research_exemplars"
    __table_args__ = (UniqueConstraint("coding_id"),)
    id: int | None = Field(default=None, primary_key=True)
    coding_id: int = _fk("research_codings.id")
    coder_id: int = Field(foreign_key="research_coders.id")
    note: str | None = None
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
