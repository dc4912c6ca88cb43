"""Fixtures of the end-to-end tests: the web workbench served on a real port and headless Chromiums to drive it,
an in-person session's speakers for the transcript imports, and a Bot API emulator of its own for each test.

The rest these tests use (the database, the environment, the study, the CLI pointed at the database) is in
``tests/conftest.py``; the running bot is ``tests.support.botharness.running_bot``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage.db import Database
from storage.models import Cohort
from tests.support.factories import DomainChat
from tests.support.research_support import enrol
from tests.support.web_support import Server, browser_missing, start_chromium


@pytest.fixture
def server(db: Database, research_env: Env) -> Iterator[Server]:
    """The workbench on 127.0.0.1 at a free port, on the test database."""
    s = Server(db, research_env)
    yield s
    s.close()


@pytest.fixture
def browser_factory(tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Start fresh headless Chromiums (each with its own profile and download folder); quit them afterwards."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    started: list[Any] = []

    def start() -> Any:
        started.append(start_chromium(tmp_path, len(started)))
        return started[-1]

    yield start
    for driver in started:
        driver.quit()


@pytest.fixture
def browser(browser_factory: Callable[[], Any]) -> Any:
    """One headless Chromium."""
    return browser_factory()


@pytest.fixture
def team(db: Database, research_env: Env, study_cohort: Cohort) -> dict[str, DomainChat]:
    """Sam and Jo consent to research, Alex does not (the speakers of ``tests.support.transcript_support``)."""
    return {
        "Sam": enrol(db, research_env, study_cohort, 2001, "Sam"),
        "Alex": enrol(db, research_env, study_cohort, 2002, "Alex", research=False),
        "Jo": enrol(db, research_env, study_cohort, 2003, "Jo"),
    }


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    """A Bot API emulator on a free port, with nobody in it yet."""
    async with BotAPIEmulator() as emulator:
        yield emulator
