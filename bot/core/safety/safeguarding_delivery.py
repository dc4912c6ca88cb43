"""Getting a safeguarding alert to a person: one durable notice per recipient, and a fallback when nobody gets it.

An alert is "notified" only to the people whose copy Telegram accepted. ``plan`` writes a pending
``AlertNotice`` for each facilitator of the student's cohort (or, with none assigned, for the fallback) in the
same transaction as the alert; the sender (``bot.telegram.safety_jobs``) claims, sends and settles them. When
every copy has been settled and none arrived (403: the facilitator blocked the bot; "chat not found": they
never pressed Start; or repeated failures), the alert goes at once to the safeguarding lead, and if the lead
can't be reached either, to the admins. An alert that reached nobody at all is logged as an error every time
it is settled so, and ``balint safeguarding alerts`` shows it as "reached nobody".

Transient errors (network, Telegram 5xx, 429) are retried with backoff from the database, so a restart loses
nothing: a notice claimed but never settled (a crash between send and mark) is claimed again after
``CLAIM_FOR``, at worst arriving twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from bot.core.context import Env
from bot.core.delivery.delivery import backoff, claim_rows
from bot.core.replies import Reply
from bot.core.safety.safeguarding_text import ack_buttons, alert_text
from storage import repo
from storage.models import Role, RoleGrant, User
from storage.safety_models import AlertNotice, NoticeState, SafeguardingAlert

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=2)
MAX_ATTEMPTS = 5  # transient failures before a copy counts as not delivered (about 2.5 minutes of backoff)


@dataclass(frozen=True)
class Outgoing:
    """One claimed notice, ready to send."""

    notice_id: int
    chat_id: int
    reply: Reply


def facilitators_of(session: Session, cohort_id: int | None) -> list[int]:
    """The Telegram ids of a cohort's facilitators, in the order they were granted."""
    if cohort_id is None:
        return []
    grants = session.exec(select(RoleGrant.telegram_id)
                          .where(RoleGrant.role == Role.FACILITATOR, RoleGrant.cohort_id == cohort_id)
                          .order_by(col(RoleGrant.id))).all()
    return list(dict.fromkeys(int(t) for t in grants))


def fallback_levels(env: Env) -> list[tuple[str, list[int]]]:
    """Who is tried when no facilitator got an alert: the safeguarding lead first, then the admins."""
    levels: list[tuple[str, list[int]]] = []
    if env.safeguarding_lead_id:
        levels.append(("lead", [env.safeguarding_lead_id]))
    if env.admin_ids:
        levels.append(("admin", sorted(env.admin_ids)))
    return levels


def _add(session: Session, env: Env, alert: SafeguardingAlert, ids: list[int], *, role: str, reason: str,
         state: str = NoticeState.PENDING, at: datetime | None = None) -> list[AlertNotice]:
    assert alert.id is not None
    now = at or env.clock.now()
    made = []
    for t in ids:
        notice = AlertNotice(alert_id=alert.id, telegram_id=t, role=role, reason=reason, state=state,
                             created_at=now, next_attempt_at=now,
                             sent_at=now if state == NoticeState.SENT else None)
        session.add(notice)
        made.append(notice)
    session.flush()
    return made


def plan(session: Session, env: Env, alert: SafeguardingAlert, *, told_already: list[int] | tuple[int, ...] = ()
         ) -> list[AlertNotice]:
    """Write the pending copies of a new alert: to its facilitators, or straight to the fallback without any.

    ``told_already``: people who were sent the alert directly while the database was away (recorded as sent).
    """
    record_told(session, env, alert, list(told_already), at=alert.created_at)
    facilitators = [t for t in facilitators_of(session, alert.cohort_id) if t not in told_already]
    if facilitators:
        return _add(session, env, alert, facilitators, role="facilitator", reason="facilitator")
    if told_already:
        return []
    return _fall_back(session, env, alert, tried=set())


