"""Repository functions of the research queue, participants and exports (coding itself: ``coding_repo``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import (
    AuditEvent,
    Cohort,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    SessionStatus,
    Study,
    User,
)
from storage.research_models import (
    AgreedCoding,
    Assignment,
    CodingItem,
    ExportParticipant,
    ImportedTurn,
    ItemMark,
    Memo,
    ResearchCoding,
    ResearchExport,
    ResearchParticipant,
    ResearchTranscript,
    RoundItem,
    Settlement,
)

# ----------------------------------------------------------------------------------------------- studies


def get_study(*, session: Session, study_id: int) -> Study | None:
    """Return a study by id."""
    return session.get(Study, study_id)


def get_study_by_name(*, session: Session, name: str) -> Study | None:
    """Return a study by name (case-insensitive)."""
    return session.exec(select(Study).where(func.lower(Study.name) == name.lower())).first()


def get_study_by_researcher_code(*, session: Session, code: str) -> Study | None:
    """Return the study whose researcher invite code this is."""
    return session.exec(select(Study).where(func.upper(Study.researcher_code) == code.upper())).first()


def list_studies(*, session: Session) -> Sequence[Study]:
    """Return every study, oldest first."""
    return session.exec(select(Study).order_by(col(Study.id))).all()


def lock_study(*, session: Session, study_id: int) -> Study | None:
    """Return the study row locked for this transaction (PostgreSQL), so intakes of one study queue up."""
    return session.exec(select(Study).where(Study.id == study_id).with_for_update()).first()


def transcript_kinds(*, session: Session, study_id: int) -> dict[int, str]:
    """Return transcript id -> kind ("circle", "import") for a study's sessions."""
    return {int(i): k for i, k in session.exec(select(ResearchTranscript.id, ResearchTranscript.kind).where(
        ResearchTranscript.study_id == study_id)).all() if i is not None}


def study_cohorts(*, session: Session, study_id: int) -> Sequence[Cohort]:
    """Return the cohorts of a study."""
    return session.exec(select(Cohort).where(Cohort.study_id == study_id).order_by(col(Cohort.id))).all()


# ------------------------------------------------------------------------------------------ participants


def get_participant_by_digest(*, session: Session, study_id: int, digest: str) -> ResearchParticipant | None:
    """Return the participant stored under this digest."""
    return session.exec(select(ResearchParticipant).where(
        ResearchParticipant.study_id == study_id, ResearchParticipant.digest == digest)).first()


def max_participant_number(*, session: Session, study_id: int) -> int:
    """Return the highest participant number used in a study (0 when none)."""
    value = session.exec(select(func.max(ResearchParticipant.number)).where(
        ResearchParticipant.study_id == study_id)).one()
    return int(value or 0)


def add_participant(*, session: Session, participant: ResearchParticipant) -> ResearchParticipant:
    """Insert a participant."""
    session.add(participant)
    session.flush()
    return participant


def participants_by_id(*, session: Session, study_id: int) -> dict[int, ResearchParticipant]:
    """Return a study's participants by id."""
    rows = session.exec(select(ResearchParticipant).where(ResearchParticipant.study_id == study_id)).all()
    return {p.id: p for p in rows if p.id is not None}


# ---------------------------------------------------------------------------------------------- intake


def eligible_first_entries(*, session: Session, study_id: int) -> Sequence[tuple[int, datetime]]:
    """(Telegram id, first reflection time) of each student whose research consent is yes now, earliest first."""
    stmt = (
        sa_select(col(User.telegram_id), func.min(ReflectionEntry.created_at))
        .join(ReflectionSession, col(ReflectionSession.id) == ReflectionEntry.session_id)
        .join(Enrolment, col(Enrolment.id) == ReflectionSession.enrolment_id)
        .join(Cohort, col(Cohort.id) == ReflectionSession.cohort_id)
        .join(User, col(User.id) == ReflectionSession.user_id)
        .where(col(Cohort.study_id) == study_id, col(Enrolment.research).is_(True),
               col(Enrolment.withdrawn_at).is_(None), col(ReflectionSession.status) != SessionStatus.OPEN)
        .group_by(col(User.telegram_id))
        .order_by(func.min(ReflectionEntry.created_at), col(User.telegram_id))
    )
    return [(int(t), at) for t, at in session.execute(stmt).all()]


