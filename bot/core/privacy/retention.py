"""Retention: delete what has been kept longer than its study allows (``balint purge`` and a daily job).

Each cohort's period is its study's ``retention_days``; a cohort without a study uses ``env.retention_days``
(RETENTION_DAYS). Past that period, counted from when each row was made:

* reflection replies (every version) and the research rows derived from them, then the weeks left empty;
* prompt deliveries; safeguarding alerts;
* a student who withdrew longer ago than the period: their enrolment and consent history too;
* a user with nothing left (no enrolment, no reflection, no alert, no staff role): their name and @username go
  too, and their own events in the audit log are unlinked from them.

The audit log keeps one ``data.purge`` event per run with counts only. ``dry_run`` counts without deleting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, or_, update
from sqlmodel import Session, col, select

from bot.core.context import Env
from storage import repo
from storage.models import (
    AuditEvent,
    Cohort,
    ConsentRecord,
    Delivery,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    RoleGrant,
    Study,
    User,
)
from storage.safety_models import CheckIn, SafeguardingAlert

ERASED_ACTOR = "erased"
STUDENT_ACTIONS = ("student.", "consent.", "safeguarding.reply", "research.excluded", "research.restored",
                   "research.deleted")


@dataclass
class CohortPurge:
    cohort_id: int | None
    cohort: str
    retention_days: int
    cutoff: str
    replies: int = 0
    weeks: int = 0
    deliveries: int = 0
    alerts: int = 0
    enrolments: int = 0
    consents: int = 0
    research_items: int = 0

    @property
    def total(self) -> int:
        return (self.replies + self.weeks + self.deliveries + self.alerts + self.enrolments + self.consents
                + self.research_items)


@dataclass
class PurgeReport:
    at: str
    dry_run: bool
    cohorts: list[CohortPurge]
    users: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "dry_run": self.dry_run, "users": self.users,
                "cohorts": [asdict(c) | {"total": c.total} for c in self.cohorts]}


def _ids(session: Session, stmt: Any) -> list[int]:
    return [int(i) for i in session.exec(stmt).all()]


def _drop(session: Session, table: Any, ids: list[int], dry_run: bool) -> int:
    if ids and not dry_run:
        for i in range(0, len(ids), 500):
            session.execute(delete(table).where(col(table.id).in_(ids[i:i + 500])))
    return len(ids)


def retention_of(session: Session, env: Env, cohort: Cohort) -> int:
    """The retention period of a cohort's data, in days."""
    study = session.get(Study, cohort.study_id) if cohort.study_id else None
    return study.retention_days if study else env.retention_days


def purge(session: Session, env: Env, *, dry_run: bool = False) -> PurgeReport:
    """Delete (or with ``dry_run`` count) everything past its retention period."""
    now = env.clock.now()
    report = PurgeReport(at=now.isoformat(), dry_run=dry_run, cohorts=[])
    for cohort in repo.list_cohorts(session=session):
        days = retention_of(session, env, cohort)
        report.cohorts.append(_purge_cohort(session, env, cohort, days, now - timedelta(days=days), dry_run))
    default_cutoff = now - timedelta(days=env.retention_days)
    loose = CohortPurge(None, "(no cohort)", env.retention_days, default_cutoff.isoformat())
    loose.alerts = _drop(session, SafeguardingAlert, _ids(session, select(SafeguardingAlert.id).where(
        col(SafeguardingAlert.cohort_id).is_(None), col(SafeguardingAlert.created_at) < default_cutoff)), dry_run)
    _drop(session, CheckIn, _ids(session, select(CheckIn.id).where(  # check-ins go with the alerts' period
        col(CheckIn.cohort_id).is_(None), col(CheckIn.asked_at) < default_cutoff)), dry_run)
    report.cohorts.append(loose)
    if not dry_run:
        session.flush()
    idle = session.exec(select(User.id, User.telegram_id).where(
        ~exists().where(col(Enrolment.user_id) == col(User.id)),
        ~exists().where(col(SafeguardingAlert.user_id) == col(User.id)),
        ~exists().where(col(ReflectionEntry.user_id) == col(User.id)),
        ~exists().where(col(RoleGrant.telegram_id) == col(User.telegram_id)),
    )).all()
    report.users = _drop(session, User, [int(u or 0) for u, _ in idle], dry_run)
    if not dry_run:
        for _, telegram_id in idle:
            forget_actor(session, telegram_id)
    if not dry_run:
        repo.audit(session=session, actor="retention", action="data.purge", at=now, users=report.users,
                   **{f"cohort_{c.cohort_id or 0}": c.total for c in report.cohorts if c.total})
    return report


