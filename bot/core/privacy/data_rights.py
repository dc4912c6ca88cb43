"""A student's data rights in the chat: /mydata (a file of everything held) and /delete (erase it all).

/delete asks first (a button), then erases in one transaction: the research pipeline's rows first (its
hook, ``research_erase``, reports which exports already held the student's words), then reflections, weeks,
deliveries, consent history, safeguarding alerts, enrolments and the user. What stays is a tombstone in the
audit log with no personal data: when, how much, which cohorts and which exports held the data. The
student's own earlier audit events lose their link to them (the actor becomes "erased").

A safeguarding alert still waiting for acknowledgement is not silently dropped: it goes to the safeguarding
lead (or the admins) at once, saying the student has erased their data, before the alert row is erased.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.core import actions
from bot.core.actions import Action
from bot.core.circles.forget import data_of as circle_data
from bot.core.circles.forget import forget_user as forget_circles
from bot.core.context import Env, Person
from bot.core.privacy.at_rest import unseal
from bot.core.privacy.crypto import KeyProblem, TextCipher
from bot.core.privacy.retention import ERASED_ACTOR, forget_actor
from bot.core.replies import Attachment, Button, CallbackOutcome, Reply
from bot.core.safety.safeguarding import escalation_recipients
from bot.core.templates import escape
from storage import repo
from storage.facilitator_models import AnnouncementDelivery
from storage.models import (
    AuditEvent,
    Cohort,
    ConsentRecord,
    Delivery,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    RoleGrant,
    User,
)
from storage.safety_models import CheckIn, SafeguardingAlert

log = logging.getLogger(__name__)

YES, NO = 1, 0
NOTHING_HELD = ("I don't hold any data about you: you haven't joined a cohort or written anything here. "
                "If you open an invite link later, /mydata will show what is kept.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _text(cipher: TextCipher, stored: str, encrypted: bool) -> str:
    try:
        return cipher.decrypt(stored, encrypted)
    except KeyProblem:
        return "[stored encrypted; the key to read it is not configured on this server]"


def collect(session: Session, env: Env, user: User) -> dict[str, Any]:
    """Everything held about a user, as plain data (decrypted), for /mydata."""
    assert user.id is not None
    cohorts = {c.id: c for c in session.exec(select(Cohort)).all()}

    def cohort_name(cohort_id: int | None) -> str | None:
        c = cohorts.get(cohort_id)
        return c.name if c else None

    enrolments = session.exec(select(Enrolment).where(Enrolment.user_id == user.id)
                              .order_by(col(Enrolment.id))).all()
    sessions = session.exec(select(ReflectionSession).where(ReflectionSession.user_id == user.id)
                            .order_by(col(ReflectionSession.id))).all()
    entries = repo.entries_for_user(session=session, user_id=user.id)
    by_session: dict[int, list[dict[str, Any]]] = {}
    for e in entries:
        by_session.setdefault(e.session_id, []).append({
            "step": e.step, "version": e.version, "text": _text(env.cipher, e.text, e.encrypted),
            "written_at": _iso(e.created_at), "stored_encrypted": e.encrypted,
        })
    deliveries = session.exec(select(Delivery).where(Delivery.user_id == user.id).order_by(col(Delivery.id))).all()
    alerts = session.exec(select(SafeguardingAlert).where(SafeguardingAlert.user_id == user.id)
                          .order_by(col(SafeguardingAlert.id))).all()
    events = session.exec(select(AuditEvent).where(AuditEvent.actor == f"telegram:{user.telegram_id}")
                          .order_by(col(AuditEvent.id))).all()
    grants = repo.roles_of(session=session, telegram_id=user.telegram_id)
    pending = []
    for en in enrolments:
        try:
            pending.append(unseal(env.cipher, en.pending_text))
        except KeyProblem:
            pending.append("[stored encrypted; the key to read it is not configured on this server]")
    return {
        "about": ("Everything balintbot holds about you, as of generated_at. Times are UTC. Reflections are "
                  "shown decrypted, every version of every reply. Safeguarding alerts never held what you wrote."),
        "generated_at": env.clock.now().isoformat(),
        "user": {"telegram_id": user.telegram_id, "first_name": user.first_name, "username": user.username,
                 "first_seen": _iso(user.created_at), "unreachable_since": _iso(user.unreachable_at)},
        "enrolments": [
            {"cohort": cohort_name(en.cohort_id), "joined_at": _iso(en.joined_at),
             "taking_part": en.participate, "research_use": en.research,
             "participant_information_version": en.consent_version, "paused": en.paused,
             "withdrawn_at": _iso(en.withdrawn_at), "message_kept_waiting": text}
            for en, text in zip(enrolments, pending, strict=True)
        ],
        "consent_history": [
            {"cohort": cohort_name(r.cohort_id), "choice": r.kind, "value": r.value,
             "participant_information_version": r.text_version, "recorded_at": _iso(r.recorded_at)}
            for r in repo.consent_history(session=session, user_id=user.id)
        ],
        "reflections": [
            {"cohort": cohort_name(s.cohort_id), "week": s.week, "status": s.status, "path": s.path,
             "skipped_questions": s.skipped, "started_at": _iso(s.started_at), "closed_at": _iso(s.closed_at),
             "replies": by_session.get(s.id or 0, [])}
            for s in sessions
        ],
        "balint_circles": circle_data(session, env, user),
        "deliveries": [
            {"cohort": cohort_name(d.cohort_id), "week": d.week, "state": d.state, "due_at": _iso(d.due_at),
             "sent_at": _iso(d.sent_at), "reminded_at": _iso(d.reminded_at), "answered_at": _iso(d.answered_at)}
            for d in deliveries
        ],
        "announcements_received": [
            {"announcement": d.announcement_id, "state": d.state, "sent_at": _iso(d.sent_at)}
            for d in session.exec(select(AnnouncementDelivery).where(AnnouncementDelivery.user_id == user.id)
                                  .order_by(col(AnnouncementDelivery.id))).all()
        ],
        "safeguarding_alerts": [
            {"id": a.id, "cohort": cohort_name(a.cohort_id), "kind_of_concern": a.category, "rule": a.rule,
             "raised_at": _iso(a.created_at), "further_messages": a.hits - 1,
             "people_told": len(a.notified), "acknowledged_at": _iso(a.acknowledged_at),
             "escalated_at": _iso(a.escalated_at)}
            for a in alerts
        ],
        "safeguarding_check_ins": [
            {"asked_at": _iso(c.asked_at), "rule": c.rule, "answer": c.answer, "answered_at": _iso(c.answered_at),
             "alert": c.alert_id}
            for c in session.exec(select(CheckIn).where(CheckIn.user_id == user.id).order_by(col(CheckIn.id))).all()
        ],
        "roles": [{"role": g.role, "cohort": cohort_name(g.cohort_id), "study_id": g.study_id,
                   "granted_at": _iso(g.granted_at)} for g in grants],
        "activity_log": [{"at": _iso(e.at), "action": e.action, "cohort": cohort_name(e.cohort_id),
                          "detail": e.detail} for e in events],
        "research": research_summary(session, env, user),
    }


def my_data(session: Session, env: Env, person: Person) -> list[Reply]:
    """/mydata: send a JSON file of everything held about the student."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    if user is None or user.id is None:
        return [Reply(NOTHING_HELD)]
    data = collect(session, env, user)
    content = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    name = f"balintbot-my-data-{env.clock.now():%Y-%m-%d}.json"
    repo.audit(session=session, actor=person.actor, action="student.mydata", at=env.clock.now(), bytes=len(content))
    return [Reply("Here is everything I hold about you: your choices and their history, every reflection reply "
                  "(with all edits), the prompts sent to you, and any safeguarding alerts. /delete erases it.",
                  attachment=Attachment(name, content))]


