"""Queries of the themes tables (see ``storage.theme_models``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.research_models import Assignment, ResearchCoding
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
