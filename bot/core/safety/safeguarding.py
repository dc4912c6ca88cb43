"""Safeguarding in the chat: screen every student message, reply with support, alert, acknowledge, escalate.

``screen`` runs first on every typed message (before consent, with no reflection open, edits too). The
verdict comes from ``bot.core.safety.safeguarding_rules``; its tier decides what happens next:

* alert (the student's own explicit risk): a warm reply with support contacts at once, and an alert whose
  copies (one per facilitator of the student's cohort) go into the outbox of ``safeguarding_delivery``, which
  records who received each one and falls back to the safeguarding lead, then the admins, when nobody could be
  reached (or the cohort has no facilitator). The alert names the student (first name, @username, Telegram id,
  a tap-to-open link) and the kind of concern, never what they wrote. The message is then handled as usual;
* check-in (warning signs, nothing explicit): "are you safe right now?" (``safeguarding_checkin``); "not sure"
  and "not safe" raise the alert through ``raise_alert`` (``safeguarding_alerting``) exactly as above;
* someone else in the student's life at risk, or a patient-safety concern: the support reply of that kind
  (how to help a friend; how to raise a concern about care) and no alert, as the participant information
  promises; at most once a day each, so a reflection about one incident isn't answered with the same contacts
  at every turn;
* a further risk message while the student's alert is still unacknowledged counts on that alert rather than
  raising a new one; the reply is a short reminder when the full contacts went out within the hour.

``first_aid`` renders the student's reply from the text and the resources alone, so the chat can send it when
the database is slow or refuses to store the alert (bot/telegram/safety_screen.py); ``record_after_outage``
stores such an alert later.

An alert not acknowledged within ``env.escalate_minutes`` goes to the safeguarding lead: ``due_escalations``
finds them and ``mark_escalated`` records each one once it has been sent (the job in bot/telegram/safety_jobs.py
does both every minute), so an escalation that could not be sent is tried again rather than lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.core import roles
from bot.core.context import Env, Person
from bot.core.replies import CallbackOutcome, Reply
from bot.core.safety import safeguarding_checkin as checkin
from bot.core.safety import safeguarding_delivery as sg_delivery
from bot.core.safety.safeguarding_alerting import open_alert, raise_alert, resources
from bot.core.safety.safeguarding_rules import (
    Category,
    Resource,
    Tier,
    Verdict,
    check,
    render_support_reply,
    reply_variant,
)
from bot.core.safety.safeguarding_text import (
    ack_buttons,
    alert_text,
    local_time,
)
from bot.core.templates import escape
from storage import repo
from storage.models import AuditEvent, User
from storage.safety_models import SafeguardingAlert

log = logging.getLogger(__name__)

FULL_REPLY_EVERY = timedelta(hours=1)  # a repeat within this gets the short reminder
OTHER_REPLY_EVERY = timedelta(days=1)  # someone-else / patient-safety replies, at most this often

NOT_ALLOWED = ("Only the facilitators of this student's cohort, the safeguarding lead and admins can "
               "acknowledge safeguarding alerts.")


def _recently_replied(session: Session, env: Env, person: Person, variant: str) -> bool:
    since = env.clock.now() - OTHER_REPLY_EVERY
    found = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.actor == person.actor, AuditEvent.action == f"safeguarding.reply.{variant}",
            col(AuditEvent.at) >= since)
    ).first()
    return found is not None


@dataclass(frozen=True)
class FirstAid:
    """What the student is sent about a message before (and whether or not) anything is stored."""

    verdict: Verdict
    reply: Reply

    @property
    def alerts(self) -> bool:
        return self.verdict.tier is Tier.ALERT


def first_aid(env: Env, person: Person, body: str, verdict: Verdict | None = None) -> FirstAid | None:
    """The reply a message at risk calls for, rendered from the text and the resources alone (no database).

    The chat sends it itself when the database is slow or failing (bot.telegram.safety_handlers); otherwise
    ``screen`` sends the same text, with the alert stored.
    """
    verdict = verdict if verdict is not None else check(body)
    contacts = resources(env.safeguarding_institution)
    if verdict.tier is Tier.CHECK_IN:
        return FirstAid(verdict, checkin.question(person, check_in_id=0))
    variant = reply_variant(verdict)
    if variant is None:
        return None
    return FirstAid(verdict, Reply(render_support_reply(contacts, student_name=person.first_name or None,
                                                        variant=variant, category=verdict.category)))


def screen(session: Session, env: Env, person: Person, body: str, *, verdict: Verdict | None = None) -> list[Reply]:
    """Check a student's message; return the support reply or the check-in (empty when nothing is found).

    A new alert's copies to the facilitators are written to the outbox here and sent by the alert sender
    (bot.telegram.safety_jobs), which records who received them.
    """
    verdict = verdict if verdict is not None else check(body)
    if verdict.tier is Tier.CHECK_IN:
        user = repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                                username=person.username, at=env.clock.now())
        return checkin.ask(session, env, person, user, verdict)
    variant = reply_variant(verdict)
    if variant is None:
        return []
    user = repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                            username=person.username, at=env.clock.now())
    assert user.id is not None
    contacts = resources(env.safeguarding_institution)
    if variant != "self":
        if _recently_replied(session, env, person, variant):
            return []
        repo.audit(session=session, actor=person.actor, action=f"safeguarding.reply.{variant}", at=env.clock.now(),
                   category=str(verdict.category))
        return [Reply(render_support_reply(contacts, student_name=person.first_name or None, variant=variant,
                                           category=verdict.category))]
    assert verdict.category is not None and verdict.rule is not None
    alert, new = raise_alert(session, env, user, category=str(verdict.category), rule=verdict.rule,
                             subject=str(verdict.subject))
    if not new and env.clock.now() - alert.last_hit_at < FULL_REPLY_EVERY:
        _count_hit(session, env, alert)
        return [Reply(_reminder(contacts, person, verdict.category))]
    if not new:
        _count_hit(session, env, alert)
    return [Reply(render_support_reply(contacts, student_name=person.first_name or None, variant="self",
                                       category=verdict.category))]


def _count_hit(session: Session, env: Env, alert: SafeguardingAlert) -> None:
    alert.hits += 1
    alert.last_hit_at = env.clock.now()
    session.add(alert)


def record_after_outage(session: Session, env: Env, person: Person, verdict: Verdict, at: datetime,
                        told: tuple[int, ...]) -> int:
    """Store an alert that could not be stored when it was raised; return its id.

    ``told``: who was sent it directly at the time (bot.telegram.safety_handlers): their copies are recorded as
    sent, and the facilitators get theirs through the outbox now.
    """
    assert verdict.category is not None and verdict.rule is not None
    user = repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                            username=person.username, at=at)
    alert, new = raise_alert(session, env, user, category=str(verdict.category), rule=verdict.rule,
                             subject=str(verdict.subject), at=at, told_already=told)
    if not new:
        _count_hit(session, env, alert)
    assert alert.id is not None
    return alert.id


def note_told(session: Session, env: Env, person: Person, told: tuple[int, ...]) -> None:
    """Record the direct copies sent while the database was slow, once the alert was stored after all."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    alert = open_alert(session, user.id) if user is not None and user.id is not None else None
    if alert is None or alert.id is None:
        return
    have = {n.telegram_id for n in sg_delivery.notices_of(session, alert.id)}
    sg_delivery.record_told(session, env, alert, [t for t in told if t not in have])


