"""A gentle note, at most once a week, when a student writes what looks like a patient's name.

The participant information asks students to leave names out. The redactor (``bot.core.privacy.redaction``) already
finds them, and removes them before anything reaches research; this only tells the student so, kindly, once per
week's reflection. What they wrote is kept as it is. The words are in ``prompts/name_nudge.html.j2``: edit them
there, or empty the file to turn the note off. Sending it is recorded in the audit log (no text, no name).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.core.context import Env, Person
from bot.core.privacy.redaction import default_redactor
from bot.core.templates import render
from storage import repo
from storage.models import AuditEvent, ReflectionSession

ACTION = "student.name_nudge"
TEMPLATE = "name_nudge.html.j2"


def names_in(text: str) -> list[str]:
    """Return the stretches of ``text`` the redactor takes for names."""
    return [s.text for s in default_redactor().find(text) if s.type == "NAME"]


def nudge(session: Session, env: Env, person: Person, rs: ReflectionSession, text: str) -> str | None:
    """Return the note for a reply that names someone, unless this week's reflection had one already."""
    found = names_in(text)
    if not found:
        return None
    already = session.exec(select(AuditEvent.id).where(
        AuditEvent.action == ACTION, AuditEvent.actor == person.actor, AuditEvent.cohort_id == rs.cohort_id,
        col(AuditEvent.at) >= rs.started_at).limit(1)).first()
    if already is not None:
        return None
    note = render(TEMPLATE, found=found[0], first_name=person.first_name or "there")
    if not note:
        return None  # the template was emptied: the nudge is off
    repo.audit(session=session, actor=person.actor, action=ACTION, cohort_id=rs.cohort_id, at=env.clock.now(),
               week=rs.week)
    return note
