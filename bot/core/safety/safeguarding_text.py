"""How an alert reads: for the facilitators, the lead and the admins. Who, when, what kind; never what was written."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.replies import Button
from bot.core.safety.safeguarding_rules import Category, Verdict
from bot.core.templates import escape
from storage.models import Cohort, User
from storage.safety_models import SafeguardingAlert

CATEGORY_LABELS = {
    Category.SUICIDAL: "thoughts of suicide",
    Category.SELF_HARM: "self-harm",
    Category.UNSAFE: "feeling unsafe",
    Category.HARASSMENT: "harassment or bullying",
    Category.PATIENT_SAFETY: "a patient-safety concern",
    Category.WARNING_SIGN: "warning signs",
}
CHECK_IN_LABELS = {
    "check_in.not_safe": "warning signs, and they answered “I'm not safe” when asked",
    "check_in.unsure": "warning signs, and they answered “I'm not sure” when asked whether they are safe",
}

def label(category: str, rule: str = "") -> str:
    """The kind of concern in words (a check-in's answer included)."""
    if rule in CHECK_IN_LABELS:
        return CHECK_IN_LABELS[rule]
    try:
        return CATEGORY_LABELS[Category(category)]
    except ValueError:
        return category


def _student_line(user: User) -> str:
    name = escape(user.first_name or "A student")
    handle = f" (@{escape(user.username)})" if user.username else ""
    return (f'<a href="tg://user?id={user.telegram_id}">{name}</a>{handle}, Telegram id '
            f"<code>{user.telegram_id}</code>")


def local_time(when: datetime, cohort: Cohort | None) -> str:
    """A time as the cohort reads it (UTC without a cohort)."""
    zone = ZoneInfo(cohort.timezone) if cohort else ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def alert_text(env: Env, alert: SafeguardingAlert, user: User, cohort: Cohort | None, *,
               escalated: bool = False, fallback: bool = False, role: str = "facilitator",
               viewer: int | None = None) -> str:
    """The alert as a facilitator (or the lead) reads it: who, when, what kind; never what was written."""
    as_whom = "the safeguarding lead" if role == "lead" else "an admin"
    where = f"in <b>{escape(cohort.name)}</b>" if cohort else f"(not in any cohort: you get this as {as_whom})"
    head = (f"⚠️ <b>Safeguarding alert #{alert.id} — escalated to you</b>" if escalated
            else f"⚠️ <b>Safeguarding alert #{alert.id} — no facilitator could be reached</b>"
            if fallback and cohort else f"⚠️ <b>Safeguarding alert #{alert.id}</b>")
    lines = [
        head,
        f"{_student_line(user)}, a student {where}, wrote something at {local_time(alert.created_at, cohort)} that "
        f"suggests they may be at risk: <b>{label(alert.category, alert.rule)}</b>.",
        "They have been sent support contacts. Please get in touch with them today: a short, kind message "
        "asking how they are is enough. What they wrote is not shared, with you or anyone.",
    ]
    if fallback and cohort:
        lines.append(f"It comes to you as {as_whom} because none of the cohort's facilitators could be sent it "
                     "(they may have blocked the bot, or never pressed Start).")
    if alert.acknowledged_at is not None:
        by = "you" if viewer == alert.acknowledged_by else f"Telegram id {alert.acknowledged_by}"
        lines.append(f"✓ Acknowledged by {by} at {local_time(alert.acknowledged_at, cohort)}.")
    elif escalated:
        lines.append(f"No one acknowledged it within {env.escalate_minutes} minutes, so it has been escalated to "
                     f"you. Tap Acknowledge (or send /ack {alert.id}) once someone has it in hand.")
    else:
        lines.append(f"Tap Acknowledge (or send /ack {alert.id}) once you have seen this. If no one does within "
                     f"{env.escalate_minutes} minutes, it goes to the safeguarding lead.")
    return "\n\n".join(lines)


def ack_buttons(alert: SafeguardingAlert) -> tuple[tuple[Button, ...], ...]:
    """The Acknowledge button of an alert."""
    assert alert.id is not None
    return ((Button("Acknowledge", actions.encode(Action.ACK_ALERT, alert.id)),),)


def outage_text(env: Env, person: Person, verdict: Verdict, at: datetime, error: str) -> str:
    """The alert as the admins get it when it could not be stored: who and what kind, never what was written."""
    name = escape(person.first_name or "A student")
    handle = f" (@{escape(person.username)})" if person.username else ""
    return "\n\n".join([
        "⚠️ <b>Safeguarding alert — not stored yet</b>",
        f'<a href="tg://user?id={person.telegram_id}">{name}</a>{handle}, Telegram id '
        f"<code>{person.telegram_id}</code>, wrote something at {local_time(at, None)} that suggests they may be at "
        f"risk: <b>{label(str(verdict.category), verdict.rule or '')}</b>. They have been sent support contacts.",
        f"The alert could not be stored ({escape(error[:200])}), so their facilitators have not been told yet. "
        "I keep trying, and they will be as soon as it is stored. Until then, please make sure someone gets in "
        "touch with the student today. What they wrote is not shared, with you or anyone.",
    ])
