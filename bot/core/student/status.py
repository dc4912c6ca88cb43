"""/status, /pause, /resume: where a student stands and what comes next (/help: ``bot.chat.commands``)."""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.scheduling import progress
from bot.core.scheduling.schedule import describe_local, finished, spec_of
from bot.core.templates import escape
from storage import repo
from storage.models import CohortStatus, Enrolment


def next_steps(session: Session, env: Env, enrolment: Enrolment) -> str:
    """Say what happens next for this student."""
    cohort = repo.get_cohort(session=session, cohort_id=enrolment.cohort_id)
    assert cohort is not None
    spec = spec_of(cohort)
    now = env.clock.now()
    if not enrolment.participate:
        return "You're not taking part at the moment, so no prompts will come. /consent changes that."
    if enrolment.paused:
        return "Your prompts are paused. /resume starts them again."
    if cohort.status == CohortStatus.PAUSED:
        return "Your facilitator has paused this cohort for now; prompts will resume when they restart it."
    if finished(spec, now) or cohort.status == CohortStatus.CLOSED:
        return "The placement's prompts have all gone out. Thank you for taking part."
    assert enrolment.id is not None
    sent = progress.sent_weeks(session, cohort_id=cohort.id or 0, enrolment_id=enrolment.id)
    week = progress.week_now(spec, now, sent)  # a week sent early is this week
    upcoming = progress.next_prompt(spec, now, sent)
    parts = []
    if week is not None:
        this_week = repo.get_reflection_session(session=session, enrolment_id=enrolment.id, week=week)
        if this_week is None:
            parts.append(f"This is week {week} of {cohort.weeks}. /reflect opens this week's reflection now.")
        elif this_week.status == "open":
            parts.append(f"This is week {week} of {cohort.weeks}, and its reflection is open: just reply.")
        else:
            parts.append(f"This is week {week} of {cohort.weeks}; you've reflected on it already.")
    if upcoming is not None:
        parts.append(f"Week {upcoming[0]}'s prompt comes {describe_local(upcoming[1], cohort.timezone)}.")
    elif week == cohort.weeks:
        parts.append("That was the placement's last prompt.")
    return " ".join(parts)


def status(session: Session, env: Env, person: Person) -> list[Reply]:
    """/status."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    if user is None or user.id is None or enrolment is None or enrolment.id is None:
        return [Reply("You're not in a cohort yet. Open your invite link or type your code to join.")]
    cohort = repo.get_cohort(session=session, cohort_id=enrolment.cohort_id)
    assert cohort is not None
    closed = repo.count_closed_sessions(session=session, enrolment_id=enrolment.id)
    replies = repo.count_entries(session=session, user_id=user.id)
    open_rs = repo.open_session(session=session, enrolment_id=enrolment.id)
    lines = [
        f"<b>{escape(cohort.name)}</b>",
        f"Reflections completed: {closed} (replies kept: {replies})",
        "Research use: " + {True: "yes", False: "no", None: "not answered"}[enrolment.research],
    ]
    if open_rs is not None:
        lines.append(f"Week {open_rs.week}'s reflection is open — just reply to carry on.")
    lines += ["", next_steps(session, env, enrolment)]
    return [Reply("\n".join(lines))]


def set_paused(session: Session, env: Env, person: Person, paused: bool) -> list[Reply]:
    """/pause or /resume."""
    user = repo.get_user_by_telegram_id(session=session, telegram_id=person.telegram_id)
    enrolment = repo.active_enrolment(session=session, user_id=user.id) if user and user.id else None
    if enrolment is None:
        return [Reply("You're not in a cohort yet, so there's nothing to pause.")]
    if enrolment.paused == paused:
        return [Reply("Your prompts are already paused. /resume restarts them." if paused
                      else "Your prompts are already on.")]
    enrolment.paused = paused
    session.add(enrolment)
    repo.audit(session=session, actor=person.actor, action="student.pause" if paused else "student.resume",
               cohort_id=enrolment.cohort_id, at=env.clock.now())
    if paused:
        return [Reply("Paused. I won't send prompts or reminders until you send /resume. "
                      "Take the time you need.")]
    return [Reply("Welcome back — your prompts are on again.\n\n" + next_steps(session, env, enrolment))]
