"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini needed."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:  # Alembic takes a tenth of a second to import: only when there is something to migrate
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """Build an Alembic config pointing at our migrations and the given database."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    """Return the newest revision the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine, url: str) -> bool:
    """Say whether the database is at the code's head revision."""
    if at_code_head(engine):
        return True
    return current_revision(engine) == head_revision(url)


# ``revision = '0009'`` / ``down_revision: str | None = '0008'`` at the start of a line, as Alembic writes them.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def code_heads() -> set[str]:
    """Return the head revisions of the migration files, read as text (no Alembic import, no parse of the whole
    file: every command pays for this). Empty when a file says anything but plain literals, so Alembic decides."""
    revisions: dict[str, object] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, object] = {}
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            if name in values:
                return set()  # said twice: not for us to guess which one counts
            try:
                values[name] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                return set()
        if isinstance(values.get("revision"), str):
            revisions[str(values["revision"])] = values.get("down_revision")
    downs: set[str] = set()
    for down in revisions.values():
        downs.update([down] if isinstance(down, str) else list(down) if isinstance(down, tuple | list) else [])
    return set(revisions) - downs


def at_code_head(engine: Engine) -> bool:
    """Say cheaply whether the database is at the single head of the code (False when unsure)."""
    heads = code_heads()
    if len(heads) != 1:
        return False
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except DBAPIError:  # no alembic_version table yet
        return False
    return rows == list(heads)


def stamp(url: str, revision: str = "head") -> None:
    """Mark a database (made with ``create_all`` in tests and benchmarks) as being at ``revision``."""
    from alembic import command

    command.stamp(alembic_config(url), revision)