def eligible_entries(*, session: Session, study_id: int) -> Iterator[tuple[ReflectionEntry, ReflectionSession, int]]:
    """Stream (entry, its conversation, Telegram id) of consenting students' finished weeks, in order."""
    stmt = (
        select(ReflectionEntry, ReflectionSession, User.telegram_id)
        .join(ReflectionSession, col(ReflectionSession.id) == ReflectionEntry.session_id)
        .join(Enrolment, col(Enrolment.id) == ReflectionSession.enrolment_id)
        .join(Cohort, col(Cohort.id) == ReflectionSession.cohort_id)
        .join(User, col(User.id) == ReflectionSession.user_id)
        .where(Cohort.study_id == study_id, col(Enrolment.research).is_(True),
               col(Enrolment.withdrawn_at).is_(None), ReflectionSession.status != SessionStatus.OPEN)
        .order_by(col(ReflectionEntry.session_id), col(ReflectionEntry.id))
        .execution_options(yield_per=1000)
    )
    for entry, rs, telegram_id in session.exec(stmt):
        yield entry, rs, int(telegram_id)


def item_index(*, session: Session, study_id: int) -> dict[tuple[int, str], tuple[int, str, bool]]:
    """Return (session id, step) -> (item id, source digest, excluded?) for a study's items."""
    rows = session.execute(sa_select(col(CodingItem.session_id), col(CodingItem.step), col(CodingItem.id),
                                     col(CodingItem.source_digest), col(CodingItem.excluded_at))
                           .where(col(CodingItem.study_id) == study_id,
                                  col(CodingItem.session_id).is_not(None))).all()  # circle items have none
    return {(int(s), str(st)): (int(i or 0), str(d), x is not None) for s, st, i, d, x in rows}


def ineligible_item_ids(*, session: Session, study_id: int) -> list[int]:
    """Return the ids of a study's queued items whose student's research consent is no longer yes."""
    stmt = (
        select(CodingItem.id)
        .join(ReflectionSession, col(ReflectionSession.id) == CodingItem.session_id)
        .join(Enrolment, col(Enrolment.id) == ReflectionSession.enrolment_id)
        .where(CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None),
               (col(Enrolment.research).is_not(True)) | (col(Enrolment.withdrawn_at).is_not(None)))
    )
    imported = (  # an imported turn's speaker: research consent yes in the session's cohort, or out
        select(CodingItem.id)
        .join(ImportedTurn, col(ImportedTurn.item_id) == CodingItem.id)
        .join(ResearchTranscript, col(ResearchTranscript.id) == CodingItem.transcript_id)
        .outerjoin(Enrolment, (col(Enrolment.user_id) == ImportedTurn.user_id)
                   & (col(Enrolment.cohort_id) == ResearchTranscript.cohort_id))
        .where(CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None),
               col(Enrolment.id).is_(None) | col(Enrolment.research).is_not(True)
               | col(Enrolment.withdrawn_at).is_not(None))
    )
    return [int(i) for i in [*session.exec(stmt).all(), *session.exec(imported).all()] if i is not None]


def studies_consenting(*, session: Session, user_id: int) -> set[int]:
    """Return the studies whose cohorts hold this student with research consent yes now."""
    stmt = (select(Cohort.study_id).join(Enrolment, col(Enrolment.cohort_id) == Cohort.id)
            .where(Enrolment.user_id == user_id, col(Enrolment.research).is_(True),
                   col(Enrolment.withdrawn_at).is_(None), col(Cohort.study_id).is_not(None)))
    return {int(s) for s in session.exec(stmt).all() if s is not None}