def _reminder(contacts: tuple[Resource, ...], person: Person, category: Category) -> str:
    urgent = " ".join(f"please {escape(r.contact)}" for r in contacts if r.kind == "urgent")
    name = f"{escape(person.first_name)}, " if person.first_name else ""
    lines = [f"{name}I'm still here, and I've read what you wrote. The people I listed a moment ago are there "
             "whenever you want to talk, and your facilitator knows to check in with you."]
    if urgent and category in (Category.SUICIDAL, Category.SELF_HARM):
        lines.append(f"If you feel you might act on these thoughts, {urgent}.")
    return "\n\n".join(lines)


def may_acknowledge(session: Session, env: Env, person: Person, alert: SafeguardingAlert) -> bool:
    """Say whether this person may acknowledge the alert."""
    if roles.is_admin(env, person) or person.telegram_id == env.safeguarding_lead_id:
        return True
    if person.telegram_id in alert.notified or person.telegram_id in alert.escalated_to:
        return True
    return alert.cohort_id is not None and roles.can_facilitate(session, env, person, alert.cohort_id)


def _handles(session: Session, env: Env, person: Person) -> bool:
    return (roles.is_facilitator(session, env, person) or person.telegram_id == env.safeguarding_lead_id
            or _notified_ever(session, person.telegram_id))


