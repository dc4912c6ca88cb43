"""Repository functions of coding: rounds, codes, coders, assignments, codings, settlements, memos.

Verbs with keyword-only arguments, no business rules (the queue's and exports' are in ``research_repo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import Role, RoleGrant
from storage.research_models import (
    AgreedCoding,
    Assignment,
    CodeEvent,
    Coder,
    CodingItem,
    CodingRound,
    Memo,
    ResearchCode,
    ResearchCoding,
    RoundItem,
    Settlement,
)


def codings_of_item(*, session: Session, item_id: int) -> Sequence[ResearchCoding]:
    """Return every coding on an item in open rounds (a closed round's codings are frozen)."""
    stmt = (select(ResearchCoding).join(Assignment, col(Assignment.id) == ResearchCoding.assignment_id)
            .join(CodingRound, col(CodingRound.id) == Assignment.round_id)
            .where(Assignment.item_id == item_id, col(CodingRound.closed_at).is_(None)))
    return session.exec(stmt).all()


def agreed_of_item(*, session: Session, item_id: int) -> Sequence[AgreedCoding]:
    """Return every agreed coding on an item in open rounds."""
    stmt = (select(AgreedCoding).join(Settlement, col(Settlement.id) == AgreedCoding.settlement_id)
            .join(CodingRound, col(CodingRound.id) == Settlement.round_id)
            .where(Settlement.item_id == item_id, col(CodingRound.closed_at).is_(None)))
    return session.exec(stmt).all()


def assignments_of_item(*, session: Session, item_id: int, round_id: int | None = None) -> Sequence[Assignment]:
    """Return the assignments of an item (in one round, or in every open round)."""
    stmt = select(Assignment).where(Assignment.item_id == item_id)
    if round_id is not None:
        stmt = stmt.where(Assignment.round_id == round_id)
    else:
        stmt = stmt.join(CodingRound, col(CodingRound.id) == Assignment.round_id).where(
            col(CodingRound.closed_at).is_(None))
    return session.exec(stmt.order_by(col(Assignment.id))).all()


def rounds_of(*, session: Session, study_id: int) -> Sequence[CodingRound]:
    """Return a study's rounds, first first."""
    return session.exec(select(CodingRound).where(CodingRound.study_id == study_id)
                        .order_by(col(CodingRound.number))).all()


def get_round(*, session: Session, study_id: int, number: int) -> CodingRound | None:
    """Return round ``number`` of a study."""
    return session.exec(select(CodingRound).where(CodingRound.study_id == study_id,
                                                  CodingRound.number == number)).first()


def codes_of_round(*, session: Session, round_id: int, retired: bool = False) -> Sequence[ResearchCode]:
    """Return a round's codes in codebook order (retired ones only when asked)."""
    stmt = select(ResearchCode).where(ResearchCode.round_id == round_id)
    if not retired:
        stmt = stmt.where(col(ResearchCode.retired_at).is_(None))
    return session.exec(stmt.order_by(col(ResearchCode.position), col(ResearchCode.id))).all()


def code_history(*, session: Session, study_id: int) -> Sequence[CodeEvent]:
    """Return a study's codebook history, oldest first."""
    return session.exec(select(CodeEvent).where(CodeEvent.study_id == study_id).order_by(col(CodeEvent.id))).all()


def count_codings_of_code(*, session: Session, code_id: int) -> int:
    """Count the codings made with a code."""
    return int(session.exec(select(func.count()).select_from(ResearchCoding)
                            .where(ResearchCoding.code_id == code_id)).one())


def move_codings(*, session: Session, from_code: int, to_code: int) -> None:
    """Re-point every coding and agreed coding of one code to another (a merge within a round)."""
    session.execute(update(ResearchCoding).where(col(ResearchCoding.code_id) == from_code).values(code_id=to_code))
    session.execute(update(AgreedCoding).where(col(AgreedCoding.code_id) == from_code).values(code_id=to_code))


def coders_of(*, session: Session, study_id: int) -> Sequence[Coder]:
    """Return a study's coders in the order they joined."""
    return session.exec(select(Coder).where(Coder.study_id == study_id).order_by(col(Coder.id))).all()


def get_coder(*, session: Session, study_id: int, telegram_id: int) -> Coder | None:
    """Return the coder of this Telegram account in this study."""
    return session.exec(select(Coder).where(Coder.study_id == study_id, Coder.telegram_id == telegram_id)).first()


def get_coder_by_label(*, session: Session, study_id: int, label: str) -> Coder | None:
    """Return a coder by label (case-insensitive)."""
    return session.exec(select(Coder).where(Coder.study_id == study_id,
                                            func.lower(Coder.label) == label.lower())).first()


def assignments_of_coder(*, session: Session, round_id: int, coder_id: int) -> Sequence[Assignment]:
    """Return a coder's assignments in a round, in the order they were made."""
    return session.exec(select(Assignment).where(Assignment.round_id == round_id, Assignment.coder_id == coder_id)
                        .order_by(col(Assignment.id))).all()


def open_assignments(*, session: Session, round_id: int, coder_id: int) -> Sequence[Assignment]:
    """Return a coder's unfinished assignments on queued items: not skipped first, then skipped ones."""
    stmt = (select(Assignment).join(CodingItem, col(CodingItem.id) == Assignment.item_id)
            .where(Assignment.round_id == round_id, Assignment.coder_id == coder_id,
                   col(Assignment.done_at).is_(None), col(CodingItem.excluded_at).is_(None))
            .order_by(col(Assignment.skipped_at).is_not(None), col(Assignment.skipped_at), col(Assignment.id)))
    return session.exec(stmt).all()


def get_assignment(*, session: Session, round_id: int, item_id: int, coder_id: int) -> Assignment | None:
    """Return the assignment of an item to a coder in a round."""
    return session.exec(select(Assignment).where(Assignment.round_id == round_id, Assignment.item_id == item_id,
                                                 Assignment.coder_id == coder_id)).first()


def round_assignments(*, session: Session, round_id: int) -> Sequence[Assignment]:
    """Return every assignment of a round on queued items, by item."""
    stmt = (select(Assignment).join(CodingItem, col(CodingItem.id) == Assignment.item_id)
            .where(Assignment.round_id == round_id, col(CodingItem.excluded_at).is_(None))
            .order_by(col(Assignment.item_id), col(Assignment.id)))
    return session.exec(stmt).all()


def items_assigned_before(*, session: Session, study_id: int, round_number: int) -> set[int]:
    """Return the ids of items assigned in a study's rounds before round ``round_number``."""
    stmt = (sa_select(col(Assignment.item_id)).join(CodingRound, col(CodingRound.id) == col(Assignment.round_id))
            .where(col(CodingRound.study_id) == study_id, col(CodingRound.number) < round_number).distinct())
    return {int(i) for (i,) in session.execute(stmt).all()}


def codings_of_assignment(*, session: Session, assignment_id: int) -> Sequence[ResearchCoding]:
    """Return a coder's codings on one assigned item."""
    return session.exec(select(ResearchCoding).where(ResearchCoding.assignment_id == assignment_id)
                        .order_by(col(ResearchCoding.id))).all()


def finished_assignments(*, session: Session, round_id: int) -> list[tuple[int, int, int]]:
    """Return (item id, coder id, text length) of a round's finished assignments on queued items."""
    stmt = (sa_select(col(Assignment.item_id), col(Assignment.coder_id), func.length(col(CodingItem.text)))
            .join(CodingItem, col(CodingItem.id) == col(Assignment.item_id))
            .where(col(Assignment.round_id) == round_id, col(Assignment.done_at).is_not(None),
                   col(CodingItem.excluded_at).is_(None))
            .order_by(col(Assignment.item_id), col(Assignment.id)))
    return [(int(i), int(c), int(n)) for i, c, n in session.execute(stmt).all()]


def finished_codings(*, session: Session, round_id: int) -> list[tuple[int, int, int, int | None, int | None]]:
    """Return (item, coder, code, start, end) of every coding of finished assignments on queued items."""
    stmt = (sa_select(col(Assignment.item_id), col(Assignment.coder_id), col(ResearchCoding.code_id),
                      col(ResearchCoding.start), col(ResearchCoding.end))
            .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
            .join(CodingItem, col(CodingItem.id) == col(Assignment.item_id))
            .where(col(Assignment.round_id) == round_id, col(Assignment.done_at).is_not(None),
                   col(CodingItem.excluded_at).is_(None))
            .order_by(col(Assignment.item_id), col(ResearchCoding.id)))
    return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]


