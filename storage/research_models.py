"""Tables of the research pipeline: participants, the coding queue, codebook rounds, codings, exports.

What researchers see is only ever held here: pseudonyms and redacted text. The raw reflection stays in
``reflection_entries``; an item points at it (by session and step) so it can be refreshed or withdrawn, and
never copies it. Rows that hang off an item are deleted with it (``ON DELETE CASCADE``), so erasing a
student's reflections erases every derived research row; the export audit keeps only pseudonyms and ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import storage.circle_models  # noqa: F401  (research_transcripts refers to circle_weeks: no flush without it)
from storage.types import UTCDateTime, utcnow


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Any:
    """A foreign key whose rows go when the referenced row goes."""
    return Field(default=None, sa_column=Column(Integer, ForeignKey(target, ondelete="CASCADE"),
                                               nullable=nullable, index=index))


class ResearchParticipant(SQLModel, table=True):
    """A student in a study, known only by number. ``digest`` is HMAC(PSEUDONYM_KEY, study, Telegram id)."""

    __tablename__ = "research_participants"
    __table_args__ = (UniqueConstraint("digest", "study_id"), UniqueConstraint("number", "study_id"))
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    digest: str
    number: int
    first_entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def pseudonym(self) -> str:
        return pseudonym_of(self.number)


def pseudonym_of(number: int) -> str:
    """P001, P002 … P999, P1000 …"""
    return f"P{number:03d}"


class ResearchTranscript(SQLModel, table=True):
    """One session as a research source, its turns the items that point here: a closed Balint circle week
    (``kind`` "circle", deleted with its week, its turns with it) or an in-person session imported from a
    transcript file (``kind`` "import", no circle week)."""

    __tablename__ = "research_transcripts"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    kind: str = "circle"
    circle_week_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("circle_weeks.id", ondelete="CASCADE"), nullable=True, unique=True))
    cohort_id: int = Field(foreign_key="cohorts.id")
    week: int
    title: str  # "Circle Rose · week 1": the session column of the exports, the source's name in REFI-QDA
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CodingItem(SQLModel, table=True):
    """One reflection step (the latest version of what the student wrote at that step), redacted; or one turn
    of a transcript (``transcript_id`` set, with its number, the speaker's role and the phase it was said in).

    ``spans`` lists what was replaced: ``start``/``end`` in the raw text (offsets only, never the words) and
    ``at``/``to`` where the placeholder sits in ``text``. ``excluded_at`` set: out of the queue and of every
    export (consent withdrawn or changed to no).
    """

    __tablename__ = "research_items"
    __table_args__ = (UniqueConstraint("session_id", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    participant_id: int = Field(foreign_key="research_participants.id", index=True)
    session_id: int | None = _fk("reflection_sessions.id", nullable=True, index=False)  # None: a circle post
    circle_post_id: int | None = Field(default=None, sa_column=Column(  # an item made from a Balint circle post
        Integer, ForeignKey("circle_posts.id", ondelete="CASCADE"), nullable=True, unique=True))
    transcript_id: int | None = _fk("research_transcripts.id", nullable=True)
    turn: int | None = None  # the turn's place in its session (gaps: turns left out)
    speaker_role: str | None = None  # "presenter" | "member" | "leader"
    phase: str | None = None  # "case" | "questions" | "discussion" | "response" | "closing"
    cohort_id: int = Field(foreign_key="cohorts.id")
    week: int
    step: str
    entry_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_digest: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    spans: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    written_at: datetime = Field(sa_type=UTCDateTime)  # when the student wrote it (first message)
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = None
    excluded_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    excluded_reason: str | None = None


class ImportedTurn(SQLModel, table=True):
    """The raw words of an imported transcript turn (encrypted at rest like a reflection; server side only) and
    whose they are, so review marks, consent changes and /delete reach the turn as they reach a reflection."""

    __tablename__ = "research_imported_turns"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(sa_column=Column(Integer, ForeignKey("research_items.id", ondelete="CASCADE"),
                                          nullable=False, unique=True))
    user_id: int = _fk("users.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    encrypted: bool = False


class ItemMark(SQLModel, table=True):
    """A stretch a researcher marked for redaction at review (raw offsets, and the redacted words they saw)."""

    __tablename__ = "research_item_marks"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = _fk("research_items.id")
    start: int
    end: int
    type: str = "REDACTED"
    seen: str = Field(sa_column=Column(Text, nullable=False))  # the redacted text the researcher marked
    source_digest: str  # the raw text the offsets refer to
    marked_by: str
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CodingRound(SQLModel, table=True):
    """Round 1, 2, 3 … of a study; each has its own copy of the codebook and is closed explicitly."""

    __tablename__ = "research_rounds"
    __table_args__ = (UniqueConstraint("number", "study_id"),)
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    number: int
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = None
    # set on closing: {"items": N, "participants": {"P001": n, …}}, so a later export can say what it left out
    frozen: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class RoundItem(SQLModel, table=True):
    """A member of a closed round as it stood when the round closed: what its exports show for ever.

    Redacted text only (like the item); it goes with the item when a student is erased.
    """

    __tablename__ = "research_round_items"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="research_rounds.id", index=True)
    item_id: int = _fk("research_items.id")
    participant_id: int = Field(foreign_key="research_participants.id")
    cohort: str
    week: int
    step: str
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    entered_at: datetime = Field(sa_type=UTCDateTime)


class ResearchCode(SQLModel, table=True):
    """A code of one round's codebook. ``lineage`` is shared by the same code across rounds;
    ``derived_from`` names the previous round's codes it came from (several after a merge)."""

    __tablename__ = "research_codes"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_id: int = Field(foreign_key="research_rounds.id", index=True)
    lineage: str
    parent_id: int | None = Field(default=None, foreign_key="research_codes.id")
    name: str
    definition: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    inclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    exclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    example: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    colour: str = "#888888"
    position: int = 0
    derived_from: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # merged or split away


class CodeEvent(SQLModel, table=True):
    """The codebook's history: created, edited, renamed, merged, split, carried into a new round."""

    __tablename__ = "research_code_history"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_id: int = Field(foreign_key="research_rounds.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    action: str
    code_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Coder(SQLModel, table=True):
    """A researcher who codes in a study, named in exports by ``label`` (never by Telegram name or id)."""

    __tablename__ = "research_coders"
    __table_args__ = (UniqueConstraint("label", "study_id"), UniqueConstraint("telegram_id", "study_id"))
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    label: str
    independent: bool = False  # outside the study team: preferred as the independent coder of each item
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """An item given to a coder in a round. ``pending_*``: a quoted passage waiting for its code."""

    __tablename__ = "research_assignments"
    __table_args__ = (UniqueConstraint("item_id", "round_id", "coder_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="research_rounds.id", index=True)
    item_id: int = _fk("research_items.id")
    coder_id: int = Field(foreign_key="research_coders.id", index=True)
    independent: bool = False
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    shown_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    skipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pending_start: int | None = None
    pending_end: int | None = None


class ResearchCoding(SQLModel, table=True):
    """A code applied by one coder: to the whole item (``start`` None) or to code points [start, end)."""

    __tablename__ = "research_codings"
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = _fk("research_assignments.id")
    code_id: int = Field(foreign_key="research_codes.id", index=True)
    start: int | None = None
    end: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Memo(SQLModel, table=True):
    """A coder's note on an item or on a code (or both)."""

    __tablename__ = "research_memos"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_id: int = Field(foreign_key="research_rounds.id")
    coder_id: int = Field(foreign_key="research_coders.id")
    item_id: int | None = _fk("research_items.id", nullable=True)
    code_id: int | None = Field(default=None, foreign_key="research_codes.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Settlement(SQLModel, table=True):
    """An item's coding agreed in a round (the codes are in ``research_agreed_codings``)."""

    __tablename__ = "research_settlements"
    __table_args__ = (UniqueConstraint("item_id", "round_id"),)
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="research_rounds.id", index=True)
    item_id: int = _fk("research_items.id", index=False)
    actor: str
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = None


class AgreedCoding(SQLModel, table=True):
    """One code of a settled item; each coder's original codings stay in ``research_codings``."""

    __tablename__ = "research_agreed_codings"
    id: int | None = Field(default=None, primary_key=True)
    settlement_id: int = _fk("research_settlements.id")
    code_id: int = Field(foreign_key="research_codes.id")
    start: int | None = None
    end: int | None = None


class ResearchExport(SQLModel, table=True):
    """What an export held, so a later withdrawal can say which files already carry someone's words.

    ``items`` are item-id ranges ``[[first, last], …]`` (compact for 100,000 rows); the participants are in
    ``research_export_participants``.
    """

    __tablename__ = "research_exports"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="studies.id", index=True)
    round_number: int | None = None
    format: str
    actor: str
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rows: int = 0
    bytes: int = 0
    sha256: str = ""
    filename: str | None = None
    items: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # a closed round's export: {"items": n, "participants": ["P003"]} of its members left out (withdrawn or erased)
    left_out: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ExportParticipant(SQLModel, table=True):
    __tablename__ = "research_export_participants"
    __table_args__ = (UniqueConstraint("export_id", "participant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    export_id: int = _fk("research_exports.id", index=False)
    participant_id: int = Field(foreign_key="research_participants.id", index=True)