def _counts(session: Session, user_id: int) -> dict[str, int]:
    return {
        "replies": repo.count_entries(session=session, user_id=user_id),
        # weeks with at least one reply (a week that was opened and left empty holds no words)
        "weeks": len(session.exec(select(ReflectionEntry.week).where(ReflectionEntry.user_id == user_id)
                                  .distinct()).all()),
        "consents": len(session.exec(select(ConsentRecord.id).where(ConsentRecord.user_id == user_id)).all()),
    }


def _replies_over_weeks(replies: int, weeks: int) -> str:
    if replies == 0:
        return "no reflection replies"
    said = f"{replies} reflection {'reply' if replies == 1 else 'replies'}"
    return f"{said} over {weeks} {'week' if weeks == 1 else 'weeks'}, with every edit"


def ask_delete(session: Session, env: Env, person: Person) -> list[Reply]:
    """/delete: say exactly what will be erased, then ask to confirm."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    if user is None or user.id is None:
        return [Reply(NOTHING_HELD)]
    n = _counts(session, user.id)
    exports = research_exports_holding(session, env, user)
    held = (f"\n• {len(exports)} research export(s) made earlier already hold some of your de-identified "
            "reflections. They can't be recalled (they carry no name), and the record will say which ones."
            if exports else "")
    return [Reply(
        "<b>Erase everything I hold about you?</b>\n\n"
        f"• {_replies_over_weeks(n['replies'], n['weeks'])}\n"
        f"• your {n['consents']} recorded choices, your cohort membership and the prompts sent to you\n"
        "• your reflections in the research coding queue, and any safeguarding alert about you"
        f"{held}\n\n"
        "This can't be undone. A note that an erasure happened is kept, with no name or content. "
        "/mydata first if you'd like a copy.",
        buttons=((Button("Yes, erase everything", actions.encode(Action.DELETE, user.id, YES)),
                  Button("Cancel", actions.encode(Action.DELETE, user.id, NO))),),
    )]


def confirm_delete(session: Session, env: Env, person: Person, user_id: int, value: int) -> CallbackOutcome:
    """The answer to ``ask_delete``: erase after a yes."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    if user is None or user.id != user_id:
        return CallbackOutcome(toast="This button has expired.")
    if value != YES:
        return CallbackOutcome(toast="Cancelled", edit_text="Nothing has been erased.")
    notes = erase(session, env, user)
    return CallbackOutcome(toast="Erased", edit_text=(
        "Done: everything I held about you has been erased. Thank you for the part you took. "
        "If you ever want to come back, your invite link will start you afresh."), replies=notes)


