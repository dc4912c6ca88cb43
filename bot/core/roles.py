"""Who may do what: facilitators per cohort, researchers per study, admins from ADMIN_TELEGRAM_IDS.

Every facilitator, researcher and admin action checks here first; anyone else gets ``REFUSAL``.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env, Person
from storage import repo
from storage.models import Role

REFUSAL = "Sorry, that command is only for facilitators or researchers of this study, and you're not one of them."


def is_admin(env: Env, person: Person) -> bool:
    """Say whether the person is an admin (by ADMIN_TELEGRAM_IDS)."""
    return person.telegram_id in env.admin_ids


def facilitated_cohorts(session: Session, env: Env, person: Person) -> set[int] | None:
    """Return the cohort ids this person facilitates; None means all (an admin)."""
    if is_admin(env, person):
        return None
    return {g.cohort_id for g in repo.roles_of(session=session, telegram_id=person.telegram_id)
            if g.role == Role.FACILITATOR and g.cohort_id is not None}


def can_facilitate(session: Session, env: Env, person: Person, cohort_id: int) -> bool:
    """Say whether the person may act as facilitator of this cohort."""
    cohorts = facilitated_cohorts(session, env, person)
    return cohorts is None or cohort_id in cohorts


def is_facilitator(session: Session, env: Env, person: Person) -> bool:
    """Say whether the person facilitates any cohort (or is an admin)."""
    cohorts = facilitated_cohorts(session, env, person)
    return cohorts is None or bool(cohorts)


def researched_studies(session: Session, env: Env, person: Person) -> set[int] | None:
    """Return the study ids this person researches; None means all (an admin)."""
    if is_admin(env, person):
        return None
    return {g.study_id for g in repo.roles_of(session=session, telegram_id=person.telegram_id)
            if g.role == Role.RESEARCHER and g.study_id is not None}


def can_research(session: Session, env: Env, person: Person, study_id: int) -> bool:
    """Say whether the person may work on this study's research data."""
    studies = researched_studies(session, env, person)
    return studies is None or study_id in studies
