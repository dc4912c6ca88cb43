"""/announce: a facilitator's message to every consented student of a cohort, within Telegram's limits.

The facilitator sees the message as students will, with the number of recipients, and presses Send. Then one
row per recipient is created (``announcement_deliveries``) and the outbox (``bot.core.delivery.outbox``) sends them at
the dispatcher's pace, honouring 429s; a 403 marks the student unreachable. Recipients are the students taking
part (consented, not withdrawn) and reachable — paused ones included, since a pause stops prompts and
reminders, not news from the facilitator. Nothing automatic goes out in the cohort's quiet hours.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from bot.core import actions, roles
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.delivery.delivery import claim_rows, settle_blocked, settle_failed, settle_retry
from bot.core.delivery.outbox import Item, OutboxKind
from bot.core.facilitator.facilitator import my_cohorts, pick_cohort, refuse
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.scheduling.schedule import spec_of, zone
from bot.core.scheduling.scheduling import quiet_until
from bot.core.student.enrolment import find_cohort
from bot.core.templates import escape, render
from storage import repo
from storage.facilitator_models import Announcement, AnnouncementDelivery, AnnouncementStatus, OutboxState
from storage.models import Cohort, Enrolment, User

MAX_LENGTH = 3500
USAGE = ("Write the message after the command: <code>/announce Thursday's group is in room 4.</code> "
         "With several cohorts, start with the cohort's id: <code>/announce 3 Thursday's group…</code>")


def recipients(session: Session, cohort_id: int) -> list[tuple[Enrolment, User]]:
    """Return the students an announcement goes to: taking part, not withdrawn, reachable."""
    rows = session.exec(
        select(Enrolment, User).join(User, col(User.id) == col(Enrolment.user_id))
        .where(Enrolment.cohort_id == cohort_id, col(Enrolment.participate).is_(True),
               col(Enrolment.withdrawn_at).is_(None), col(User.unreachable_at).is_(None))
        .order_by(col(Enrolment.id))).all()
    return [(e, u) for e, u in rows]


def render_announcement(a: Announcement, cohort: Cohort) -> str:
    """The announcement as students see it (the facilitator's words escaped)."""
    return render("announcement.html.j2", author=a.author_name or "your facilitator", cohort_name=cohort.name,
                  text=a.text)


def _split(session: Session, args: str) -> tuple[str, str]:
    """Separate a leading cohort id from the message (the preview shows which cohort, before anything is sent)."""
    head, _, rest = args.strip().partition(" ")
    if head.isdigit() and rest.strip() and find_cohort(session, head) is not None:
        return head, rest.strip()
    return "", args.strip()


def _recent(session: Session, cohorts: list[Cohort]) -> list[str]:
    ids = [c.id for c in cohorts]
    recent = session.exec(select(Announcement).where(col(Announcement.cohort_id).in_(ids),
                                                     Announcement.status == AnnouncementStatus.SENDING)
                          .order_by(col(Announcement.id).desc()).limit(3)).all()
    lines = []
    for a in recent:
        sent = session.exec(select(func.count()).select_from(AnnouncementDelivery).where(
            AnnouncementDelivery.announcement_id == a.id, AnnouncementDelivery.state == OutboxState.SENT)).one()
        when = a.confirmed_at.strftime("%d %b %H:%M UTC") if a.confirmed_at else ""
        lines.append(f"• {when}: sent to {sent} of {a.recipients}")
    return lines


def announce(session: Session, env: Env, person: Person, args: str) -> list[Reply]:
    """/announce [cohort id] text: show the message as students will see it, with Send and Cancel."""
    if not roles.is_facilitator(session, env, person):
        return refuse(session, env, person, "announce")
    ref, text = _split(session, args)
    if not text:
        recent = _recent(session, my_cohorts(session, env, person))
        return [Reply(USAGE + ("\n\nRecent announcements:\n" + "\n".join(recent) if recent else ""))]
    if len(text) > MAX_LENGTH:
        return [Reply(f"That's {len(text)} characters; please keep an announcement under {MAX_LENGTH}.")]
    found = pick_cohort(session, env, person, ref, "announce", example="")
    if not isinstance(found, Cohort):
        return found
    assert found.id is not None
    n = len(recipients(session, found.id))
    if n == 0:
        return [Reply(f"No one in <b>{escape(found.name)}</b> is taking part yet, so there's no one to tell.")]
    a = Announcement(cohort_id=found.id, author_telegram_id=person.telegram_id, author_name=person.first_name,
                     text=text, created_at=env.clock.now())
    session.add(a)
    session.flush()
    assert a.id is not None
    buttons = ((Button(f"Send to {n} student{'s' if n != 1 else ''}", actions.encode(Action.ANNOUNCE, a.id, 1)),
                Button("Cancel", actions.encode(Action.ANNOUNCE, a.id, 0))),)
    return [Reply(f"This goes to {n} student{'s' if n != 1 else ''} of <b>{escape(found.name)}</b>, "
                  "looking like this:"),
            Reply(render_announcement(a, found), buttons=buttons)]


def confirm(session: Session, env: Env, person: Person, announcement_id: int, value: int) -> CallbackOutcome:
    """The Send / Cancel buttons under an announcement's preview (its author only)."""
    a = session.get(Announcement, announcement_id)
    if a is None or a.author_telegram_id != person.telegram_id \
            or not roles.can_facilitate(session, env, person, a.cohort_id):
        return CallbackOutcome(toast="This button isn't for you, or has expired.")
    if a.status != AnnouncementStatus.DRAFT:
        return CallbackOutcome(toast="Already done.")
    cohort = session.get(Cohort, a.cohort_id)
    assert cohort is not None
    now = env.clock.now()
    if value != 1:
        a.status = AnnouncementStatus.CANCELLED
        session.add(a)
        return CallbackOutcome(toast="Cancelled", replies=[Reply("Cancelled — nothing was sent.")])
    until = quiet_until(spec_of(cohort), now)
    people = recipients(session, a.cohort_id)
    for enrolment, user in people:
        assert enrolment.id is not None and user.id is not None and a.id is not None
        session.add(AnnouncementDelivery(announcement_id=a.id, user_id=user.id, enrolment_id=enrolment.id,
                                         next_attempt_at=until or now))
    a.status, a.recipients, a.confirmed_at = AnnouncementStatus.SENDING, len(people), now
    session.add(a)
    repo.audit(session=session, actor=person.actor, action="facilitator.announce", cohort_id=a.cohort_id, at=now,
               announcement_id=a.id, recipients=len(people))
    later = f" Quiet hours are on, so it goes out at {until.astimezone(zone(cohort.timezone)):%H:%M}." if until else ""
    return CallbackOutcome(toast="Sending", replies=[Reply(
        f"Sending to {len(people)} student{'s' if len(people) != 1 else ''} of <b>{escape(cohort.name)}</b>, at "
        f"Telegram's pace.{later} /announce shows how far it has got.")])


# ---------------------------------------------------------------- the outbox kind


def claim(session: Session, env: Env, worker: str, limit: int = 200) -> list[int]:
    """Claim due announcement rows; another worker never gets the same rows."""
    now = env.clock.now()
    stmt = (
        select(AnnouncementDelivery)
        .where(col(AnnouncementDelivery.state) == OutboxState.PENDING,
               col(AnnouncementDelivery.next_attempt_at) <= now,
               or_(col(AnnouncementDelivery.claimed_until).is_(None), col(AnnouncementDelivery.claimed_until) < now))
        .order_by(col(AnnouncementDelivery.next_attempt_at), col(AnnouncementDelivery.id))
        .limit(limit)
    )
    return claim_rows(session, stmt, worker, now, table=AnnouncementDelivery)


def prepare(session: Session, env: Env, row_id: int) -> Item | None:
    """Build a claimed announcement row; skip it if the student has since left or stopped taking part."""
    d = session.get(AnnouncementDelivery, row_id)
    if d is None or d.state != OutboxState.PENDING:
        return None
    a = session.get(Announcement, d.announcement_id)
    enrolment = session.get(Enrolment, d.enrolment_id)
    user = session.get(User, d.user_id)
    cohort = session.get(Cohort, a.cohort_id) if a else None
    if a is None or cohort is None or enrolment is None or user is None or not enrolment.participate \
            or enrolment.withdrawn_at is not None or user.unreachable_at is not None:
        d.state, d.claimed_until, d.last_error = OutboxState.SKIPPED, None, "student no longer a recipient"
        session.add(d)
        return None
    return Item(row_id=row_id, chat_id=user.telegram_id, replies=[Reply(render_announcement(a, cohort))])


def mark_sent(session: Session, env: Env, row_id: int, message_id: int | None) -> None:
    """Record an announcement row as sent."""
    d = session.get(AnnouncementDelivery, row_id)
    if d is not None:
        d.state, d.sent_at, d.claimed_until, d.attempts = OutboxState.SENT, env.clock.now(), None, d.attempts + 1
        session.add(d)


def mark_retry(session: Session, env: Env, row_id: int, delay: float, error: str) -> None:
    """Put a row back for a later attempt (or fail it after too many)."""
    if (d := session.get(AnnouncementDelivery, row_id)) is not None:
        settle_retry(session, env, d, delay, error, failed=OutboxState.FAILED)


def mark_blocked(session: Session, env: Env, row_id: int) -> None:
    """The student blocked the bot: fail the row and mark them unreachable."""
    if (d := session.get(AnnouncementDelivery, row_id)) is not None:
        settle_blocked(session, env, d, failed=OutboxState.FAILED)


def mark_failed(session: Session, env: Env, row_id: int, error: str) -> None:
    """Fail a row for good."""
    if (d := session.get(AnnouncementDelivery, row_id)) is not None:
        settle_failed(session, env, d, error, failed=OutboxState.FAILED)


KIND = OutboxKind(name="announcements", claim=claim, prepare=prepare, sent=mark_sent, retry=mark_retry,
                  blocked=mark_blocked, failed=mark_failed)
