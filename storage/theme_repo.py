"""Queries of the themes tables (see ``storage.theme_models``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.research_models import AgreedCoding, Assignment, CodingItem, ResearchCoding, Settlement
from storage.theme_models import Exemplar, Theme, ThemeCode, ThemeEvent


def themes_of_round(*, session: Session, round_id: int, retired: bool = False) -> Sequence[Theme]:
    """Return a round's themes in order (removed ones too when ``retired``)."""
    stmt = select(Theme).where(Theme.round_id == round_id)
    if not retired:
        stmt = stmt.where(col(Theme.retired_at).is_(None))
    return session.exec(stmt.order_by(col(Theme.position), col(Theme.id))).all()


def code_ids_of_theme(*, session: Session, theme_id: int) -> list[int]:
    """Return the ids of a theme's codes, in the order they were linked."""
    return list(session.exec(select(ThemeCode.code_id).where(ThemeCode.theme_id == theme_id)
                             .order_by(col(ThemeCode.id))).all())


def get_link(*, session: Session, theme_id: int, code_id: int) -> ThemeCode | None:
    """Return the link of a code to a theme, if any."""
    return session.exec(select(ThemeCode).where(ThemeCode.theme_id == theme_id,
                                                ThemeCode.code_id == code_id)).first()


def history(*, session: Session, study_id: int) -> Sequence[ThemeEvent]:
    """Return a study's theme history, oldest first."""
    return session.exec(select(ThemeEvent).where(ThemeEvent.study_id == study_id).order_by(col(ThemeEvent.id))).all()


def events_of_round(*, session: Session, round_id: int, action: str) -> Sequence[ThemeEvent]:
    """Return a round's theme events of one kind."""
    return session.exec(select(ThemeEvent).where(ThemeEvent.round_id == round_id,
                                                 ThemeEvent.action == action)).all()


def exemplar_of(*, session: Session, coding_id: int) -> Exemplar | None:
    """Return the exemplar mark of a coding, if any."""
    return session.exec(select(Exemplar).where(Exemplar.coding_id == coding_id)).first()


def exemplars_of_round(*, session: Session, round_id: int) -> list[tuple[Exemplar, ResearchCoding, Assignment]]:
    """Return a round's exemplars with their coding and assignment, oldest first."""
    stmt = (sa_select(Exemplar, ResearchCoding, Assignment)
            .join(ResearchCoding, col(ResearchCoding.id) == col(Exemplar.coding_id))
            .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
            .where(col(Assignment.round_id) == round_id).order_by(col(Exemplar.id)))
    return [(e, c, a) for e, c, a in session.execute(stmt).all()]


def codings_of_coder(*, session: Session, round_id: int, coder_id: int) -> Sequence[ResearchCoding]:
    """Return a coder's codings in a round, newest first."""
    return session.exec(select(ResearchCoding).join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
                        .where(Assignment.round_id == round_id, Assignment.coder_id == coder_id)
                        .order_by(col(ResearchCoding.id).desc())).all()


def codings_of_round(*, session: Session, round_id: int, code_id: int | None = None
                     ) -> list[tuple[ResearchCoding, Assignment]]:
    """Return a round's codings (of one code when given) with their assignment, oldest first."""
    stmt = (sa_select(ResearchCoding, Assignment)
            .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
            .where(col(Assignment.round_id) == round_id))
    if code_id is not None:
        stmt = stmt.where(col(ResearchCoding.code_id) == code_id)
    return [(c, a) for c, a in session.execute(stmt.order_by(col(ResearchCoding.id))).all()]


# ------------------------------------------------------------------------------------------ the theme report
# Plain tuples through the connection, not ORM objects: with thousands of coded items building objects was most
# of the report's time.


def _finished_on_queued(round_id: int) -> Any:
    return (col(Assignment.round_id) == round_id, col(Assignment.done_at).is_not(None),
            col(CodingItem.excluded_at).is_(None))


def finished_item_facts(*, session: Session, round_id: int) -> list[tuple[int, int, int, int | None]]:
    """Return (item, participant, week, transcript) of each queued item some coder finished in the round."""
    stmt = (sa_select(col(CodingItem.id), col(CodingItem.participant_id), col(CodingItem.week),
                      col(CodingItem.transcript_id)).distinct()
            .join(Assignment, col(Assignment.item_id) == col(CodingItem.id))
            .where(*_finished_on_queued(round_id)))
    return [(i, p, w, t) for i, p, w, t in session.connection().execute(stmt).all() if i is not None]


def finished_item_codes(*, session: Session, round_id: int) -> list[tuple[int, int]]:
    """Return each (item, code) some coder applied to a queued item they finished in the round."""
    stmt = (sa_select(col(Assignment.item_id), col(ResearchCoding.code_id)).distinct()
            .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
            .join(CodingItem, col(CodingItem.id) == col(Assignment.item_id))
            .where(*_finished_on_queued(round_id)))
    return [(i, c) for i, c in session.connection().execute(stmt).all()]


def settled_codes(*, session: Session, round_id: int) -> list[tuple[int, int | None]]:
    """Return (item, agreed code) of a round's settlements, oldest settlement first; a settlement that agreed on
    no code gives one row with None."""
    stmt = (sa_select(col(Settlement.item_id), col(AgreedCoding.code_id))
            .outerjoin(AgreedCoding, col(AgreedCoding.settlement_id) == col(Settlement.id))
            .where(col(Settlement.round_id) == round_id).order_by(col(Settlement.id), col(AgreedCoding.id)))
    return [(i, c) for i, c in session.connection().execute(stmt).all()]


def report_fingerprint(*, session: Session, round_id: int) -> tuple[Any, ...]:
    """Return what changes whenever a round's themes or exemplars do (every theme change leaves an event; an
    exemplar mark is deleted when taken off, so the marks themselves are listed)."""
    last = session.exec(select(func.max(ThemeEvent.id)).where(ThemeEvent.round_id == round_id)).one()
    marks = session.connection().execute(
        sa_select(col(Exemplar.id), col(Exemplar.coding_id))
        .join(ResearchCoding, col(ResearchCoding.id) == col(Exemplar.coding_id))
        .join(Assignment, col(Assignment.id) == col(ResearchCoding.assignment_id))
        .where(col(Assignment.round_id) == round_id).order_by(col(Exemplar.id))).all()
    return (last, tuple((e, c) for e, c in marks))