def _notified_ever(session: Session, telegram_id: int) -> bool:
    rows = session.exec(select(SafeguardingAlert.notified, SafeguardingAlert.escalated_to)
                        .where(col(SafeguardingAlert.acknowledged_at).is_(None))).all()
    return any(telegram_id in (n or []) or telegram_id in (e or []) for n, e in rows)


def acknowledge(session: Session, env: Env, person: Person, alert_id: int) -> tuple[str, list[Reply]]:
    """Acknowledge an alert; return what to tell the person and the notes to everyone else who was told."""
    alert = session.get(SafeguardingAlert, alert_id)
    if alert is None:
        return (f"There is no alert #{alert_id} (it may have been erased at the student's request, or "
                "removed after the retention period)."), []
    if not may_acknowledge(session, env, person, alert):
        return NOT_ALLOWED, []
    user = session.get(User, alert.user_id)
    name = escape(user.first_name) if user and user.first_name else "the student"
    if alert.acknowledged_at is not None:
        by = "you" if alert.acknowledged_by == person.telegram_id else f"Telegram id {alert.acknowledged_by}"
        cohort = repo.get_cohort(session=session, cohort_id=alert.cohort_id) if alert.cohort_id else None
        return f"Alert #{alert.id} was already acknowledged by {by} at {local_time(alert.acknowledged_at, cohort)}.", []
    now = env.clock.now()
    alert.acknowledged_at, alert.acknowledged_by = now, person.telegram_id
    session.add(alert)
    sg_delivery.skip_open(session, alert_id)
    repo.audit(session=session, actor=person.actor, action="safeguarding.ack", cohort_id=alert.cohort_id, at=now,
               alert_id=alert.id, minutes=round((now - alert.created_at).total_seconds() / 60))
    who = escape(person.first_name or "a colleague")
    others = [t for t in dict.fromkeys([*alert.notified, *alert.escalated_to]) if t != person.telegram_id]
    note = f"✓ Safeguarding alert #{alert.id} ({name}) was acknowledged by {who}."
    return (f"✓ Thank you — alert #{alert.id} is acknowledged. Please make sure {name} hears from someone today."
            ), [Reply(note, chat_id=t) for t in others]


def ack_button(session: Session, env: Env, person: Person, alert_id: int) -> CallbackOutcome:
    """The Acknowledge button."""
    alert = session.get(SafeguardingAlert, alert_id)
    if alert is None or not may_acknowledge(session, env, person, alert):
        return CallbackOutcome(toast="This button has expired." if alert is None else NOT_ALLOWED[:190])
    text, notes = acknowledge(session, env, person, alert_id)
    user = session.get(User, alert.user_id)
    cohort = repo.get_cohort(session=session, cohort_id=alert.cohort_id) if alert.cohort_id else None
    # the pressed alert no longer asks to be acknowledged: it says who did it, and when
    edited = None if user is None else alert_text(env, alert, user, cohort, escalated=alert.escalated_at is not None,
                                                  viewer=person.telegram_id)
    return CallbackOutcome(toast="Acknowledged", edit_text=edited, replies=[Reply(text), *notes])


