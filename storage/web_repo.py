"""Repository verbs for the web workbench's sign-in tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from storage.research_models import (
    Assignment,
    CodeEvent,
    CodingItem,
    ItemMark,
    Memo,
    ResearchCoding,
    Settlement,
)
from storage.web_models import WebLink, WebSession


def add_link(*, session: Session, link: WebLink) -> WebLink:
    session.add(link)
    session.flush()
    return link


def get_link(*, session: Session, token_hash: str) -> WebLink | None:
    return session.exec(select(WebLink).where(WebLink.token_hash == token_hash).with_for_update()).first()


def add_session(*, session: Session, web_session: WebSession) -> WebSession:
    session.add(web_session)
    session.flush()
    return web_session


def get_session(*, session: Session, token_hash: str) -> WebSession | None:
    return session.exec(select(WebSession).where(WebSession.token_hash == token_hash)).first()


def queue_page(*, session: Session, study_id: int, reviewed: bool, offset: int, limit: int) -> Sequence[CodingItem]:
    """Return one page of a study's queued items, reviewed or not, oldest first."""
    column = col(CodingItem.reviewed_at)
    return session.exec(select(CodingItem).where(
        CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None),
        column.is_not(None) if reviewed else column.is_(None))
        .order_by(col(CodingItem.id)).offset(offset).limit(limit)).all()


def memos_on_item(*, session: Session, item_id: int, coder_id: int) -> Sequence[Memo]:
    """Return a coder's memos on an item, oldest first."""
    return session.exec(select(Memo).where(Memo.item_id == item_id, Memo.coder_id == coder_id)
                        .order_by(col(Memo.id))).all()


def _state_filter(stmt: Any, state: str) -> Any:
    done, skipped = col(Assignment.done_at), col(Assignment.skipped_at)
    if state == "done":
        return stmt.where(done.is_not(None))
    if state == "aside":
        return stmt.where(done.is_(None), skipped.is_not(None))
    if state == "open":
        return stmt.where(done.is_(None), skipped.is_(None))
    return stmt


def assigned_page(*, session: Session, round_id: int, coder_id: int, state: str, offset: int,
                  limit: int) -> Sequence[tuple[Assignment, CodingItem]]:
    """Return one page of a coder's assignments on queued items in a round (``state`` open, aside, done, all)."""
    stmt = (select(Assignment, CodingItem).join(CodingItem, col(CodingItem.id) == Assignment.item_id)
            .where(Assignment.round_id == round_id, Assignment.coder_id == coder_id,
                   col(CodingItem.excluded_at).is_(None)))
    return session.exec(_state_filter(stmt, state).order_by(col(Assignment.id)).offset(offset).limit(limit)).all()


def assigned_counts(*, session: Session, round_id: int, coder_id: int) -> dict[str, int]:
    """Count a coder's assignments on queued items in a round: open, aside, done and all (one query)."""
    done, skipped = col(Assignment.done_at), col(Assignment.skipped_at)
    stmt = (select(done.is_not(None), skipped.is_not(None), func.count())
            .select_from(Assignment).join(CodingItem, col(CodingItem.id) == Assignment.item_id)
            .where(Assignment.round_id == round_id, Assignment.coder_id == coder_id,
                   col(CodingItem.excluded_at).is_(None))
            .group_by(done.is_not(None), skipped.is_not(None)))
    counts = dict.fromkeys(("open", "aside", "done", "all"), 0)
    for is_done, is_skipped, n in session.exec(stmt).all():
        counts["done" if is_done else "aside" if is_skipped else "open"] += int(n)
        counts["all"] += int(n)
    return counts


def assignment_counts(*, session: Session, round_id: int) -> dict[int, int]:
    """Return how many coders each queued item of a round is assigned to."""
    stmt = (select(Assignment.item_id, func.count()).join(CodingItem, col(CodingItem.id) == Assignment.item_id)
            .where(Assignment.round_id == round_id, col(CodingItem.excluded_at).is_(None))
            .group_by(col(Assignment.item_id)))
    return {int(item): int(n) for item, n in session.exec(stmt).all()}


def settled_items(*, session: Session, round_id: int) -> set[int]:
    """Return the items of a round that have been settled."""
    return {int(i) for i in session.exec(select(Settlement.item_id).where(Settlement.round_id == round_id)).all()}


