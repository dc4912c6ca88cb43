"""The one send-now: a week's prompt queued to go out at once, audited, and counted from the database.

This module is all of it: refusing a cohort that is not open, queueing the week's delivery rows due now
(:func:`queue_week_now`), the audit row, and the count (:func:`week_tally`). The sending itself is the
dispatcher's (``bot.core.delivery.dispatch``), as for every prompt.

A facilitator's ``/sendnow`` (:func:`bot.core.facilitator.facilitator.send_now`), the sandbox's, and
``balint prompt send-now`` (:mod:`bot.telegram.broadcast`) all queue through :func:`queue`, so every path leaves the
same audit row. How it went is counted by :func:`tally` from the delivery rows, whichever process did the sending
(the bot's dispatcher, the command's own, or the sandbox). A cohort that is not open (paused or closed) is refused
by :func:`check_open`, before the week is looked at, with the same words on every path and no audit row: nothing
was asked of it that could go out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.core.bidi import without_bidi_controls
from bot.core.context import Env
from bot.core.delivery import delivery
from bot.core.scheduling.cohorts import find_cohort, resolve_week
from storage import repo
from storage.models import Cohort, CohortStatus, Delivery, DeliveryState, User

# the name audit logs have used since the chat command came first; kept, so the history reads as one
AUDIT_ACTION = "facilitator.sendnow"


@dataclass(frozen=True)
class Queued:
    cohort_id: int
    name: str
    week: int
    already: int  # students who had this week's prompt already


@dataclass(frozen=True)
class WeekTally:
    sent: int  # have the week's prompt (sent; answered or expired since)
    unreachable: int  # failed: the student blocked the bot
    failed: int  # failed for another reason
    pending: int  # still to go (waiting to retry after a 429 or a network error)


class Refused(Exception):
    """A send-now to a cohort that is not open: nothing is queued and nothing audited.

    ``str()`` is the sentence as plain text for the command line, naming its own command to reopen a paused
    cohort; :meth:`html` the same sentence for the chat, naming ``/resume``. A closed cohort is not reopened."""

    def __init__(self, cohort: Cohort) -> None:
        self.name, self.status, self.cohort_id = cohort.name, str(cohort.status), cohort.id
        super().__init__(self._say(without_bidi_controls(self.name), f"balint cohort resume {self.cohort_id}"))

    def _say(self, name: str, reopen: str) -> str:
        said = f"{name} is {self.status}, so nothing can go out."
        return f"{said} {reopen} opens it again." if self.status == str(CohortStatus.PAUSED) else said

    def html(self) -> str:
        from bot.core.templates import escape  # Jinja2's module: only the chat, which has it loaded, asks for this

        return self._say(f"<b>{escape(self.name)}</b>", f"/resume {self.cohort_id}")


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


def queue_week_now(session: Session, env: Env, cohort: Cohort, week: int) -> Queued:
    """Queue a week's prompt to go out now to every eligible student who has not had it (send-now)."""
    assert cohort.id is not None
    now = env.clock.now()
    delivery.racing(session, lambda: delivery.ensure_deliveries(session, env, cohort, week, when=now), 0)
    # a send-now is explicit: bring this week's pending rows forward to now, quiet hours or not
    for d in session.exec(select(Delivery).where(Delivery.cohort_id == cohort.id, Delivery.week == week,
                                                 Delivery.state == DeliveryState.PENDING)).all():
        d.next_attempt_at = min(d.next_attempt_at, now)
        d.due_at = min(d.due_at, now)
        session.add(d)
    already = len(session.exec(select(Delivery.id).where(
        Delivery.cohort_id == cohort.id, Delivery.week == week,
        col(Delivery.sent_at).is_not(None))).all())
    return Queued(cohort_id=cohort.id, name=cohort.name, week=week, already=already)


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


def week_tally(session: Session, cohort_id: int, week: int) -> WeekTally:
    """Count where a week's deliveries stand, whichever sender sent them."""
    rows = session.exec(select(Delivery.state, Delivery.sent_at, User.unreachable_at)
                        .join(User, col(User.id) == col(Delivery.user_id))
                        .where(Delivery.cohort_id == cohort_id, Delivery.week == week)).all()
    failed = [unreachable for state, _, unreachable in rows if state == DeliveryState.FAILED]
    return WeekTally(sent=sum(1 for _, sent_at, _ in rows if sent_at is not None),
                     unreachable=sum(1 for u in failed if u is not None),
                     failed=sum(1 for u in failed if u is None),
                     pending=sum(1 for state, _, _ in rows if state == DeliveryState.PENDING))