def add_round_items(*, session: Session, rows: Sequence[RoundItem]) -> None:
    """Store the members of a round as they stood when it closed."""
    session.add_all(rows)
    session.flush()


def round_member_ids(*, session: Session, round_id: int) -> list[int]:
    """Return the ids of the items assigned in a round (any state), in order."""
    stmt = sa_select(col(Assignment.item_id)).where(col(Assignment.round_id) == round_id).distinct()
    return sorted(int(i) for (i,) in session.execute(stmt).all())


def get_settlement(*, session: Session, round_id: int, item_id: int) -> Settlement | None:
    """Return the settlement of an item in a round."""
    return session.exec(select(Settlement).where(Settlement.round_id == round_id,
                                                 Settlement.item_id == item_id)).first()


def settlements_of_round(*, session: Session, round_id: int) -> Sequence[Settlement]:
    """Return a round's settlements."""
    return session.exec(select(Settlement).where(Settlement.round_id == round_id)).all()


def agreed_codings(*, session: Session, settlement_id: int) -> Sequence[AgreedCoding]:
    """Return the agreed codings of a settlement."""
    return session.exec(select(AgreedCoding).where(AgreedCoding.settlement_id == settlement_id)
                        .order_by(col(AgreedCoding.id))).all()


def delete_row(*, session: Session, row: Any) -> None:
    """Delete one research row."""
    session.delete(row)


def memos_of_round(*, session: Session, round_id: int) -> Sequence[Memo]:
    """Return a round's memos, oldest first."""
    return session.exec(select(Memo).where(Memo.round_id == round_id).order_by(col(Memo.id))).all()


def revoke_researcher(*, session: Session, telegram_id: int, study_id: int) -> bool:
    """Remove a researcher grant; say whether there was one."""
    grant = session.exec(select(RoleGrant).where(RoleGrant.telegram_id == telegram_id,
                                                 RoleGrant.role == Role.RESEARCHER,
                                                 RoleGrant.study_id == study_id)).first()
    if grant is None:
        return False
    session.delete(grant)
    return True