def ack_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/ack [id]: acknowledge an alert, or list the open ones this person may acknowledge."""
    if not _handles(session, env, person):
        return [Reply(roles.REFUSAL)]
    arg = args.strip().lstrip("#")
    if arg:
        if not arg.isdigit() or len(arg) > 12:
            return [Reply("Please give the alert's number, like <code>/ack 12</code>. /ack on its own lists "
                          "the open alerts.")]
        text, notes = acknowledge(session, env, person, int(arg))
        return [Reply(text), *notes]
    open_alerts = [a for a in session.exec(
        select(SafeguardingAlert).where(col(SafeguardingAlert.acknowledged_at).is_(None))
        .order_by(col(SafeguardingAlert.id))).all() if may_acknowledge(session, env, person, a)]
    if not open_alerts:
        return [Reply("No safeguarding alerts are waiting for acknowledgement.")]
    out = [Reply(f"{len(open_alerts)} alert(s) waiting for acknowledgement:")]
    for a in open_alerts:
        user = session.get(User, a.user_id)
        cohort = repo.get_cohort(session=session, cohort_id=a.cohort_id) if a.cohort_id else None
        if user is not None:
            out.append(Reply(alert_text(env, a, user, cohort, escalated=a.escalated_at is not None),
                             buttons=ack_buttons(a)))
    return out


@dataclass(frozen=True)
class Escalation:
    alert_id: int
    to: list[int]
    replies: list[Reply]


def escalation_recipients(env: Env) -> list[int]:
    """Who gets escalations: the safeguarding lead; the admins when no lead is named."""
    if env.safeguarding_lead_id:
        return [env.safeguarding_lead_id]
    return sorted(env.admin_ids)


def due_escalations(session: Session, env: Env) -> list[Escalation]:
    """Alerts unacknowledged for longer than ``env.escalate_minutes`` and not yet escalated, with their messages."""
    cutoff = env.clock.now() - timedelta(minutes=env.escalate_minutes)
    due = session.exec(
        select(SafeguardingAlert).where(col(SafeguardingAlert.acknowledged_at).is_(None),
                                        col(SafeguardingAlert.escalated_at).is_(None),
                                        col(SafeguardingAlert.created_at) <= cutoff)
        .order_by(col(SafeguardingAlert.id))
    ).all()
    to = escalation_recipients(env)
    out = []
    for alert in due:
        assert alert.id is not None
        user = session.get(User, alert.user_id)
        cohort = repo.get_cohort(session=session, cohort_id=alert.cohort_id) if alert.cohort_id else None
        if user is None:
            continue
        text = alert_text(env, alert, user, cohort, escalated=True)
        out.append(Escalation(alert.id, to, [Reply(text, buttons=ack_buttons(alert), chat_id=t) for t in to]))
    return out


def mark_escalated(session: Session, env: Env, alert_id: int, to: list[int]) -> None:
    """Record that an alert's escalation went out (to these Telegram ids)."""
    alert = session.get(SafeguardingAlert, alert_id)
    if alert is None or alert.escalated_at is not None:
        return
    alert.escalated_at, alert.escalated_to = env.clock.now(), list(to)
    session.add(alert)
    repo.audit(session=session, actor="safeguarding", action="safeguarding.escalate", cohort_id=alert.cohort_id,
               at=env.clock.now(), alert_id=alert.id, to=len(to))
    if not to:
        log.error("safeguarding alert %s is unacknowledged and there is no lead or admin to escalate to",
                  alert_id, extra={"event": "escalation_unrouted", "alert_id": alert_id})


def alert_rows(session: Session, *, open_only: bool = False) -> list[dict[str, object]]:
    """Every alert as a plain row (for `balint safeguarding alerts`), with who received it; no names, no text."""
    stmt = select(SafeguardingAlert).order_by(col(SafeguardingAlert.id))
    if open_only:
        stmt = stmt.where(col(SafeguardingAlert.acknowledged_at).is_(None))
    alerts = session.exec(stmt).all()
    copies = sg_delivery.receipts(session, [a.id for a in alerts if a.id is not None])
    return [
        {"id": a.id, "user_id": a.user_id, "cohort_id": a.cohort_id, "category": a.category, "rule": a.rule,
         "subject": a.subject, "created_at": a.created_at.isoformat(), "hits": a.hits,
         "notified": len(a.notified), "received_by": list(a.notified),
         "deliveries": copies.get(a.id or 0, []),
         "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
         "acknowledged_by": a.acknowledged_by,
         "escalated_at": a.escalated_at.isoformat() if a.escalated_at else None,
         "escalated_to": list(a.escalated_to)}
        for a in alerts
    ]
