"""Unit tests: pure functions, no database and no network.

A unit test that asks for a database fixture (directly or through another fixture) fails here, saying where it
belongs: a test on the database is a domain test (``tests/domain/``).

The fixtures the unit modules share: the shipped redactor (``r``), the safeguarding rules (``rules``) and the
REFI-QDA schemas (``project_schema``, ``codebook_schema``).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from bot.core.privacy.redaction import Redactor
from bot.core.safety.safeguarding_rules import SafeguardingRules
from tests.support.refi_qda_support import schema

DATABASE_FIXTURES = frozenset(
    {"pg_database_url", "database_url", "empty_database_url", "db", "session", "cohort", "study_cohort", "cli_env"}
)


@pytest.fixture(autouse=True)
def no_database(request: pytest.FixtureRequest) -> None:
    """Refuse the database fixtures to a unit test."""
    used = sorted(DATABASE_FIXTURES.intersection(request.fixturenames))
    if used:
        pytest.fail(
            f"{request.node.nodeid} uses {', '.join(used)}: a test on the database belongs in tests/domain/",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def r() -> Redactor:
    """The shipped rules and word lists (prompts/), without the learned tagger beside them: what the rule tests
    test (the tagger and the two together: tests/unit/test_redaction_tagger.py)."""
    return _rules_alone()


@functools.lru_cache(maxsize=1)
def _rules_alone() -> Redactor:
    return Redactor.from_toml()


@pytest.fixture(scope="module")
def rules() -> SafeguardingRules:
    """The shipped safeguarding rules (prompts/safeguarding/, with the model), loaded afresh for a module's tests."""
    return SafeguardingRules.from_toml()


@pytest.fixture(scope="module")
def project_schema() -> Any:
    """The REFI-QDA project schema (Project.xsd), shared by a module's tests."""
    return schema("Project.xsd")


@pytest.fixture(scope="module")
def codebook_schema() -> Any:
    """The REFI-QDA codebook schema (Codebook.xsd), shared by a module's tests."""
    return schema("Codebook.xsd")
