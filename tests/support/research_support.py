"""Fixtures and helpers for the research tests: a study cohort, students who reflect, researchers who code.

Import the fixtures into a test module with ``from tests.support.research_support import *  # noqa: F403``.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import Session, select

from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import access, codebook_files
from bot.research.queue import intake
from storage.db import Database
from storage.models import Cohort, Study
from storage.research_models import CodingItem
from tests.support.factories import DomainChat, send_week

STUDY = "Balint Study 2026"
KEY = "test-pseudonym-key-not-for-production"

WEEK = [
    "I met Mrs Jones, aged 82, on the ward; her son Tom rang 07700 900123 twice while I was there.",
    "I felt out of my depth and a bit useless, standing at the end of the bed.",
    "She might have felt frightened and tired of being asked the same questions.",
    "Something shifted when I sat down instead of standing over her.",
    "Sitting down changes the conversation more than anything I say.",
]


@pytest.fixture
def research_env(env: Env) -> Env:
    """The test environment with a pseudonym key."""
    env.pseudonym_key = KEY
    return env


@pytest.fixture
def study_cohort(db: Database, research_env: Env) -> Cohort:
    """A six-week cohort in the study ``STUDY``, starting Monday 5 January 2026."""
    return db.call(create_cohort, CohortIn(name="Psychiatry Jan 2026 (study)", start_date=date(2026, 1, 5),
                                           weeks=6, weekday=0, send_time=time(9, 0), timezone="Europe/London",
                                           study=STUDY))


def study(db: Database) -> Study:
    """Return the test study."""
    return db.call(lambda s: s.exec(select(Study).where(Study.name == STUDY)).one())


def enrol(db: Database, env: Env, cohort: Cohort, telegram_id: int, name: str, *, research: bool = True
          ) -> DomainChat:
    """A student who joined the cohort and made both choices."""
    chat = DomainChat(db, env, Person(telegram_id=telegram_id, first_name=name))
    chat.join_and_consent(cohort.invite_code, research=research)
    return chat


def reflect(db: Database, env: Env, cohort: Cohort, chats: list[DomainChat], week: int = 1,
            texts: list[str] | None = None) -> None:
    """Send the week's prompt and have every student answer all five questions (closing the week)."""
    send_week(db, env, cohort, week)
    for chat in chats:
        for text in texts or WEEK:
            chat.say(text)


def next_week(clock: ManualClock) -> None:
    clock.advance(timedelta(days=7))


def run_intake(db: Database, env: Env) -> dict[str, object]:
    return db.call(lambda s: intake(s, env, s.get(Study, study(db).id), actor="test").as_dict())


def items(db: Database, *, excluded: bool | None = False) -> list[CodingItem]:
    """The study's items, oldest first (queued ones by default)."""

    def run(session: Session) -> list[CodingItem]:
        stmt = select(CodingItem).order_by(CodingItem.id)  # type: ignore[arg-type]
        rows = list(session.exec(stmt).all())
        if excluded is None:
            return rows
        return [i for i in rows if (i.excluded_at is not None) == excluded]

    return db.call(run)


RESEARCHER_A = Person(telegram_id=9001, first_name="Rhea")
RESEARCHER_B = Person(telegram_id=9002, first_name="Bo")
OUTSIDER = Person(telegram_id=9003, first_name="Ida")


def researchers(db: Database, env: Env, *, independent_b: bool = True) -> None:
    """Grant A (study team, C1) and B (independent, C2) research on the test study."""

    def run(session: Session) -> None:
        s = session.get(Study, study(db).id)
        assert s is not None
        access.grant(session, env, s, RESEARCHER_A.telegram_id, label="C1", actor="test")
        access.grant(session, env, s, RESEARCHER_B.telegram_id, label="C2", independent=independent_b, actor="test")

    db.call(run)


def seed(db: Database, env: Env) -> None:
    """Load the seed codebook into round 1."""
    db.call(lambda s: codebook_files.load(s, env, s.get(Study, study(db).id), codebook_files.read_seed(), actor="test",
                                    source="seed"))


def review_all(db: Database, env: Env) -> None:
    """Mark every queued item reviewed."""
    from bot.research.queue import set_reviewed

    def run(session: Session) -> None:
        for item in session.exec(select(CodingItem)).all():
            set_reviewed(session, env, item, actor="test")

    db.call(run)


__all__ = ["research_env", "study_cohort"]
