"""What the facilitator tests share: Ruth (a facilitator once she opens the link) and Sam, a student's five replies,
the audit trail of one action, a cohort read afresh."""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Person
from storage.db import Database
from storage.models import AuditEvent, Cohort

#: a student's five answers to the week's questions
REPLIES = [
    "A young man admitted after an overdose who joked with everyone but me.",
    "Shut out, and then guilty for minding.",
    "Perhaps ashamed that a student his own age was seeing him like this.",
    "We circled each other; I stopped pushing and he asked about my course.",
    "Being the same age as a patient is something to notice, not hide.",
]
RUTH = Person(telegram_id=9001, first_name="Ruth", username="dr_ruth")
SAM = Person(telegram_id=9002, first_name="Sam")


def audit(db: Database, action: str) -> list[AuditEvent]:
    """The audit events of ``action``."""
    return db.call(lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == action)).all()))


def get_cohort(db: Database, cohort_id: int) -> Cohort:
    """The cohort as the database has it now."""
    return db.call(lambda s: s.get(Cohort, cohort_id))