def _purge_cohort(session: Session, env: Env, cohort: Cohort, days: int, cutoff: datetime,
                  dry_run: bool) -> CohortPurge:
    cid = cohort.id
    out = CohortPurge(cid, cohort.name, days, cutoff.isoformat())
    gone = _ids(session, select(Enrolment.id).where(Enrolment.cohort_id == cid,
                                                     col(Enrolment.withdrawn_at) < cutoff))
    old_entries = select(ReflectionEntry.id).where(ReflectionEntry.cohort_id == cid).where(
        (col(ReflectionEntry.created_at) < cutoff)
        | col(ReflectionEntry.session_id).in_(select(ReflectionSession.id).where(
            col(ReflectionSession.enrolment_id).in_(gone))))
    entry_ids = _ids(session, old_entries)
    out.research_items = research_purge(session, env, entry_ids, dry_run)
    out.replies = _drop(session, ReflectionEntry, entry_ids, dry_run)
    if not dry_run:
        session.flush()
    week_ids = _ids(session, select(ReflectionSession.id).where(
        ReflectionSession.cohort_id == cid,
        (col(ReflectionSession.started_at) < cutoff) | col(ReflectionSession.enrolment_id).in_(gone),
        ~exists().where(col(ReflectionEntry.session_id) == col(ReflectionSession.id),
                        ~col(ReflectionEntry.id).in_(entry_ids))))
    out.weeks = _drop(session, ReflectionSession, week_ids, dry_run)
    out.deliveries = _drop(session, Delivery, _ids(session, select(Delivery.id).where(
        Delivery.cohort_id == cid, (col(Delivery.due_at) < cutoff) | col(Delivery.enrolment_id).in_(gone))), dry_run)
    out.alerts = _drop(session, SafeguardingAlert, _ids(session, select(SafeguardingAlert.id).where(
        SafeguardingAlert.cohort_id == cid, col(SafeguardingAlert.created_at) < cutoff)), dry_run)
    _drop(session, CheckIn, _ids(session, select(CheckIn.id).where(
        CheckIn.cohort_id == cid, col(CheckIn.asked_at) < cutoff)), dry_run)
    out.consents = _drop(session, ConsentRecord, _ids(session, select(ConsentRecord.id).where(
        col(ConsentRecord.enrolment_id).in_(gone))), dry_run)
    if not dry_run:
        session.flush()
    # a week started before the cutoff whose replies are newer (edits) stays; so does its enrolment
    if gone and not dry_run:
        gone = [g for g in gone if not session.exec(select(ReflectionSession.id).where(
            ReflectionSession.enrolment_id == g)).first()]
    out.enrolments = _drop(session, Enrolment, gone, dry_run)
    return out


def forget_actor(session: Session, telegram_id: int) -> None:
    """Unlink a former student's events in the audit log from them (the events stay, under actor "erased").

    Every event they did goes, except, while they still hold a staff role (facilitator, researcher), the acts of
    that role: who granted, announced or acknowledged stays accountable. A student's own acts (``STUDENT_ACTIONS``)
    are unlinked either way, and so are a non-staff person's stray attempts (``facilitator.refused``, bad links).
    """
    actor = f"telegram:{telegram_id}"
    staff = session.exec(select(RoleGrant.id).where(RoleGrant.telegram_id == telegram_id)).first() is not None
    mine = col(AuditEvent.actor) == actor
    if staff:
        own = or_(*(col(AuditEvent.action).startswith(prefix) for prefix in STUDENT_ACTIONS))
        session.execute(update(AuditEvent).where(mine, own).values(actor=ERASED_ACTOR))
    else:
        session.execute(update(AuditEvent).where(mine).values(actor=ERASED_ACTOR))


def research_purge(session: Session, env: Env, entry_ids: list[int], dry_run: bool) -> int:
    """Remove the research rows derived from these replies through the pipeline's hook; return how many."""
    if env.research is None:
        return 0
    return env.research.purge_entries(session, env, entry_ids, dry_run=dry_run)
