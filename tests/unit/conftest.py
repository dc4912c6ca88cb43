"""Unit tests: pure functions, no database and no network.

A unit test that asks for a database fixture (directly or through another fixture) fails here, saying where it
belongs: a test on the database is a domain test (``tests/domain/``).
"""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor, default_redactor

DATABASE_FIXTURES = frozenset({"pg_database_url", "database_url", "empty_database_url", "db", "session", "cohort",
                               "study_cohort", "cli_env"})


@pytest.fixture(autouse=True)
def no_database(request: pytest.FixtureRequest) -> None:
    """Refuse the database fixtures to a unit test."""
    used = sorted(DATABASE_FIXTURES.intersection(request.fixturenames))
    if used:
        pytest.fail(f"{request.node.nodeid} uses {', '.join(used)}: a test on the database belongs in tests/domain/",
                    pytrace=False)


@pytest.fixture(scope="module")
def r() -> Redactor:
    """The shipped redactor (rules and word lists from prompts/), shared by a module's tests."""
    return default_redactor()
