"""Helpers of the research tests: students who reflect, researchers who code, a round made ready and assigned.

The fixtures they go with (``research_env``: the test environment with ``KEY``; ``study_cohort``: a cohort in the
study ``STUDY``) are in ``tests/conftest.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.research import access, codebook, codebook_files, coding
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


def study(db: Database) -> Study:
    """Return the test study."""
    return db.call(lambda s: s.exec(select(Study).where(Study.name == STUDY)).one())


def enrol(db: Database, env: Env, cohort: Cohort, telegram_id: int, name: str, *, research: bool = True) -> DomainChat:
    """A student who joined the cohort and made both choices."""
    chat = DomainChat(db, env, Person(telegram_id=telegram_id, first_name=name))
    chat.join_and_consent(cohort.invite_code, research=research)
    return chat


def reflect(
    db: Database, env: Env, cohort: Cohort, chats: list[DomainChat], week: int = 1, texts: list[str] | None = None
) -> None:
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
    db.call(
        lambda s: codebook_files.load(
            s, env, s.get(Study, study(db).id), codebook_files.read_seed(), actor="test", source="seed"
        )
    )


def review_all(db: Database, env: Env) -> None:
    """Mark every queued item reviewed."""
    from bot.research.queue import set_reviewed

    def run(session: Session) -> None:
        for item in session.exec(select(CodingItem)).all():
            set_reviewed(session, env, item, actor="test")

    db.call(run)


def ready_to_code(
    db: Database, env: Env, cohort: Cohort, *, students: int = 1, independent_b: bool = True, reviewed: bool = True
) -> None:
    """Students reflect, intake, researchers A and B, the seed codebook, and (by default) every item reviewed."""
    chats = [enrol(db, env, cohort, 2001 + i, f"S{i}") for i in range(students)]
    reflect(db, env, cohort, chats)
    run_intake(db, env)
    researchers(db, env, independent_b=independent_b)
    seed(db, env)
    if reviewed:
        review_all(db, env)


def _assign_open_round(session: Session, db: Database, env: Env, **kw: Any) -> coding.AssignResult:
    s = session.get(Study, study(db).id)
    assert s is not None and s.id is not None
    rnd = codebook.open_round(session, s.id)
    assert rnd is not None
    return coding.assign(session, env, s, rnd, actor="lead", **kw)


def assign(db: Database, env: Env, **kw: Any) -> coding.AssignResult:
    """The lead assigns the open round to the study's coders (``coding.assign``)."""
    return db.call(lambda session: _assign_open_round(session, db, env, **kw))


def assign_round(db: Database, env: Env, **kw: Any) -> coding.AssignResult:
    """A second coder (Ida, independent) joins if the study has fewer than two, then the lead assigns the open
    round."""

    def run(session: Session) -> coding.AssignResult:
        s = session.get(Study, study(db).id)
        assert s is not None
        if len(access.coding_repo.coders_of(session=session, study_id=s.id)) < 2:
            access.grant(session, env, s, 9002, label="Ida", independent=True, actor="lead")
        return _assign_open_round(session, db, env, **kw)

    return db.call(run)


def is_item(m: dict[str, Any]) -> bool:
    """Say whether a message the emulator holds is a coding item (the text and its buttons)."""
    return (m.get("plain_text") or "").startswith("Item #") and m.get("reply_markup") is not None
