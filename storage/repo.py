"""Repository functions for the student journey: verbs with keyword-only arguments, no business rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, update
from sqlalchemy import select as sa_select  # sqlmodel's select is typed for at most four columns
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.facilitator_models import FacilitatorDraft
from storage.models import (
    AuditEvent,
    Cohort,
    ConsentRecord,
    Delivery,
    DeliveryState,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    RoleGrant,
    SessionStatus,
    Study,
    User,
)
from storage.types import UTCDateTime, utcnow

# Statements on the hot path (every student message) are built once: building a select costs more than
# running it on SQLite.
_USER_BY_TG = select(User).where(User.telegram_id == bindparam("tg"))
_ACTIVE_ENROLMENT = (
    select(Enrolment)
    .where(Enrolment.user_id == bindparam("uid"), col(Enrolment.withdrawn_at).is_(None))
    .order_by(col(Enrolment.id).desc())
)
_OPEN_SESSION = (
    select(ReflectionSession)
    .where(ReflectionSession.enrolment_id == bindparam("eid"), ReflectionSession.status == SessionStatus.OPEN)
    .order_by(col(ReflectionSession.week).desc())
)
_ENTRY_EXISTS = select(ReflectionEntry.id).where(
    ReflectionEntry.chat_id == bindparam("chat"), ReflectionEntry.message_id == bindparam("msg"),
    ReflectionEntry.version == bindparam("ver"),
)


_STUDENT_CONTEXT = (
    sa_select(User, Enrolment, ReflectionSession, col(FacilitatorDraft.telegram_id), col(ReflectionEntry.id))
    .outerjoin(FacilitatorDraft, col(FacilitatorDraft.telegram_id) == col(User.telegram_id))
    .outerjoin(ReflectionEntry, and_(col(ReflectionEntry.chat_id) == bindparam("chat"),
                                     col(ReflectionEntry.message_id) == bindparam("msg"),
                                     col(ReflectionEntry.version) == 1))
    .outerjoin(Enrolment, and_(col(Enrolment.user_id) == col(User.id), col(Enrolment.withdrawn_at).is_(None)))
    .outerjoin(ReflectionSession, and_(col(ReflectionSession.enrolment_id) == col(Enrolment.id),
                                       col(ReflectionSession.status) == SessionStatus.OPEN))
    .where(col(User.telegram_id) == bindparam("tg"))
    .order_by(col(Enrolment.id).desc(), col(ReflectionSession.week).desc())
    .limit(1)
)


@dataclass(frozen=True)
class StudentContext:
    user: User
    enrolment: Enrolment | None  # active (not withdrawn)
    open_session: ReflectionSession | None
    has_draft: bool  # a facilitator dialogue is waiting for this person's next message
    stored_already: bool = False  # this very message is stored (a re-delivered update)


def student_context(
    *, session: Session, telegram_id: int, first_name: str, username: str | None, at: datetime, chat_id: int = -1,
    message_id: int = -1,
) -> StudentContext:
    """Return the user (created or refreshed), their active enrolment, its open conversation, whether a
    facilitator dialogue is open and whether this message is stored already, in one query (this runs for every
    message)."""
    row = session.execute(_STUDENT_CONTEXT, {"tg": telegram_id, "chat": chat_id, "msg": message_id}).first()
    if row is None:
        user = upsert_user(session=session, telegram_id=telegram_id, first_name=first_name, username=username,
                           at=at)
        return StudentContext(user, None, None, False)
    user, enrolment, open_rs, draft_id, entry_id = row
    if user.first_name != first_name or user.username != username:
        user.first_name, user.username = first_name, username
        session.add(user)
    return StudentContext(user, enrolment, open_rs, draft_id is not None, entry_id is not None)


def upsert_user(*, session: Session, telegram_id: int, first_name: str, username: str | None,
                at: datetime) -> User:
    """Return the user with this Telegram id, created (at ``at``) or refreshed."""
    user = session.exec(_USER_BY_TG, params={"tg": telegram_id}).first()
    if user is None:
        user = User(telegram_id=telegram_id, first_name=first_name, username=username, created_at=at)
        session.add(user)
        session.flush()
    elif user.first_name != first_name or user.username != username:
        user.first_name, user.username = first_name, username
        session.add(user)
    return user


def get_user_by_telegram_id(*, session: Session, telegram_id: int) -> User | None:
    """Return the user with this Telegram id, if any."""
    return session.exec(_USER_BY_TG, params={"tg": telegram_id}).first()


def get_cohort(*, session: Session, cohort_id: int) -> Cohort | None:
    """Return a cohort by id."""
    return session.get(Cohort, cohort_id)


def get_cohort_by_name(*, session: Session, name: str) -> Cohort | None:
    """Return a cohort by its exact name (case-insensitive)."""
    return session.exec(select(Cohort).where(func.lower(Cohort.name) == name.lower())).first()


def get_cohort_by_invite(*, session: Session, code: str) -> Cohort | None:
    """Return the cohort whose student invite code this is."""
    return session.exec(select(Cohort).where(Cohort.invite_code == code)).first()


def get_cohort_by_facilitator_code(*, session: Session, code: str) -> Cohort | None:
    """Return the cohort whose facilitator invite code this is."""
    return session.exec(select(Cohort).where(Cohort.facilitator_code == code)).first()


def list_cohorts(*, session: Session) -> Sequence[Cohort]:
    """Return every cohort, oldest first."""
    return session.exec(select(Cohort).order_by(col(Cohort.id))).all()


def create_cohort(*, session: Session, cohort: Cohort) -> Cohort:
    """Insert a cohort."""
    session.add(cohort)
    session.flush()
    return cohort


def get_study_by_name(*, session: Session, name: str) -> Study | None:
    """Return a study by name."""
    return session.exec(select(Study).where(Study.name == name)).first()


def active_enrolment(*, session: Session, user_id: int) -> Enrolment | None:
    """Return the student's current (not withdrawn) enrolment."""
    return session.exec(_ACTIVE_ENROLMENT, params={"uid": user_id}).first()