def erase(session: Session, env: Env, user: User) -> list[Reply]:
    """Erase a user's data; keep a tombstone. Return messages to send (an open alert, escalated)."""
    assert user.id is not None
    uid, now = user.id, env.clock.now()
    notes = _hand_over_open_alerts(session, env, user)
    research = research_erase(session, env, user)
    counts = _counts(session, uid)
    cohort_ids = sorted({e.cohort_id for e in session.exec(select(Enrolment).where(Enrolment.user_id == uid)).all()})
    for table in (ReflectionEntry, ReflectionSession, Delivery, ConsentRecord, CheckIn, SafeguardingAlert):
        session.execute(delete(table).where(col(table.user_id) == uid))  # type: ignore[attr-defined]
    session.execute(delete(Enrolment).where(col(Enrolment.user_id) == uid))
    circle_posts = forget_circles(session, env, user)  # before the user row: memberships reference it
    forget_actor(session, user.telegram_id)
    staff = session.exec(select(RoleGrant.id).where(RoleGrant.telegram_id == user.telegram_id)).first()
    session.delete(user)
    session.flush()
    repo.audit(session=session, actor=ERASED_ACTOR, action="student.erase", at=now, cohort_ids=cohort_ids,
               replies=counts["replies"], weeks=counts["weeks"], staff_roles_kept=staff is not None,
               exports_holding_data=research.get("exports", []), research_items=research.get("items", 0),
               circle_posts=circle_posts)
    return notes


def _hand_over_open_alerts(session: Session, env: Env, user: User) -> list[Reply]:
    open_alerts = session.exec(select(SafeguardingAlert).where(
        SafeguardingAlert.user_id == user.id, col(SafeguardingAlert.acknowledged_at).is_(None))).all()
    if not open_alerts:
        return []
    to = escalation_recipients(env)
    name = escape(user.first_name or "A student")
    handle = f" (@{escape(user.username)})" if user.username else ""
    ids = ", ".join(f"#{a.id}" for a in open_alerts)
    text = (f"⚠️ <b>Safeguarding alert {ids}</b> was still unacknowledged when "
            f'<a href="tg://user?id={user.telegram_id}">{name}</a>{handle}, Telegram id '
            f"<code>{user.telegram_id}</code>, erased their data at their own request. The alert is erased with "
            "it, so it comes to you now: please make sure someone has checked in with them.")
    repo.audit(session=session, actor="safeguarding", action="safeguarding.handover", at=env.clock.now(),
               alerts=len(open_alerts), to=len(to))
    if not to:
        log.error("an unacknowledged alert was erased with no lead or admin to hand it to",
                  extra={"event": "handover_unrouted"})
    return [Reply(text, chat_id=t) for t in to]


# --- the research pipeline's side (bot/research/queue.py owns its tables) ------------------------------------


def research_summary(session: Session, env: Env, user: User) -> dict[str, Any]:
    """What the research pipeline holds about the user (pseudonym, queue items, exports), if it is installed."""
    if env.research is None:
        return {}
    return env.research.participant_summary(session, env, user)


def research_exports_holding(session: Session, env: Env, user: User) -> list[int]:
    """Ids of research exports that already hold some of this user's reflections."""
    return list(research_summary(session, env, user).get("exports", []))


def research_erase(session: Session, env: Env, user: User) -> dict[str, Any]:
    """Erase the user's research rows through the pipeline's own hook; return ``{"items", "exports"}``."""
    if env.research is None:
        return {}
    return env.research.erase_participant(session, env, user)
