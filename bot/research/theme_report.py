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
from typing import NamedTuple

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, compare, themes
from bot.research.agreement import CodeAgreement, compute_agreement
from storage import coding_repo, research_repo, theme_repo
from storage.models import Study
from storage.research_models import Coder, CodingRound, ResearchParticipant

SOURCE_REFLECTION = "private reflection"
SOURCE_TURN = "circle turn"
SOURCE_IMPORTED = "in-person turn"  # a turn of a session imported from a transcript file
_SOURCES = {"circle": SOURCE_TURN, "import": SOURCE_IMPORTED}


class ItemFacts(NamedTuple):
    """What prevalence needs of a coded item (not its text)."""

    id: int
    participant_id: int
    week: int
    transcript_id: int | None


@dataclass
class Prevalence:
    """Where a code or theme occurs: items, participants, weeks; items by kind of source."""

    items: set[int] = field(default_factory=set)
    participants: set[int] = field(default_factory=set)
    weeks: set[int] = field(default_factory=set)
    by_source: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    sessions: set[int] = field(default_factory=set)  # the transcripts (circle weeks, imported sessions) of its turns

    def add(self, item: ItemFacts, kind: str | None = None) -> None:
        """Count an item; ``kind`` is its transcript's ("circle", "import"), None for a private reflection."""
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


def _item_codes(session: Session, rnd: CodingRound, coded: dict[int, set[int]] | None
                ) -> tuple[dict[int, set[int]], dict[int, ItemFacts]]:
    """Return item -> codes it counts for (the settlement, else every finished coder's codes: ``coded`` when
    already read), and the facts of every queued item a coder finished."""
    assert rnd.id is not None
    facts = {i: ItemFacts(i, p, w, t) for i, p, w, t in theme_repo.finished_item_facts(session=session,
                                                                                         round_id=rnd.id)}
    applied: dict[int, set[int]] = {i: set() for i in facts}
    if coded is None:
        for item_id, code_id in theme_repo.finished_item_codes(session=session, round_id=rnd.id):
            applied[item_id].add(code_id)
    else:
        for item_id, code_ids in coded.items():
            if item_id in applied:
                applied[item_id] = set(code_ids)
    settled: dict[int, set[int]] = defaultdict(set)
    for item_id, agreed in theme_repo.settled_codes(session=session, round_id=rnd.id):
        if agreed is not None:
            settled[item_id].add(agreed)
        else:
            settled.setdefault(item_id, set())
    for item_id, codes in settled.items():
        if item_id in applied:
            applied[item_id] = codes
    return applied, facts


Agreement = tuple[dict[str, CodeAgreement], list[str]]  # per code path, and the coders


def round_agreement(session: Session, rnd: CodingRound) -> Agreement:
    """Return each code's agreement in the round (none before an item is double coded) and its coders."""
    codings, lengths, reviewed, codes, coders = compare.round_agreement_input(session, rnd)
    double = [i for i in sorted(reviewed, key=int) if len(reviewed[i]) >= 2]
    if not double:
        return {}, coders
    report = compute_agreement(codings, items=double, coders=coders, codes=codes, item_lengths=lengths,
                               reviewed=reviewed)
    return {row.code: row for row in report.codes}, coders


def build(session: Session, env: Env, study: Study, rnd: CodingRound, agreement: Agreement | None = None,
          coded: dict[int, set[int]] | None = None) -> ThemeReport:
    """Gather a round's theme report from the database. Given what is already known (the workbench keeps it),
    ``agreement`` is the round's per code, and ``coded`` item -> the codes its finished coders applied."""
    assert rnd.id is not None
    paths = codebook.paths(session, rnd)
    per_code: dict[int, Prevalence] = defaultdict(Prevalence)
    applied, items = _item_codes(session, rnd, coded)
    kinds = research_repo.transcript_kinds(session=session, study_id=study.id or 0)
    for item_id, code_ids in applied.items():
        item = items[item_id]
        for code_id in code_ids:
            per_code[code_id].add(item, kinds.get(item.transcript_id or 0))
    by_code, coders = agreement if agreement is not None else round_agreement(session, rnd)
    pseudonyms: dict[int, str] = {}
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=study.id or 0)}

    def pseudonym(participant_id: int) -> str:
        if participant_id not in pseudonyms:
            p = session.get(ResearchParticipant, participant_id)
            pseudonyms[participant_id] = p.pseudonym if p else "?"
        return pseudonyms[participant_id]

    quotes: dict[int, list[Quote]] = defaultdict(list)
    exemplars = theme_repo.exemplars_of_round(session=session, round_id=rnd.id)
    texts = research_repo.items_by_id(session=session, item_ids=[a.item_id for _m, _c, a in exemplars])
    for mark, coding, assignment in exemplars:
        text = texts.get(assignment.item_id)
        if text is None or text.excluded_at is not None:
            continue
        marker = session.get(Coder, mark.coder_id)
        quotes[coding.code_id].append(Quote(text=themes.quote_of(text, coding), pseudonym=pseudonym(
            text.participant_id), week=text.week, code=paths.get(coding.code_id, "?"),
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
            code_rows.append(CodeRow(code.id, path, code.name, code.definition, p, by_code.get(path)))
            theme_quotes.extend(q for q in quotes.get(code.id, []) if q not in theme_quotes)
        rows.append(ThemeRow(theme.name, theme.definition, theme.colour, code_rows, prevalence, theme_quotes))
    return ThemeReport(study=study.name, round=rnd.number, open=rnd.closed_at is None, made_at=env.clock.now(),
                       themes=rows, coded_items=len(items),
                       participants=len({i.participant_id for i in items.values()}), coders=coders)