def get_item(*, session: Session, item_id: int) -> CodingItem | None:
    """Return an item by id."""
    return session.get(CodingItem, item_id)


def items_by_id(*, session: Session, item_ids: Iterable[int], chunk: int = 1_000) -> dict[int, CodingItem]:
    """Return the items with these ids (missing ones left out), read a chunk at a time rather than one by one."""
    ids = sorted(set(item_ids))
    found: dict[int, CodingItem] = {}
    for i in range(0, len(ids), chunk):
        for item in session.exec(select(CodingItem).where(col(CodingItem.id).in_(ids[i:i + chunk]))).all():
            assert item.id is not None
            found[item.id] = item
    return found


def add_item(*, session: Session, item: CodingItem) -> CodingItem:
    """Insert an item."""
    session.add(item)
    session.flush()
    return item


def items_of_user(*, session: Session, user_id: int) -> Sequence[CodingItem]:
    """Return every research item made from a student's reflections or their imported transcript turns, in any
    study (circle turns go with their posts: ``delete_items_of_posts``)."""
    reflections = select(CodingItem.id).join(ReflectionSession, col(ReflectionSession.id) == CodingItem.session_id
                                             ).where(ReflectionSession.user_id == user_id)
    imported = select(ImportedTurn.item_id).where(ImportedTurn.user_id == user_id)
    stmt = select(CodingItem).where(col(CodingItem.id).in_(reflections) | col(CodingItem.id).in_(imported)
                                    ).order_by(col(CodingItem.id))
    return session.exec(stmt).all()


def items_from_entries(*, session: Session, entry_ids: Sequence[int]) -> list[tuple[int, list[int]]]:
    """Return (item id, the entries it was made from) for items of the steps these replies belong to."""
    steps = sa_select(col(ReflectionEntry.session_id), col(ReflectionEntry.step)).where(
        col(ReflectionEntry.id).in_(list(entry_ids))).distinct().subquery()
    stmt = sa_select(col(CodingItem.id), col(CodingItem.entry_ids)).join(
        steps, (steps.c.session_id == col(CodingItem.session_id)) & (steps.c.step == col(CodingItem.step)))
    return [(int(i), list(e or [])) for i, e in session.execute(stmt).all()]


def set_excluded(*, session: Session, item_ids: Sequence[int], at: datetime | None, reason: str | None) -> None:
    """Take items out of (``at`` set) or back into (``at`` None) the queue."""
    if item_ids:
        session.execute(update(CodingItem).where(col(CodingItem.id).in_(list(item_ids)))
                        .values(excluded_at=at, excluded_reason=reason))


def delete_items(*, session: Session, item_ids: Sequence[int]) -> None:
    """Delete items and everything hanging off them."""
    if not item_ids:
        return
    ids = list(item_ids)
    settlements = select(Settlement.id).where(col(Settlement.item_id).in_(ids))
    session.execute(delete(AgreedCoding).where(col(AgreedCoding.settlement_id).in_(settlements)))
    session.execute(delete(Settlement).where(col(Settlement.item_id).in_(ids)))
    assignments = select(Assignment.id).where(col(Assignment.item_id).in_(ids))
    session.execute(delete(ResearchCoding).where(col(ResearchCoding.assignment_id).in_(assignments)))
    session.execute(delete(Assignment).where(col(Assignment.item_id).in_(ids)))
    session.execute(delete(Memo).where(col(Memo.item_id).in_(ids)))
    session.execute(delete(ItemMark).where(col(ItemMark.item_id).in_(ids)))
    session.execute(delete(RoundItem).where(col(RoundItem.item_id).in_(ids)))
    session.execute(delete(ImportedTurn).where(col(ImportedTurn.item_id).in_(ids)))
    session.execute(delete(CodingItem).where(col(CodingItem.id).in_(ids)))


