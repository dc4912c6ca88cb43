"""The one send-now: a week's prompt queued to go out at once, audited, and counted from the database.

A facilitator's ``/sendnow`` (:func:`bot.core.facilitator.facilitator.send_now`), the sandbox's, and
``balint prompt send-now`` (:mod:`bot.telegram.broadcast`) all queue through :func:`queue`, so every path leaves the
same audit row. How it went is counted by :func:`tally` from the delivery rows, whichever process did the sending
(the bot's dispatcher, the command's own, or the sandbox).
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env
from bot.core.scheduling.cohorts import resolve_week
from bot.core.scheduling.scheduling import Queued, WeekTally, queue_week_now, week_tally
from storage import repo
from storage.models import Cohort

# the name audit logs have used since the chat command came first; kept, so the history reads as one
AUDIT_ACTION = "facilitator.sendnow"


def queue(session: Session, env: Env, cohort: Cohort, week: int, *, actor: str) -> Queued:
    """Queue week ``week`` of ``cohort`` to go out now, and record who asked in the audit log."""
    queued = queue_week_now(session, env, cohort, week)
    repo.audit(session=session, actor=actor, action=AUDIT_ACTION, cohort_id=cohort.id, at=env.clock.now(),
               week=week)
    return queued


def queue_by_ref(session: Session, env: Env, ref: str, week: int | None, *, actor: str) -> Queued:
    """Find the cohort (id or name) and week (default: the current one), then :func:`queue` it."""
    cohort, wk = resolve_week(session, env, ref, week)
    return queue(session, env, cohort, wk, actor=actor)


def tally(session: Session, queued: Queued) -> WeekTally:
    """Count where the queued week's deliveries stand now, from the database."""
    return week_tally(session, queued.cohort_id, queued.week)
