"""Grant, revoke and list roles from the command line (the chat grants the facilitator role by invite link)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.core.facilitator import role_links
from bot.core.scheduling.schedule import ScheduleError
from bot.core.student.enrolment import find_cohort
from storage import repo
from storage.models import Cohort, Role, RoleGrant, Study


def _cohort(session: Session, ref: str) -> Cohort:
    cohort = find_cohort(session, ref)
    if cohort is None or cohort.id is None:
        raise ScheduleError(f"no cohort {ref!r}: `balint cohort list` shows ids and names")
    return cohort


def grant_facilitator(session: Session, telegram_id: int, cohort_ref: str, *, actor: str = "cli") -> Cohort:
    """Make a Telegram account a facilitator of a cohort (idempotent); return the cohort."""
    if telegram_id <= 0:
        raise ScheduleError("a Telegram id is a positive number (the person can see theirs with @userinfobot)")
    cohort = _cohort(session, cohort_ref)
    repo.grant_role(session=session, telegram_id=telegram_id, role=Role.FACILITATOR, cohort_id=cohort.id,
                    granted_by=actor)
    repo.audit(session=session, actor=actor, action="role.grant", cohort_id=cohort.id, role=Role.FACILITATOR.value,
               telegram_id=telegram_id)
    return cohort


def revoke_facilitator(session: Session, telegram_id: int, cohort_ref: str, *, actor: str = "cli") -> bool:
    """Take the facilitator role of a cohort away and rotate its link; False when it wasn't held.

    The link is rotated because the person (or whoever they forwarded it to) could open it again.
    """
    cohort = _cohort(session, cohort_ref)
    grants = session.exec(select(RoleGrant).where(RoleGrant.telegram_id == telegram_id,
                                                  RoleGrant.role == Role.FACILITATOR,
                                                  RoleGrant.cohort_id == cohort.id)).all()
    for g in grants:
        session.delete(g)
    if grants:
        repo.audit(session=session, actor=actor, action="role.revoke", cohort_id=cohort.id,
                   role=Role.FACILITATOR.value, telegram_id=telegram_id)
        role_links.rotate_facilitator_link(session, cohort, role_links.facilitator_policy(cohort),
                                           now=datetime.now(UTC), actor=actor, reason="revoke")
    return bool(grants)


def facilitator_link(session: Session, cohort_ref: str, policy: role_links.LinkPolicy | None, *,
                     actor: str = "cli") -> Cohort:
    """Return the cohort, its link rotated first when a policy is given."""
    cohort = _cohort(session, cohort_ref)
    if policy is not None:
        role_links.rotate_facilitator_link(session, cohort, policy, now=datetime.now(UTC), actor=actor)
    return cohort


def grant_rows(session: Session) -> list[dict[str, Any]]:
    """Return every role grant as a plain row, with the cohort's or study's name."""
    cohorts = {c.id: c.name for c in session.exec(select(Cohort)).all()}
    studies = {s.id: s.name for s in session.exec(select(Study)).all()}
    return [
        {"telegram_id": g.telegram_id, "role": g.role, "cohort_id": g.cohort_id,
         "cohort": cohorts.get(g.cohort_id) if g.cohort_id else None, "study_id": g.study_id,
         "study": studies.get(g.study_id) if g.study_id else None, "granted_by": g.granted_by,
         "granted_at": g.granted_at.isoformat()}
        for g in session.exec(select(RoleGrant).order_by(col(RoleGrant.role), col(RoleGrant.telegram_id))).all()
    ]
