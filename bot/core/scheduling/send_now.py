"""The one send-now: a week's prompt queued to go out at once, audited, and counted from the database.

A facilitator's ``/sendnow`` (:func:`bot.core.facilitator.facilitator.send_now`), the sandbox's, and
``balint prompt send-now`` (:mod:`bot.telegram.broadcast`) all queue through :func:`queue`, so every path leaves the
same audit row. How it went is counted by :func:`tally` from the delivery rows, whichever process did the sending
(the bot's dispatcher, the command's own, or the sandbox). A cohort that is not open (paused or closed) is refused
by :func:`check_open`, before the week is looked at, with the same words on every path and no audit row: nothing
was asked of it that could go out.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.bidi import without_bidi_controls
from bot.core.context import Env
from bot.core.scheduling.cohorts import find_cohort, resolve_week
from bot.core.scheduling.scheduling import Queued, WeekTally, queue_week_now, week_tally
from storage import repo
from storage.models import Cohort, CohortStatus

# the name audit logs have used since the chat command came first; kept, so the history reads as one
AUDIT_ACTION = "facilitator.sendnow"


class Refused(Exception):
    """A send-now to a cohort that is not open: nothing is queued and nothing audited.

    ``str()`` is the sentence as plain text (the command line); :meth:`html` the same sentence for the chat."""

    def __init__(self, cohort: Cohort) -> None:
        self.name, self.status, self.cohort_id = cohort.name, str(cohort.status), cohort.id
        super().__init__(self._say(without_bidi_controls(self.name)))

    def _say(self, name: str) -> str:
        return f"{name} is {self.status}, so nothing can go out. /resume {self.cohort_id} opens it again."

    def html(self) -> str:
        from bot.core.templates import escape  # Jinja2's module: only the chat, which has it loaded, asks for this

        return self._say(f"<b>{escape(self.name)}</b>")


def check_open(cohort: Cohort) -> None:
    """Raise :class:`Refused` unless the cohort is open (a paused or closed one sends nothing)."""
    if cohort.status != CohortStatus.OPEN:
        raise Refused(cohort)


def queue(session: Session, env: Env, cohort: Cohort, week: int, *, actor: str) -> Queued:
    """Queue week ``week`` of ``cohort`` to go out now, and record who asked in the audit log (:class:`Refused`
    when the cohort is not open)."""
    check_open(cohort)
    queued = queue_week_now(session, env, cohort, week)
    repo.audit(session=session, actor=actor, action=AUDIT_ACTION, cohort_id=cohort.id, at=env.clock.now(),
               week=week)
    return queued


def queue_by_ref(session: Session, env: Env, ref: str, week: int | None, *, actor: str) -> Queued:
    """Find the cohort (id or name) and week (default: the current one), then :func:`queue` it.

    A cohort that is not open is refused before the week is checked, as a facilitator's /sendnow does."""
    found = find_cohort(session, ref)
    if found is not None:
        check_open(found)
    cohort, wk = resolve_week(session, env, ref, week)
    return queue(session, env, cohort, wk, actor=actor)


def tally(session: Session, queued: Queued) -> WeekTally:
    """Count where the queued week's deliveries stand now, from the database."""
    return week_tally(session, queued.cohort_id, queued.week)
