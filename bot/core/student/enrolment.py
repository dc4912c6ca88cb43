"""Cohorts and joining them: invite codes, the deep link, and what a student is told on arrival."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, time

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.scheduling.cohorts import find_cohort as find_cohort  # here too: callers found it here first
from bot.core.scheduling.schedule import ScheduleError, zone
from bot.core.student import consent
from bot.core.templates import escape
from storage import repo
from storage.models import Cohort, CohortStatus, Enrolment, Study

# Unambiguous characters: no 0/O, 1/I/L, so a code read aloud or typed from a slide survives.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
FACILITATOR_PREFIX = "f-"
RESEARCHER_PREFIX = "r-"
_CODE_LIKE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{3,20}$")


def new_code(length: int = CODE_LENGTH) -> str:
    """Return a random invite code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """Make a typed or linked code comparable: upper case, no spaces or dashes."""
    return re.sub(r"[\s_-]", "", text).upper()


def looks_like_code(text: str) -> bool:
    """Say whether a typed message could be an invite code (rather than a sentence)."""
    return bool(_CODE_LIKE.match(text.strip())) and " " not in text.strip().strip("-")


@dataclass(frozen=True)
class CohortIn:
    name: str
    start_date: date
    weeks: int = 6
    weekday: int = 0
    send_time: time = time(9, 0)
    timezone: str = "Europe/London"
    study: str | None = None


def create_cohort(session: Session, data: CohortIn, *, actor: str = "cli") -> Cohort:
    """Create a cohort with fresh student and facilitator codes; refuse a bad or duplicate value."""
    name = data.name.strip()
    if not name:
        raise ScheduleError("the cohort needs a name")
    if not 1 <= data.weeks <= 52:
        raise ScheduleError("weeks must be between 1 and 52")
    zone(data.timezone)
    if repo.get_cohort_by_name(session=session, name=name):
        raise ScheduleError(f"a cohort called {name!r} exists already")
    study_id = None
    if data.study:
        study = repo.get_study_by_name(session=session, name=data.study)
        if study is None:
            study = Study(name=data.study, researcher_code=new_code(10))
            session.add(study)
            session.flush()
        study_id = study.id
    cohort = repo.create_cohort(
        session=session,
        cohort=Cohort(
            name=name, invite_code=new_code(), facilitator_code=new_code(10), study_id=study_id,
            start_date=data.start_date, weeks=data.weeks, weekday=data.weekday, send_time=data.send_time,
            timezone=data.timezone,
        ),
    )
    repo.audit(session=session, actor=actor, action="cohort.create", cohort_id=cohort.id, name=name)
    return cohort


def join(session: Session, env: Env, person: Person, raw_code: str) -> list[Reply]:
    """Join the cohort behind an invite code, then show the participant information and choice 1."""
    user = repo.upsert_user(session=session, telegram_id=person.telegram_id, first_name=person.first_name,
                            username=person.username, at=env.clock.now())
    assert user.id is not None
    code = normalise_code(raw_code)
    cohort = repo.get_cohort_by_invite(session=session, code=code)
    current = repo.active_enrolment(session=session, user_id=user.id)
    if cohort is None:
        return [Reply(
            f"I don't recognise the code <code>{escape(raw_code.strip()[:40])}</code>. Please check the invite "
            "link or code your tutor sent — codes are 8 letters and numbers, like <code>K7MPQ2XR</code>."
            + ("" if current is None else "\n\nYou are still in your current cohort; nothing has changed.")
        )]
    if current is not None and current.cohort_id == cohort.id:
        if current.participate is None:
            return [Reply(f"You're already in <b>{escape(cohort.name)}</b>. One choice is still open:"),
                    *consent.ask_participate(session, env, person, current)]
        return [Reply(f"You're already in <b>{escape(cohort.name)}</b>. /status shows where you are.")]
    if current is not None:
        other = repo.get_cohort(session=session, cohort_id=current.cohort_id)
        other_name = escape(other.name) if other else "another cohort"
        return [Reply(
            f"You're already in <b>{other_name}</b>. You can be in one cohort at a time: to move to "
            f"<b>{escape(cohort.name)}</b>, send /withdraw first, then open the new link again."
        )]
    if cohort.status == CohortStatus.CLOSED:
        return [Reply(
            f"<b>{escape(cohort.name)}</b> is closed to new members. If you think that's a mistake, "
            "please ask your tutor for a current invite link."
        )]
    assert cohort.id is not None
    enrolment = repo.get_enrolment(session=session, user_id=user.id, cohort_id=cohort.id)
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, cohort_id=cohort.id, joined_at=env.clock.now())
    else:  # coming back after withdrawing: a fresh start, asked again
        enrolment.withdrawn_at = None
        enrolment.participate = enrolment.research = None
        enrolment.paused = False
        enrolment.joined_at = env.clock.now()
    session.add(enrolment)
    session.flush()
    repo.audit(session=session, actor=person.actor, action="student.join", cohort_id=cohort.id,
               at=env.clock.now())
    return consent.introduce(session, env, person, enrolment, cohort)


def not_joined() -> list[Reply]:
    """Tell someone with no cohort how to join."""
    return [Reply(
        "Hello! I run weekly Balint reflections for medical students on placement.\n\n"
        "To join, open the invite link your tutor sent, or type the 8-character invite code here."
    )]
