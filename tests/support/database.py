"""Which database this test run uses: SQLite by default, PostgreSQL when ``TEST_DATABASE_URL`` names one (as CI's
second run does). The fixtures that make and empty the databases are in ``tests/conftest.py``."""

from __future__ import annotations

import os

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def using_postgres() -> bool:
    """Say whether this run tests against PostgreSQL."""
    return PG_URL.startswith("postgresql")