def record_told(session: Session, env: Env, alert: SafeguardingAlert, told: list[int], *,
                at: datetime | None = None) -> None:
    """Record copies that were sent directly (the database away at the time) as received (at ``at``)."""
    if not told:
        return
    for t in dict.fromkeys(told):
        role = "lead" if t == env.safeguarding_lead_id else "admin"
        _add(session, env, alert, [t], role=role, reason="outage", state=NoticeState.SENT, at=at)
    alert.notified = list(dict.fromkeys([*alert.notified, *told]))
    session.add(alert)


def _fall_back(session: Session, env: Env, alert: SafeguardingAlert, *, tried: set[int]) -> list[AlertNotice]:
    for role, ids in fallback_levels(env):
        fresh = [t for t in ids if t not in tried]
        if fresh:
            repo.audit(session=session, actor="safeguarding", action="safeguarding.fallback",
                       cohort_id=alert.cohort_id, at=env.clock.now(), alert_id=alert.id, to=role)
            return _add(session, env, alert, fresh, role=role, reason="fallback")
    log.error("safeguarding alert %s reached nobody: no facilitator, lead or admin could be sent it (set "
              "SAFEGUARDING_LEAD_TELEGRAM_ID or ADMIN_TELEGRAM_IDS, and ask them to press Start)", alert.id,
              extra={"event": "alert_unreached", "alert_id": alert.id})
    repo.audit(session=session, actor="safeguarding", action="safeguarding.unreached", cohort_id=alert.cohort_id,
               at=env.clock.now(), alert_id=alert.id)
    return []


def notices_of(session: Session, alert_id: int) -> list[AlertNotice]:
    """Every copy of an alert, oldest first."""
    return list(session.exec(select(AlertNotice).where(AlertNotice.alert_id == alert_id)
                             .order_by(col(AlertNotice.id))).all())


def _settled(session: Session, env: Env, notice: AlertNotice) -> None:
    """After a copy failed for good: when nobody has (or may still get) the alert, go to the next level."""
    alert = session.get(SafeguardingAlert, notice.alert_id)
    if alert is None or alert.acknowledged_at is not None:
        return
    notices = notices_of(session, notice.alert_id)
    if any(n.state in (NoticeState.SENT, NoticeState.PENDING) for n in notices):
        return
    _fall_back(session, env, alert, tried={n.telegram_id for n in notices})


# ---------------------------------------------------------------- the sender's side


def claim(session: Session, env: Env, worker: str, limit: int = 50) -> list[int]:
    """Claim the notices due now; another worker never gets the same rows."""
    now = env.clock.now()
    stmt = (select(AlertNotice)
            .where(col(AlertNotice.state) == NoticeState.PENDING, col(AlertNotice.next_attempt_at) <= now,
                   or_(col(AlertNotice.claimed_until).is_(None), col(AlertNotice.claimed_until) < now))
            .order_by(col(AlertNotice.id)).limit(limit))
    return claim_rows(session, stmt, worker, now, table=AlertNotice, claim_for=CLAIM_FOR)


def prepare(session: Session, env: Env, notice_id: int) -> Outgoing | None:
    """The message of a claimed notice; None (and skipped) once the alert is acknowledged or erased."""
    notice = session.get(AlertNotice, notice_id)
    if notice is None or notice.state != NoticeState.PENDING:
        return None
    alert = session.get(SafeguardingAlert, notice.alert_id)
    user = session.get(User, alert.user_id) if alert is not None else None
    if alert is None or user is None or alert.acknowledged_at is not None:
        notice.state, notice.claimed_until = NoticeState.SKIPPED, None
        session.add(notice)
        return None
    cohort = repo.get_cohort(session=session, cohort_id=alert.cohort_id) if alert.cohort_id else None
    text = alert_text(env, alert, user, cohort, fallback=notice.reason == "fallback", role=notice.role)
    return Outgoing(notice_id, notice.telegram_id, Reply(text, buttons=ack_buttons(alert), chat_id=notice.telegram_id))


