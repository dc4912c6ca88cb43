"""Grouped units of work (``Database.run_grouped``): several replies share one transaction, each keeps its own
result, and one failing unit fails alone. On a real SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlmodel import Session, func, select

from storage.db import Database
from storage.models import User


@pytest.fixture
def commits(db: Database) -> Iterator[list[int]]:
    """Every COMMIT the engine sends, as it happens."""
    seen: list[int] = []

    def on_commit(_conn: object) -> None:
        seen.append(1)

    event.listen(db.engine, "commit", on_commit)
    yield seen
    event.remove(db.engine, "commit", on_commit)


def add_user(session: Session, telegram_id: int) -> int:
    user = User(telegram_id=telegram_id, first_name=f"U{telegram_id}")
    session.add(user)
    session.flush()
    assert user.id is not None
    return telegram_id * 10


def add_user_then_fail(session: Session, telegram_id: int) -> int:
    add_user(session, telegram_id)
    raise ValueError(f"unit {telegram_id} went wrong")


def stored(session: Session) -> list[int]:
    return sorted(session.exec(select(User.telegram_id)).all())


async def test_a_burst_of_units_shares_transactions_and_each_gets_its_own_result(
    db: Database, commits: list[int]
) -> None:
    ids = list(range(1, 41))
    results = await asyncio.gather(*(db.run_grouped(add_user, i) for i in ids))
    assert results == [i * 10 for i in ids]
    assert db.call(stored) == ids
    assert len(commits) < len(ids)  # run one by one, 40 units would have taken 40 commits


async def test_a_failing_unit_fails_alone_and_leaves_nothing_behind(db: Database) -> None:
    units = [db.run_grouped(add_user, 1), db.run_grouped(add_user_then_fail, 2), db.run_grouped(add_user, 3)]
    outcomes = await asyncio.gather(*units, return_exceptions=True)
    assert outcomes[0] == 10 and outcomes[2] == 30
    assert isinstance(outcomes[1], ValueError) and "unit 2" in str(outcomes[1])
    assert db.call(stored) == [1, 3]


async def test_a_unit_on_its_own_commits_and_answers(db: Database) -> None:
    assert await db.run_grouped(add_user, 7) == 70
    with pytest.raises(ValueError, match="unit 8"):
        await db.run_grouped(add_user_then_fail, 8)
    assert db.call(lambda s: s.exec(select(func.count()).select_from(User)).one()) == 1
