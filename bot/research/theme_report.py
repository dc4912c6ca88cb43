"""The theme report of a round: per theme its definition, codes, prevalence, exemplar quotes and agreement.

Prevalence counts items (reflection steps and session turns), participants and weeks, and by source: private
reflections, circle turns, in-person turns (imported transcripts), with the group sessions the turns come from. An
item counts for a code when the code is in the item's settlement, or, for an item not settled, when any coder who
finished it applied the code (on the whole item or on a passage). A theme's prevalence is the union over its codes.
Only items still in the queue count: a withdrawn student's words leave the report. Everything shown is redacted and
pseudonymous.
Rendering (Markdown, HTML, Word) and the theme map are in ``bot.research.theme_render``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, compare, themes
from bot.research.agreement import CodeAgreement, compute_agreement
from storage import coding_repo, research_repo, theme_repo
from storage.models import Study
from storage.research_models import Coder, CodingItem, CodingRound, ResearchParticipant

SOURCE_REFLECTION = "private reflection"
SOURCE_TURN = "circle turn"
SOURCE_IMPORTED = "in-person turn"  # a turn of a session imported from a transcript file
_SOURCES = {"circle": SOURCE_TURN, "import": SOURCE_IMPORTED}


@dataclass
class Prevalence:
    """Where a code or theme occurs: items, participants, weeks; items by kind of source."""

    items: set[int] = field(default_factory=set)
    participants: set[int] = field(default_factory=set)
    weeks: set[int] = field(default_factory=set)
    by_source: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    sessions: set[int] = field(default_factory=set)  # the transcripts (circle weeks, imported sessions) of its turns

    def add(self, item: CodingItem, kind: str | None = None) -> None:
        """Count an item; ``kind`` is its transcript's ("circle", "import"), None for a private reflection."""
        assert item.id is not None
        self.items.add(item.id)
        self.participants.add(item.participant_id)
        self.weeks.add(item.week)
        self.by_source[SOURCE_REFLECTION if item.transcript_id is None else _SOURCES.get(kind or "", SOURCE_TURN)
                       ].add(item.id)
        if item.transcript_id is not None:
            self.sessions.add(item.transcript_id)

    def merge(self, other: Prevalence) -> None:
        self.items |= other.items
        self.participants |= other.participants
        self.weeks |= other.weeks
        for k, v in other.by_source.items():
            self.by_source[k] |= v
        self.sessions |= other.sessions


@dataclass
class Quote:
    text: str
    pseudonym: str
    week: int
    code: str
    coder: str
    note: str | None


@dataclass
class CodeRow:
    code_id: int
    path: str
    name: str
    definition: str
    prevalence: Prevalence
    agreement: CodeAgreement | None


@dataclass
class ThemeRow:
    name: str
    definition: str
    colour: str
    codes: list[CodeRow]
    prevalence: Prevalence
    quotes: list[Quote]


@dataclass
class ThemeReport:
    study: str
    round: int
    open: bool
    made_at: datetime
    themes: list[ThemeRow]
    coded_items: int  # items at least one coder finished in the round
    participants: int
    coders: list[str]


def _item_codes(session: Session, rnd: CodingRound) -> dict[int, set[int]]:
    """Return item -> codes it counts for (the settlement, else every finished coder's codes)."""
    assert rnd.id is not None
    applied: dict[int, set[int]] = defaultdict(set)
    for item_id, _coder, code_id, _s, _e in coding_repo.finished_codings(session=session, round_id=rnd.id):
        applied[item_id].add(code_id)
    for item_id, _coder, _length in coding_repo.finished_assignments(session=session, round_id=rnd.id):
        applied.setdefault(item_id, set())
    for settlement in coding_repo.settlements_of_round(session=session, round_id=rnd.id):
        if settlement.item_id in applied:
            applied[settlement.item_id] = {a.code_id for a in coding_repo.agreed_codings(
                session=session, settlement_id=settlement.id or 0)}
    return applied


def _agreement(session: Session, rnd: CodingRound) -> tuple[dict[str, CodeAgreement], list[str]]:
    codings, lengths, reviewed, codes, coders = compare.round_agreement_input(session, rnd)
    double = [i for i in sorted(reviewed, key=int) if len(reviewed[i]) >= 2]
    if not double:
        return {}, coders
    report = compute_agreement(codings, items=double, coders=coders, codes=codes, item_lengths=lengths,
                               reviewed=reviewed)
    return {row.code: row for row in report.codes}, coders


def build(session: Session, env: Env, study: Study, rnd: CodingRound) -> ThemeReport:
    """Gather a round's theme report from the database."""
    assert rnd.id is not None
    paths = codebook.paths(session, rnd)
    items: dict[int, CodingItem] = {}
    per_code: dict[int, Prevalence] = defaultdict(Prevalence)
    applied = _item_codes(session, rnd)
    kinds = research_repo.transcript_kinds(session=session, study_id=study.id or 0)
    found = research_repo.items_by_id(session=session, item_ids=applied)
    for item_id, code_ids in applied.items():
        item = found.get(item_id)
        if item is None or item.excluded_at is not None:
            continue
        items[item_id] = item
        for code_id in code_ids:
            per_code[code_id].add(item, kinds.get(item.transcript_id or 0))
    agreement, coders = _agreement(session, rnd)
    pseudonyms: dict[int, str] = {}
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=study.id or 0)}

    def pseudonym(participant_id: int) -> str:
        if participant_id not in pseudonyms:
            p = session.get(ResearchParticipant, participant_id)
            pseudonyms[participant_id] = p.pseudonym if p else "?"
        return pseudonyms[participant_id]

    quotes: dict[int, list[Quote]] = defaultdict(list)
    for mark, coding, assignment in theme_repo.exemplars_of_round(session=session, round_id=rnd.id):
        item = items.get(assignment.item_id) or research_repo.get_item(session=session, item_id=assignment.item_id)
        if item is None or item.excluded_at is not None:
            continue
        marker = session.get(Coder, mark.coder_id)
        quotes[coding.code_id].append(Quote(text=themes.quote_of(item, coding), pseudonym=pseudonym(
            item.participant_id), week=item.week, code=paths.get(coding.code_id, "?"),
            coder=marker.label if marker else labels.get(assignment.coder_id, "?"), note=mark.note))
    rows = []
    for theme in themes.themes(session, env, rnd):
        prevalence = Prevalence()
        code_rows = []
        theme_quotes: list[Quote] = []
        for code in themes.codes_of(session, theme):
            assert code.id is not None
            p = per_code.get(code.id, Prevalence())
            prevalence.merge(p)
            path = paths.get(code.id, code.name)
            code_rows.append(CodeRow(code.id, path, code.name, code.definition, p, agreement.get(path)))
            theme_quotes.extend(q for q in quotes.get(code.id, []) if q not in theme_quotes)
        rows.append(ThemeRow(theme.name, theme.definition, theme.colour, code_rows, prevalence, theme_quotes))
    return ThemeReport(study=study.name, round=rnd.number, open=rnd.closed_at is None, made_at=env.clock.now(),
                       themes=rows, coded_items=len(items),
                       participants=len({i.participant_id for i in items.values()}), coders=coders)