def delete_items_of_posts(*, session: Session, post_ids: Sequence[int]) -> int:
    """Delete the items made from these circle posts (and everything hanging off them); return how many."""
    if not post_ids:
        return 0
    ids = [int(i) for i in session.exec(select(CodingItem.id).where(col(CodingItem.circle_post_id).in_(
        list(post_ids)))).all() if i is not None]
    delete_items(session=session, item_ids=ids)
    return len(ids)


def marks_of(*, session: Session, item_id: int) -> Sequence[ItemMark]:
    """Return the review marks of an item, oldest first."""
    return session.exec(select(ItemMark).where(ItemMark.item_id == item_id).order_by(col(ItemMark.id))).all()


def items_awaiting_review(*, session: Session, study_id: int, limit: int) -> Sequence[CodingItem]:
    """Return queued items nobody has reviewed yet, oldest first."""
    return session.exec(select(CodingItem).where(
        CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None),
        col(CodingItem.reviewed_at).is_(None)).order_by(col(CodingItem.id)).limit(limit)).all()


def count_items(*, session: Session, study_id: int, **where: Any) -> int:
    """Count a study's items; ``excluded``/``reviewed`` True/False narrow the count."""
    stmt = select(func.count()).select_from(CodingItem).where(CodingItem.study_id == study_id)
    if "excluded" in where:
        column = col(CodingItem.excluded_at)
        stmt = stmt.where(column.is_not(None) if where["excluded"] else column.is_(None))
    if "reviewed" in where:
        column = col(CodingItem.reviewed_at)
        stmt = stmt.where(column.is_not(None) if where["reviewed"] else column.is_(None))
    return int(session.exec(stmt).one())


# ------------------------------------------------------------------------------------------- exports


def exports_holding(*, session: Session, participant_id: int) -> Sequence[ResearchExport]:
    """Return the exports that held a participant's reflections, oldest first."""
    stmt = (select(ResearchExport).join(ExportParticipant, col(ExportParticipant.export_id) == ResearchExport.id)
            .where(ExportParticipant.participant_id == participant_id).order_by(col(ResearchExport.id)))
    return session.exec(stmt).all()


def add_export(*, session: Session, export: ResearchExport, participant_ids: Sequence[int]) -> ResearchExport:
    """Record an export and the participants it held."""
    session.add(export)
    session.flush()
    assert export.id is not None
    session.add_all(ExportParticipant(export_id=export.id, participant_id=p) for p in sorted(set(participant_ids)))
    return export


def list_exports(*, session: Session, study_id: int) -> Sequence[ResearchExport]:
    """Return a study's exports, oldest first."""
    return session.exec(select(ResearchExport).where(ResearchExport.study_id == study_id)
                        .order_by(col(ResearchExport.id))).all()


# ------------------------------------------------------------------------------------------------ rows


def add(*, session: Session, row: Any) -> Any:
    """Insert any research row and give it its id."""
    session.add(row)
    session.flush()
    return row


def queued_items(*, session: Session, study_id: int, reviewed_only: bool) -> Sequence[CodingItem]:
    """Return a study's queued items, oldest first."""
    stmt = select(CodingItem).where(CodingItem.study_id == study_id, col(CodingItem.excluded_at).is_(None))
    if reviewed_only:
        stmt = stmt.where(col(CodingItem.reviewed_at).is_not(None))
    return session.exec(stmt.order_by(col(CodingItem.id))).all()




def research_events(*, session: Session, study_id: int, actions: Sequence[str]) -> Sequence[AuditEvent]:
    """Return a study's audit events of these kinds, oldest first."""
    return session.exec(select(AuditEvent).where(AuditEvent.study_id == study_id,
                                                 col(AuditEvent.action).in_(list(actions)))
                        .order_by(col(AuditEvent.id))).all()
