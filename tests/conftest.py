"""The fixtures every folder shares: a real database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL
says so), the clock, the environment, a cohort and a student; the research study; the CLI pointed at the database.

PostgreSQL: one throwaway database per test run (created here, dropped at the end); each test starts from
empty tables (TRUNCATE). SQLite: a fresh file per test.

The tests are in three folders by what they need: ``unit/`` (no database, no network: its conftest refuses the
database fixtures), ``domain/`` (domain functions on the real database) and ``e2e/`` (the real Application
against the Bot API emulator, the CLI, the browser, real processes; its conftest has the browser's fixtures).
Helpers are in ``support/``, imported by name.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import hypothesis  # noqa: F401  (imported early: its plugin compiles modules lazily at session end otherwise)
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import storage.schema  # noqa: F401  (every table)
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import queue as research_queue
from storage.db import Database
from storage.migrate import stamp
from storage.models import Cohort
from tests.support.database import PG_URL, using_postgres
from tests.support.research_support import KEY, STUDY


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str | None]:
    """Create a throwaway PostgreSQL database for the run; drop it afterwards."""
    if not using_postgres():
        yield None
        return
    base = make_url(PG_URL)
    name = f"balint_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: object, pg_database_url: str | None) -> str:
    """A URL to an empty database with the current schema."""
    if pg_database_url is not None:
        engine = create_engine(pg_database_url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return pg_database_url
    url = f"sqlite:///{tmp_path}/test.db"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The Database service on a fresh database."""
    database = Database(database_url, retry_for=2.0)
    yield database
    database.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session that commits at the end of the test."""
    with db.session() as s:
        yield s


@pytest.fixture
def clock() -> ManualClock:
    """A clock set to Monday 5 January 2026, 10:00 UTC (week 1 of the default test cohort)."""
    return ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))


@pytest.fixture
def env(clock: ManualClock) -> Env:
    """The domain environment with a manual clock."""
    return Env(research=research_queue, clock=clock, bot_username="balint_test_bot")


@pytest.fixture
def cohort(db: Database, env: Env) -> Cohort:
    """A six-week cohort starting Monday 5 January 2026, prompts Mondays 09:00 London."""
    return db.call(
        create_cohort,
        CohortIn(
            name="Psychiatry Jan 2026",
            start_date=date(2026, 1, 5),
            weeks=6,
            weekday=0,
            send_time=time(9, 0),
            timezone="Europe/London",
        ),
    )


@pytest.fixture
def alice() -> Person:
    """A student."""
    return Person(telegram_id=1001, first_name="Alice", username="alice")


@pytest.fixture
def empty_database_url(tmp_path: object) -> Iterator[str]:
    """An empty database with no tables: a SQLite file, or a throwaway PostgreSQL database."""
    if not using_postgres():
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    base = make_url(PG_URL)
    name = f"balint_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def research_env(env: Env) -> Env:
    """The test environment with a pseudonym key."""
    env.pseudonym_key = KEY
    return env


@pytest.fixture
def study_cohort(db: Database, research_env: Env) -> Cohort:
    """A six-week cohort in the study ``STUDY``, starting Monday 5 January 2026."""
    return db.call(
        create_cohort,
        CohortIn(
            name="Psychiatry Jan 2026 (study)",
            start_date=date(2026, 1, 5),
            weeks=6,
            weekday=0,
            send_time=time(9, 0),
            timezone="Europe/London",
            study=STUDY,
        ),
    )


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI at the test database (schema made by create_all, stamped at head)."""
    stamp(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