def get_enrolment(*, session: Session, user_id: int, cohort_id: int) -> Enrolment | None:
    """Return the enrolment of this user in this cohort, withdrawn or not."""
    return session.exec(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.cohort_id == cohort_id)
    ).first()


def add_consent_record(*, session: Session, enrolment: Enrolment, kind: str, value: bool, version: str,
                       at: datetime) -> None:
    """Append one consent choice to the history, made at ``at``."""
    assert enrolment.id is not None
    session.add(
        ConsentRecord(
            enrolment_id=enrolment.id,
            user_id=enrolment.user_id,
            cohort_id=enrolment.cohort_id,
            kind=kind,
            value=value,
            text_version=version,
            recorded_at=at,
        )
    )


def consent_history(*, session: Session, user_id: int) -> Sequence[ConsentRecord]:
    """Return every consent choice the user made, oldest first."""
    return session.exec(
        select(ConsentRecord).where(ConsentRecord.user_id == user_id).order_by(col(ConsentRecord.id))
    ).all()


def open_session(*, session: Session, enrolment_id: int) -> ReflectionSession | None:
    """Return the student's open reflection conversation, newest week first."""
    return session.exec(_OPEN_SESSION, params={"eid": enrolment_id}).first()


def get_reflection_session(*, session: Session, enrolment_id: int, week: int) -> ReflectionSession | None:
    """Return the conversation of a given week."""
    return session.exec(
        select(ReflectionSession).where(
            ReflectionSession.enrolment_id == enrolment_id, ReflectionSession.week == week
        )
    ).first()


# Core statements for the writes of every reply (entry, dialogue state, the prompt answered): no unit-of-work
# flush.
_ENTRIES: Table = ReflectionEntry.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = ReflectionSession.__table__  # type: ignore[attr-defined]
_INSERT_ENTRY = insert(_ENTRIES)
_UPDATE_SESSION = update(_SESSIONS).where(_SESSIONS.c.id == bindparam("rs_id"))  # SET: the parameters given
_DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
_MARK_ANSWERED = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.enrolment_id == bindparam("eid"), _DELIVERIES.c.week == bindparam("wk"),
           _DELIVERIES.c.state == DeliveryState.SENT)
    .values(state=DeliveryState.ANSWERED, answered_at=bindparam("at", type_=UTCDateTime()))
)


def mark_delivery_answered(*, session: Session, enrolment_id: int, week: int, at: datetime) -> bool:
    """Mark a sent prompt answered; say whether there was one to mark."""
    result = session.connection().execute(_MARK_ANSWERED, {"eid": enrolment_id, "wk": week, "at": at})
    return bool(getattr(result, "rowcount", 0))


