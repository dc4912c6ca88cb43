"""Start-up shared by the CLI commands: settings, logging, the database at the right revision, the Env."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a CLI command starts faster without SQLAlchemy, Alembic or pydantic
    from bot.config import Settings
    from bot.core.context import Env
    from storage.db import Database

# Loggers of the libraries we use: quiet (WARNING) unless --verbose or LOG_LEVEL=DEBUG.
LIBRARIES = ("alembic", "telegram", "httpx", "httpcore", "aiohttp", "apscheduler", "matplotlib")
VERBOSE_ENV = "BALINT_VERBOSE"  # set by ``balint --verbose``

# Attributes every LogRecord has; anything else was passed in ``extra`` and goes into the JSON line.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Handlers log events and ids, never reflection text."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup_logging(settings: Settings) -> None:
    """Configure the root logger (text for people, JSON for log shippers)."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level_number)
    verbose = os.environ.get(VERBOSE_ENV) == "1" or settings.log_level_number <= logging.DEBUG
    # Library debug logs carry whole Telegram payloads (students' words): never below INFO, whatever LOG_LEVEL says.
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # its INFO is every SQL statement with its values


class OutOfDate(Exception):
    """The PostgreSQL schema is behind the code."""


def open_database(settings: Settings, *, migrate_sqlite: bool = True) -> Database:
    """Open the database: SQLite upgrades itself; PostgreSQL must have been upgraded explicitly."""
    from storage.db import Database, is_sqlite
    from storage.migrate import at_code_head, is_up_to_date, upgrade

    db = Database(settings.database_url)
    if is_sqlite(db.engine):
        if migrate_sqlite and not at_code_head(db.engine):
            upgrade(settings.database_url)
    elif not is_up_to_date(db.engine, settings.database_url):
        db.close()
        raise OutOfDate("The PostgreSQL database is not at the current schema. Run: balint db upgrade")
    return db


def pseudonym_key(settings: Settings) -> str | None:
    """Return PSEUDONYM_KEY; in development without one, a generated key kept in the data folder."""
    if settings.pseudonym_key is not None:
        return settings.pseudonym_key.get_secret_value()
    if settings.environment != "development":
        return None
    from bot.research.pseudonym_key import data_folder, dev_key

    return dev_key(data_folder(settings.database_url))


class _Research:
    """``bot.research.queue``, imported on first use: it brings Jinja2 and the redactor (about 0.3 s), which a
    command such as ``balint stats`` or ``cohort list`` never needs."""

    def on_consent_changed(self, session: Any, env: Env, user_id: int, /, *, actor: str = "system") -> None:
        from bot.research.queue import on_consent_changed

        on_consent_changed(session, env, user_id, actor=actor)

    def participant_summary(self, session: Any, env: Env, user: Any, /) -> dict[str, Any]:
        from bot.research.queue import participant_summary

        return participant_summary(session, env, user)

    def erase_participant(self, session: Any, env: Env, user: Any, /) -> dict[str, Any]:
        from bot.research.queue import erase_participant

        return erase_participant(session, env, user)

    def purge_entries(self, session: Any, env: Env, entry_ids: list[int], /, *, dry_run: bool = False) -> int:
        from bot.research.queue import purge_entries

        return purge_entries(session, env, entry_ids, dry_run=dry_run)


def make_env(settings: Settings) -> Env:
    """Build the domain environment from settings."""
    from bot.core.context import Env
    from bot.core.privacy.crypto import TextCipher

    return Env(
        research=_Research(),
        cipher=TextCipher.from_setting(
            settings.data_encryption_key.get_secret_value() if settings.data_encryption_key else None),
        admin_ids=frozenset(settings.admin_telegram_ids),
        grace_hours=settings.delivery_grace_hours,
        reminder_hours=settings.reminder_hours,
        escalate_minutes=settings.safeguarding_escalate_minutes,
        safeguarding_lead_id=settings.safeguarding_lead_telegram_id,
        pseudonym_key=pseudonym_key(settings),
        safeguarding_institution=settings.safeguarding_institution,
        retention_days=settings.retention_days,
        web_url=settings.web_url,
    )
