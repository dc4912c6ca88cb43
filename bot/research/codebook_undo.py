"""Deleting a code and undoing the last codebook change of the open round.

Every change made from the CLI (add, edit, rename, merge, split, delete, seed or import) runs inside
``undoable``: it keeps the round's codes as they were and the codings it moved or dropped, in a hidden
``checkpoint`` row of the codebook history. ``undo`` puts the last one back: codes as they were, codings on the
codes they had, codes the change created removed (refused once someone has coded with them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research.codebook import _event, codes, merge_codes
from bot.research.errors import ResearchError
from storage import coding_repo
from storage.models import Study
from storage.research_models import AgreedCoding, CodeEvent, CodingRound, ResearchCode, ResearchCoding

CHECKPOINT = "checkpoint"
_FIELDS = ("parent_id", "name", "definition", "inclusion", "exclusion", "example", "colour", "position",
           "derived_from", "lineage")


def _code_rows(session: Session, rnd: CodingRound) -> list[dict[str, Any]]:
    rows = []
    for c in coding_repo.codes_of_round(session=session, round_id=rnd.id or 0, retired=True):
        row = {k: getattr(c, k) for k in _FIELDS}
        row["id"], row["retired_at"] = c.id, c.retired_at.isoformat() if c.retired_at else None
        rows.append(row)
    return rows


def _codings(session: Session, code_ids: list[int]) -> tuple[list[list[Any]], list[list[Any]]]:
    if not code_ids:
        return [], []
    mine = [[c.id, c.assignment_id, c.code_id, c.start, c.end, c.created_at.isoformat()] for c in session.exec(
        select(ResearchCoding).where(col(ResearchCoding.code_id).in_(code_ids))).all()]
    agreed = [[g.id, g.settlement_id, g.code_id, g.start, g.end] for g in session.exec(
        select(AgreedCoding).where(col(AgreedCoding.code_id).in_(code_ids))).all()]
    return mine, agreed


@contextmanager
def undoable(session: Session, env: Env, rnd: CodingRound, *, actor: str, what: str,
             touching: Iterable[int] = ()) -> Iterator[None]:
    """Run a codebook change so that ``undo`` can take it back; ``touching``: codes whose codings it may move."""
    before = _code_rows(session, rnd)
    touched = sorted(set(touching))
    mine, agreed = _codings(session, touched)
    yield
    session.flush()
    known = {r["id"] for r in before}
    created = [c["id"] for c in _code_rows(session, rnd) if c["id"] not in known]
    now_mine = {c.id: c.code_id for c in session.exec(select(ResearchCoding).where(
        col(ResearchCoding.id).in_([r[0] for r in mine]))).all()} if mine else {}
    now_agreed = {g.id: g.code_id for g in session.exec(select(AgreedCoding).where(
        col(AgreedCoding.id).in_([r[0] for r in agreed]))).all()} if agreed else {}
    detail = {"what": what, "codes": before, "created": created,
              "codings": [r for r in mine if now_mine.get(r[0]) != r[2]],
              "agreed": [r for r in agreed if now_agreed.get(r[0]) != r[2]]}
    session.add(CodeEvent(study_id=rnd.study_id, round_id=rnd.id or 0, at=env.clock.now(), actor=actor,
                          action=CHECKPOINT, code_ids=created, detail=detail))


def delete_code(session: Session, env: Env, rnd: CodingRound, code: ResearchCode, *,
                move_to: ResearchCode | None = None, actor: str) -> ResearchCode:
    """Delete a code from the open round; refused while it has codings, unless they move to ``move_to``."""
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    assert code.id is not None
    used = coding_repo.count_codings_of_code(session=session, code_id=code.id) + len(session.exec(
        select(AgreedCoding.id).where(AgreedCoding.code_id == code.id)).all())
    if move_to is not None:
        if move_to.id == code.id:
            raise ResearchError("--move-to names the code being deleted; name another code")
        merge_codes(session, env, rnd, move_to, [code], actor=actor)  # moves codings, retires the code
        _event(session, env, rnd, actor, "delete", [code.id, move_to.id or 0], code=code.name, moved_to=move_to.name,
               codings=used)
        return code
    if used:
        raise ResearchError(f"{code.name!r} has {used} coding(s) in round {rnd.number}; give --move-to CODE to move "
                            "them to another code first")
    for child in codes(session, rnd):
        if child.parent_id == code.id:
            child.parent_id = code.parent_id
            session.add(child)
    code.retired_at = env.clock.now()
    session.add(code)
    _event(session, env, rnd, actor, "delete", [code.id], code=code.name)
    return code


def undo(session: Session, env: Env, study: Study, rnd: CodingRound, *, actor: str) -> str:
    """Take back the last change to the open round's codebook; return what it was."""
    assert rnd.id is not None and study.id is not None
    last = session.exec(select(CodeEvent).where(CodeEvent.round_id == rnd.id, CodeEvent.action == CHECKPOINT)
                        .order_by(col(CodeEvent.id).desc())).all()
    point = next((e for e in last if not e.detail.get("undone")), None)
    if point is None:
        raise ResearchError(f"there is no change to round {rnd.number}'s codebook to undo")
    detail = point.detail
    moved = {r[0] for r in detail["codings"]}
    for code_id in detail["created"]:
        used = session.exec(select(ResearchCoding.id).where(ResearchCoding.code_id == code_id)).all()
        if set(used) - moved:
            code = session.get(ResearchCode, code_id)
            raise ResearchError(f"{code.name if code else code_id!r} has been coded with since; delete it with "
                                "--move-to instead")
    for row in detail["codings"]:
        coding = session.get(ResearchCoding, row[0])
        if coding is None:
            coding = ResearchCoding(id=row[0], assignment_id=row[1], code_id=row[2], start=row[3], end=row[4],
                                    created_at=datetime.fromisoformat(row[5]))
        coding.code_id = row[2]
        session.add(coding)
    for row in detail["agreed"]:
        agreed = session.get(AgreedCoding, row[0]) or AgreedCoding(id=row[0], settlement_id=row[1], code_id=row[2],
                                                                   start=row[3], end=row[4])
        agreed.code_id = row[2]
        session.add(agreed)
    for row in detail["codes"]:
        code = session.get(ResearchCode, row["id"])
        if code is None:
            continue
        for key in _FIELDS:
            setattr(code, key, row[key])
        code.retired_at = datetime.fromisoformat(row["retired_at"]) if row["retired_at"] else None
        session.add(code)
    made = [c for c in (session.get(ResearchCode, i) for i in detail["created"]) if c is not None]
    for code in made:
        code.parent_id = None
        session.add(code)
    session.flush()
    for code in made:
        session.delete(code)
    point.detail = {**detail, "undone": True}
    session.add(point)
    _event(session, env, rnd, actor, "undo", list(detail["created"]), undid=detail["what"])
    return str(detail["what"])
