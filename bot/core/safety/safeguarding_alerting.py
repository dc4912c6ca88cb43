"""Raising a safeguarding alert and the student's support reply: what the screen and the check-in both do.

``safeguarding`` (the screen) and ``safeguarding_checkin`` (a "not safe" answer) both raise alerts through
``raise_alert``; here, rather than in either of them, so neither imports the other back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from sqlmodel import Session, col, select

from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.safety import safeguarding_delivery as sg_delivery
from bot.core.safety.safeguarding_rules import Category, Resource, load_resources, render_support_reply
from storage import repo
from storage.models import User
from storage.safety_models import SafeguardingAlert

log = logging.getLogger("bot.core.safety.safeguarding")  # its old name: bot/sandbox.py quiets it by name


@lru_cache(maxsize=8)
def resources(institution: str | None) -> tuple[Resource, ...]:
    """The support contacts for an institution (prompts/safeguarding/resources.toml), read once.

    An unknown institution falls back to the UK defaults (and says so in the log): a student in distress gets
    contacts even when the configuration is wrong. ``bot.telegram.safety_jobs`` refuses to start with one.
    """
    try:
        return tuple(load_resources(institution=institution))
    except KeyError:
        log.error("SAFEGUARDING_INSTITUTION=%s is not in resources.toml; using the defaults", institution,
                  extra={"event": "resources_fallback"})
        return tuple(load_resources())


def open_alert(session: Session, user_id: int) -> SafeguardingAlert | None:
    """The student's alert nobody has acknowledged yet, if any."""
    return session.exec(
        select(SafeguardingAlert)
        .where(SafeguardingAlert.user_id == user_id, col(SafeguardingAlert.acknowledged_at).is_(None))
        .order_by(col(SafeguardingAlert.id).desc())
    ).first()


def support_for(env: Env, person: Person, category: str) -> Reply:
    """The support reply for the student's own risk, as after an explicit message (no database needed)."""
    try:
        kind: Category | None = Category(category)
    except ValueError:
        kind = None
    return Reply(render_support_reply(resources(env.safeguarding_institution), student_name=person.first_name or None,
                                      variant="self", category=kind))


def raise_alert(session: Session, env: Env, user: User, *, category: str, rule: str, subject: str,
                at: datetime | None = None, told_already: tuple[int, ...] = ()) -> tuple[SafeguardingAlert, bool]:
    """Raise an alert about a student (or return their open one, and False); its copies go to the outbox."""
    assert user.id is not None
    existing = open_alert(session, user.id)
    if existing is not None:
        return existing, False
    now = at or env.clock.now()
    enrolment = repo.active_enrolment(session=session, user_id=user.id)
    cohort = repo.get_cohort(session=session, cohort_id=enrolment.cohort_id) if enrolment else None
    alert = SafeguardingAlert(user_id=user.id, cohort_id=cohort.id if cohort else None, category=category,
                              rule=rule, subject=subject, created_at=now, last_hit_at=now, notified=[])
    session.add(alert)
    session.flush()
    notices = sg_delivery.plan(session, env, alert, told_already=told_already)
    repo.audit(session=session, actor="safeguarding", action="safeguarding.alert",
               cohort_id=alert.cohort_id, at=now, alert_id=alert.id, category=alert.category,
               rule=alert.rule, to=len(notices) + len(told_already))
    return alert, True