def mark_sent(session: Session, env: Env, notice_id: int) -> None:
    """Telegram accepted the copy: this person has the alert."""
    notice = session.get(AlertNotice, notice_id)
    if notice is None:
        return
    notice.state, notice.sent_at, notice.claimed_until = NoticeState.SENT, env.clock.now(), None
    notice.attempts += 1
    session.add(notice)
    alert = session.get(SafeguardingAlert, notice.alert_id)
    if alert is not None and notice.telegram_id not in alert.notified:
        alert.notified = [*alert.notified, notice.telegram_id]
        session.add(alert)
        repo.audit(session=session, actor="safeguarding", action="safeguarding.notified", cohort_id=alert.cohort_id,
                   at=env.clock.now(), alert_id=alert.id, role=notice.role, reason=notice.reason)


def mark_unreachable(session: Session, env: Env, notice_id: int, error: str) -> None:
    """Telegram refuses the chat (blocked, or never started): this person won't get it; try the next level."""
    notice = session.get(AlertNotice, notice_id)
    if notice is None:
        return
    notice.state, notice.last_error, notice.claimed_until = NoticeState.UNREACHABLE, error[:300], None
    notice.attempts += 1
    session.add(notice)
    log.warning("safeguarding alert %s could not reach %s %s: %s", notice.alert_id, notice.role,
                notice.telegram_id, error[:120], extra={"event": "alert_unreachable", "alert_id": notice.alert_id})
    _settled(session, env, notice)


def mark_retry(session: Session, env: Env, notice_id: int, delay: float | None, error: str) -> None:
    """A transient failure: try again after ``delay`` seconds (None: backoff), or give the copy up after too many."""
    notice = session.get(AlertNotice, notice_id)
    if notice is None:
        return
    delay = delay if delay is not None else backoff(notice.attempts)
    notice.attempts += 1
    notice.last_error, notice.claimed_until = error[:300], None
    if notice.attempts >= MAX_ATTEMPTS:
        notice.state = NoticeState.FAILED
        session.add(notice)
        _settled(session, env, notice)
        return
    notice.next_attempt_at = env.clock.now() + timedelta(seconds=delay)
    session.add(notice)


def mark_failed(session: Session, env: Env, notice_id: int, error: str) -> None:
    """A permanent failure (Telegram refused the message itself): give this copy up; try the next level."""
    notice = session.get(AlertNotice, notice_id)
    if notice is None:
        return
    notice.state, notice.last_error, notice.claimed_until = NoticeState.FAILED, error[:300], None
    notice.attempts += 1
    session.add(notice)
    log.error("safeguarding alert %s to %s failed: %s", notice.alert_id, notice.telegram_id, error[:120],
              extra={"event": "alert_send_failed", "alert_id": notice.alert_id})
    _settled(session, env, notice)


def skip_open(session: Session, alert_id: int) -> None:
    """An alert was acknowledged: copies not sent yet needn't go."""
    for n in notices_of(session, alert_id):
        if n.state == NoticeState.PENDING:
            n.state, n.claimed_until = NoticeState.SKIPPED, None
            session.add(n)


def receipts(session: Session, alert_ids: list[int]) -> dict[int, list[dict[str, object]]]:
    """Who got each alert and who didn't, per alert id (for ``balint safeguarding alerts``)."""
    if not alert_ids:
        return {}
    out: dict[int, list[dict[str, object]]] = {a: [] for a in alert_ids}
    rows = session.exec(select(AlertNotice).where(col(AlertNotice.alert_id).in_(alert_ids))
                        .order_by(col(AlertNotice.id))).all()
    for n in rows:
        out[n.alert_id].append({"telegram_id": n.telegram_id, "role": n.role, "reason": n.reason, "state": n.state,
                                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                                "attempts": n.attempts, "error": n.last_error})
    return out
