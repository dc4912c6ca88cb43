"""Reading a round for export: one row per reflection step with its codings, page by page.

Items are read in keyset pages of ``PAGE`` as plain column tuples, with their assignments, codings and settlements
fetched per page, so memory stays flat however many rows there are. Only queued items (research consent yes now)
are read; what a row holds is pseudonym and redacted text, never a name or a Telegram id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select as sa_select
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from bot.core.student.dialogue import default_text
from storage import coding_repo, research_repo
from storage.models import Study
from storage.research_models import (
    AgreedCoding,
    Assignment,
    Coder,
    CodingItem,
    CodingRound,
    ResearchCoding,
    ResearchTranscript,
    RoundItem,
    Settlement,
    pseudonym_of,
)

PAGE = 1000
_TAG = re.compile(r"<[^>]+>")


def prompt_of(step: str) -> str:
    """Return the question a step answers, as plain text."""
    question = default_text().questions.get(step, "")
    return " ".join(_TAG.sub("", question).split())


class ItemRow(NamedTuple):
    id: int
    participant_id: int
    cohort: str
    week: int
    step: str
    prompt: str
    text: str
    entered_at: datetime
    transcript_id: int | None = None  # a turn of a session (a circle week); None: a private reflection
    session: str | None = None  # the session's title, "Circle Rose · week 1"
    turn: int | None = None
    role: str | None = None  # the speaker's: presenter, member, leader
    phase: str | None = None


Applied = tuple[int, int | None, int | None, int, datetime | None]  # code id, start, end, row id, when


@dataclass
class Row:
    """One reflection step with its codings in the round (finished coders only)."""

    item: ItemRow
    pseudonym: str
    cohort: str
    codings: dict[str, list[Applied]]  # coder label -> what they applied
    agreed: list[Applied] | None
    status: str
    memo_keys: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # coders who finished the item, codes or none
    note: str | None = None  # the settlement's note
    memos: list[tuple[str, str]] = field(default_factory=list)  # (coder label, text) of memos on the item


def _status(assigned: int, done: int, sets: list[frozenset[int]], settled: bool) -> str:
    if assigned == 0:
        return "not assigned"
    if done < assigned or assigned < 2:
        return "in progress"
    if len(set(sets)) == 1:
        return "agreed"
    return "settled" if settled else "disagreement"


class Reader:
    """Streams a round's rows page by page, reading plain column tuples (nothing piles up in the session).

    A closed round's rows are its members as they stood when it closed (``research_round_items``); the open
    round's are every queued item as it is now (those not yet assigned: status "not assigned"). Items withdrawn
    from the research are left out of both.
    """

    def __init__(self, session: Session, study: Study, rnd: CodingRound) -> None:
        assert study.id is not None and rnd.id is not None
        self.session, self.study, self.rnd = session, study, rnd
        self.study_id, self.round_id = study.id, rnd.id
        self.coder_list = list(coding_repo.coders_of(session=session, study_id=study.id))
        self.labels = {c.id: c.label for c in self.coder_list}
        self.participants = {p.id: p.number for p in research_repo.participants_by_id(
            session=session, study_id=study.id).values()}
        self.cohorts = {c.id: c.name for c in research_repo.study_cohorts(session=session, study_id=study.id)}
        self.memos = list(coding_repo.memos_of_round(session=session, round_id=rnd.id))
        self.memo_items: dict[int, list[str]] = {}
        self.memo_texts: dict[int, list[tuple[str, str]]] = {}
        for m in self.memos:
            if m.item_id is not None:
                self.memo_items.setdefault(m.item_id, []).append(f"memo-{m.id}")
                self.memo_texts.setdefault(m.item_id, []).append((self.labels.get(m.coder_id, "?"), m.text))
        self.frozen = rnd.closed_at is not None and rnd.frozen is not None

    def coders(self, *, with_memos: bool = False) -> list[Coder]:
        """Return the coders with assignments (or, when asked, memos) in the round, in the order they joined."""
        ids = set(self.session.exec(select(Assignment.coder_id).where(Assignment.round_id == self.round_id)).all())
        if with_memos:
            ids |= {m.coder_id for m in self.memos}
        return [c for c in self.coder_list if c.id in ids]

    def rows(self, order: str = "item", *, transcripts: bool | None = None) -> Iterator[Row]:
        """Stream the rows by item, or grouped by participant ("participant"), participant and week ("week"), or
        session and turn ("session", transcript turns only). ``transcripts``: only turns (True), only private
        reflections (False), or both (None)."""
        last: tuple[int, ...] | None = None
        while True:
            items = self._items(last, order, True if order == "session" else transcripts)
            if not items:
                return
            i = items[-1]
            last = {"item": (i.id,), "week": (i.participant_id, i.week, i.id), "participant": (i.participant_id, i.id),
                    "session": (i.transcript_id or 0, i.turn or 0, i.id)}[order]
            yield from self._page(items)

    def _items(self, after: tuple[int, ...] | None, order: str, transcripts: bool | None) -> list[ItemRow]:
        table: Any = RoundItem if self.frozen else CodingItem
        item_id = col(RoundItem.item_id) if self.frozen else col(CodingItem.id)
        keys = {"item": [item_id], "week": [col(table.participant_id), col(table.week), item_id],
                "participant": [col(table.participant_id), item_id],
                "session": [col(CodingItem.transcript_id), col(CodingItem.turn), item_id]}[order]
        turn = (col(CodingItem.transcript_id), col(ResearchTranscript.title), col(CodingItem.turn),
                col(CodingItem.speaker_role), col(CodingItem.phase))
        if self.frozen:
            stmt: Any = (sa_select(item_id, col(RoundItem.participant_id), col(RoundItem.cohort), col(RoundItem.week),
                                   col(RoundItem.step), col(RoundItem.prompt), col(RoundItem.text),
                                   col(RoundItem.entered_at), *turn)
                    .join(CodingItem, col(CodingItem.id) == item_id)
                    .where(col(RoundItem.round_id) == self.round_id, col(CodingItem.excluded_at).is_(None)))
        else:
            stmt = (sa_select(item_id, col(CodingItem.participant_id), col(CodingItem.cohort_id), col(CodingItem.week),
                              col(CodingItem.step), col(CodingItem.step), col(CodingItem.text),
                              col(CodingItem.entered_at), *turn)
                    .where(col(CodingItem.study_id) == self.study_id, col(CodingItem.excluded_at).is_(None)))
        stmt = stmt.outerjoin(ResearchTranscript, col(ResearchTranscript.id) == col(CodingItem.transcript_id))
        if transcripts is not None:
            stmt = stmt.where(col(CodingItem.transcript_id).is_not(None) if transcripts
                              else col(CodingItem.transcript_id).is_(None))
        if after is not None:
            stmt = stmt.where(tuple_(*keys) > tuple_(*after))
        rows = self.session.execute(stmt.order_by(*keys).limit(PAGE)).all()
        if self.frozen:
            return [ItemRow(*r) for r in rows]
        return [ItemRow(i, p, self.cohorts.get(c, ""), w, st, prompt_of(st), t, at, *rest)
                for i, p, c, w, st, _s, t, at, *rest in rows]

    def participant_cohorts(self) -> dict[int, str]:
        """Return participant id -> cohort of the rows this reader gives (the first cohort of each)."""
        out: dict[int, str] = {}
        for row in self.rows():
            out.setdefault(row.item.participant_id, row.cohort)
        return dict(sorted(out.items()))

    def _page(self, items: list[ItemRow]) -> Iterator[Row]:
        ids = [i.id for i in items]
        by_item: dict[int, list[tuple[int, int, bool]]] = {}  # item -> (assignment, coder, done)
        for aid, item_id, coder_id, done_at in self.session.execute(
                sa_select(col(Assignment.id), col(Assignment.item_id), col(Assignment.coder_id),
                          col(Assignment.done_at)).where(
                    col(Assignment.round_id) == self.round_id, col(Assignment.item_id).in_(ids))).all():
            by_item.setdefault(item_id, []).append((aid, coder_id, done_at is not None))
        done_ids = [a for rows in by_item.values() for a, _c, done in rows if done]
        codings: dict[int, list[Applied]] = {}
        if done_ids:
            for cid, aid, code_id, start, end, at in self.session.execute(
                    sa_select(col(ResearchCoding.id), col(ResearchCoding.assignment_id), col(ResearchCoding.code_id),
                              col(ResearchCoding.start), col(ResearchCoding.end), col(ResearchCoding.created_at))
                    .where(col(ResearchCoding.assignment_id).in_(done_ids))
                    .order_by(col(ResearchCoding.assignment_id), col(ResearchCoding.id))).all():
                codings.setdefault(aid, []).append((code_id, start, end, cid, at))
        settlements: dict[int, tuple[int, datetime, str | None]] = {
            item_id: (sid, at, note) for sid, item_id, at, note in self.session.execute(
                sa_select(col(Settlement.id), col(Settlement.item_id), col(Settlement.at), col(Settlement.note)).where(
                    col(Settlement.round_id) == self.round_id, col(Settlement.item_id).in_(ids))).all()}
        agreed: dict[int, list[Applied]] = {}
        if settlements:
            for gid, sid, code_id, start, end in self.session.execute(
                    sa_select(col(AgreedCoding.id), col(AgreedCoding.settlement_id), col(AgreedCoding.code_id),
                              col(AgreedCoding.start), col(AgreedCoding.end)).where(col(AgreedCoding.settlement_id).in_(
                               [s for s, _at, _n in settlements.values()])).order_by(col(AgreedCoding.id))).all():
                agreed.setdefault(sid, []).append((code_id, start, end, gid, None))
        for item in items:
            mine = sorted(by_item.get(item.id, []), key=lambda a: self.labels.get(a[1], ""))
            per_coder: dict[str, list[Applied]] = {}
            sets: list[frozenset[int]] = []
            finished: list[str] = []
            for aid, coder_id, done in mine:
                if not done:
                    continue
                these = codings.get(aid, [])
                per_coder[self.labels.get(coder_id, "?")] = these
                finished.append(self.labels.get(coder_id, "?"))
                sets.append(frozenset(c[0] for c in these))
            settlement = settlements.get(item.id)
            status = _status(len(mine), sum(done for _a, _c, done in mine), sets, settlement is not None)
            agreed_rows: list[Applied] | None = None
            if settlement is not None:
                agreed_rows = [(c, s, e, g, settlement[1]) for c, s, e, g, _at in agreed.get(settlement[0], [])]
            elif status == "agreed":
                agreed_rows = [(code, None, None, 0, None) for code in sorted(sets[0])]
            number = self.participants.get(item.participant_id)
            yield Row(item=item, pseudonym=pseudonym_of(number) if number else "?", cohort=item.cohort,
                      codings=per_coder, agreed=agreed_rows, status=status, memo_keys=self.memo_items.get(item.id, []),
                      finished=finished, note=settlement[2] if settlement else None,
                      memos=self.memo_texts.get(item.id, []))


class Tracker:
    """Counts rows and remembers which participants and items went out (item ids as ranges)."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.rows, self.participants, self.ranges = 0, set[int](), list[list[int]]()
        self.per_pseudonym: dict[str, int] = {}
        self.progress = progress

    def saw(self, row: Row) -> None:
        self.rows += 1
        self.participants.add(row.item.participant_id)
        self.per_pseudonym[row.pseudonym] = self.per_pseudonym.get(row.pseudonym, 0) + 1
        item_id = row.item.id
        if self.ranges and self.ranges[-1][1] == item_id - 1:
            self.ranges[-1][1] = item_id
        else:
            self.ranges.append([item_id, item_id])
        if self.progress is not None:
            self.progress(self.rows)