def add_entry(*, session: Session, session_id: int, user_id: int, cohort_id: int, week: int, step: str, text: str,
              encrypted: bool, version: int, chat_id: int, message_id: int, created_at: datetime) -> None:
    """Store one reply with a single INSERT (it runs for every reply; a duplicate raises IntegrityError)."""
    session.connection().execute(_INSERT_ENTRY, {
        "session_id": session_id, "user_id": user_id, "cohort_id": cohort_id, "week": week, "step": step,
        "text": text, "encrypted": encrypted, "version": version, "chat_id": chat_id, "message_id": message_id,
        "created_at": created_at,
    })


def set_session_fields(*, session: Session, rs: ReflectionSession, **values: Any) -> None:
    """Write fields of a conversation with one UPDATE, and show them on ``rs`` as already saved.

    Cheaper than a unit-of-work flush on the hot path; ``set_committed_value`` keeps the loaded object in step
    without marking it changed, so the commit doesn't write the same fields again.
    """
    session.connection().execute(_UPDATE_SESSION, {"rs_id": rs.id, **values})
    for key, value in values.items():
        set_committed_value(rs, key, value)


def entry_exists(*, session: Session, chat_id: int, message_id: int, version: int = 1) -> bool:
    """Say whether this message (at this version) is stored already."""
    params = {"chat": chat_id, "msg": message_id, "ver": version}
    return session.exec(_ENTRY_EXISTS, params=params).first() is not None


def latest_entry_version(*, session: Session, chat_id: int, message_id: int) -> ReflectionEntry | None:
    """Return the newest stored version of a message."""
    return session.exec(
        select(ReflectionEntry)
        .where(ReflectionEntry.chat_id == chat_id, ReflectionEntry.message_id == message_id)
        .order_by(col(ReflectionEntry.version).desc())
    ).first()


def entries_for_user(*, session: Session, user_id: int) -> Sequence[ReflectionEntry]:
    """Return every stored reply of a user, in order."""
    return session.exec(
        select(ReflectionEntry).where(ReflectionEntry.user_id == user_id).order_by(col(ReflectionEntry.id))
    ).all()


def count_entries(*, session: Session, user_id: int) -> int:
    """Count a user's stored replies (every version)."""
    return int(
        session.exec(select(func.count()).select_from(ReflectionEntry).where(
            ReflectionEntry.user_id == user_id)).one()
    )


def count_closed_sessions(*, session: Session, enrolment_id: int) -> int:
    """Count the weeks a student reflected on and closed."""
    return int(
        session.exec(
            select(func.count())
            .select_from(ReflectionSession)
            .where(
                ReflectionSession.enrolment_id == enrolment_id,
                ReflectionSession.status == SessionStatus.CLOSED,
            )
        ).one()
    )


def roles_of(*, session: Session, telegram_id: int) -> Sequence[RoleGrant]:
    """Return every role granted to a Telegram account."""
    return session.exec(select(RoleGrant).where(RoleGrant.telegram_id == telegram_id)).all()


def grant_role(
    *, session: Session, telegram_id: int, role: str, cohort_id: int | None = None,
    study_id: int | None = None, granted_by: str = "cli",
) -> RoleGrant:
    """Grant a role (idempotent)."""
    existing = session.exec(
        select(RoleGrant).where(
            RoleGrant.telegram_id == telegram_id,
            RoleGrant.role == role,
            RoleGrant.cohort_id == cohort_id if cohort_id is not None else col(RoleGrant.cohort_id).is_(None),
            RoleGrant.study_id == study_id if study_id is not None else col(RoleGrant.study_id).is_(None),
        )
    ).first()
    if existing:
        return existing
    grant = RoleGrant(telegram_id=telegram_id, role=role, cohort_id=cohort_id, study_id=study_id,
                      granted_by=granted_by)
    session.add(grant)
    session.flush()
    return grant


def audit(
    *, session: Session, actor: str, action: str, cohort_id: int | None = None, study_id: int | None = None,
    at: datetime | None = None, **detail: Any,
) -> None:
    """Append an event to the audit log."""
    session.add(AuditEvent(actor=actor, action=action, cohort_id=cohort_id, study_id=study_id,
                           at=at or utcnow(), detail=detail))