def agreement_fingerprint(*, session: Session, round_id: int, study_id: int) -> tuple[Any, ...]:
    """Return a cheap summary that changes whenever a round's agreement figures could.

    In order: the round's assignments (count), the codebook's last change (a merge moves codings, a rename changes
    names), the items of the study (count and last change: an item leaving or coming back, offsets moving), then
    the finished assignments (count, last finish) and the settlements (count, last). Everything before the
    finished assignments is what ``finished_since`` cannot catch up with.
    """
    assigned = session.exec(select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)).one()
    changed = session.exec(select(func.max(CodeEvent.id)).where(CodeEvent.round_id == round_id)).one()
    items = session.exec(select(func.count(), func.max(CodingItem.updated_at))
                         .where(CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None))).one()
    done = session.exec(select(func.count(), func.max(Assignment.done_at))
                        .where(Assignment.round_id == round_id, col(Assignment.done_at).is_not(None))).one()
    settled = session.exec(select(func.count(), func.max(Settlement.at)).where(Settlement.round_id == round_id)).one()
    return (assigned, changed, *items, *done, *settled)


def finished_assignment_rows(*, session: Session, round_id: int, done_since: Any = None
                             ) -> list[tuple[int, int, int, int]]:
    """Return (assignment, item, coder, text length) of a round's finished assignments on queued items, in
    assignment order; with ``done_since``, only those finished after that time. (Reading only the finished ones,
    and the assigned counts apart, is 3x faster than reading every assignment.)"""
    done = col(Assignment.done_at)
    stmt = (sa_select(col(Assignment.id), col(Assignment.item_id), col(Assignment.coder_id),
                      func.length(col(CodingItem.text)))
            .join(CodingItem, col(CodingItem.id) == col(Assignment.item_id))
            .where(col(Assignment.round_id) == round_id, done.is_not(None), col(CodingItem.excluded_at).is_(None)))
    if done_since is not None:
        stmt = stmt.where(done > done_since)
    return [(a, i, c, n) for a, i, c, n in session.connection().execute(stmt.order_by(col(Assignment.id))).all()]


def coders_assigned(*, session: Session, round_id: int, item_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Return item -> coders assigned in a round, for the items some coder finished (or for ``item_ids``)."""
    stmt = (sa_select(col(Assignment.item_id), func.count()).where(col(Assignment.round_id) == round_id)
            .group_by(col(Assignment.item_id)))
    if item_ids is None:
        stmt = stmt.having(func.count(col(Assignment.done_at)) > 0)
    else:
        stmt = stmt.where(col(Assignment.item_id).in_(item_ids))
    return {int(i): int(n) for i, n in session.connection().execute(stmt).all()}


def finished_coding_rows(*, session: Session, round_id: int, done_since: Any = None
                         ) -> list[tuple[int, int, int | None, int | None]]:
    """Return (assignment, code, start, end) of the codings of a round's finished assignments, in coding order;
    with ``done_since``, only of assignments finished after that time. Excluded items are not filtered
    here: the caller keeps the assignments ``finished_assignment_rows`` returned."""
    stmt = (sa_select(col(ResearchCoding.assignment_id), col(ResearchCoding.code_id), col(ResearchCoding.start),
                      col(ResearchCoding.end))
            .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
            .where(col(Assignment.round_id) == round_id, col(Assignment.done_at).is_not(None)))
    if done_since is not None:
        stmt = stmt.where(col(Assignment.done_at) > done_since)
    return [tuple(r) for r in session.connection().execute(stmt.order_by(col(ResearchCoding.id))).all()]  # type: ignore[misc]


def marks_of_items(*, session: Session, item_ids: Sequence[int]) -> dict[int, list[ItemMark]]:
    """Return the review marks of several items (one query), oldest first."""
    out: dict[int, list[ItemMark]] = {i: [] for i in item_ids}
    if item_ids:
        for m in session.exec(select(ItemMark).where(col(ItemMark.item_id).in_(item_ids)).order_by(col(ItemMark.id))):
            out[m.item_id].append(m)
    return out


def items_of_participant(*, session: Session, study_id: int, participant_id: int) -> Sequence[CodingItem]:
    """Return a participant's queued items in a study, in the order they were written."""
    return session.exec(select(CodingItem).where(
        CodingItem.study_id == study_id, CodingItem.participant_id == participant_id,
        col(CodingItem.excluded_at).is_(None)).order_by(col(CodingItem.week), col(CodingItem.id))).all()
