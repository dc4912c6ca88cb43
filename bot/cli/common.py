"""What every ``balint`` command shares: settings, friendly errors, JSON output, the database opened and closed.

Nothing here is slow to import: the domain's modules are imported inside the functions, so ``balint --help`` stays
quick.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:  # bot.config pulls in pydantic: imported where settings are loaded, so --help stays quick
    from bot.config import Settings
    from storage.db import Database

F = TypeVar("F", bound=Callable[..., Any])

STUDY = typer.Option(None, "--study", help="Study name (needed only when there are several).")
JSON = typer.Option(False, "--json", help="Print JSON.")


def fail(message: str, code: int = 2) -> None:
    """Print one clear line on stderr and exit."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn expected problems (settings, schema, data files, schedule, research input, files) into one clear line on
    stderr with exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            # imported only when something went wrong: these modules are slow to import for --help
            from bot.config import ConfigError
            from bot.core.data_files import DataFilesMissing
            from bot.core.scheduling.schedule import ScheduleError
            from bot.research.agreement.io import AgreementInputError
            from bot.research.errors import ResearchError
            from bot.research.pseudonyms import PseudonymKeyMissing
            from bot.research.refi_qda import RefiQdaError
            from bot.runtime import OutOfDate

            if isinstance(exc, ConfigError | OutOfDate | DataFilesMissing):
                fail(str(exc))
            if isinstance(exc, ScheduleError | ResearchError | PseudonymKeyMissing | AgreementInputError
                          | RefiQdaError):
                fail(f"Error: {exc}")
            if isinstance(exc, OSError):
                fail(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
            raise

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """Load settings and set up logging."""
    from bot.config import load_settings
    from bot.runtime import setup_logging

    s = load_settings()
    setup_logging(s)
    return s


def emit_json(data: Any) -> None:
    """Print JSON for scripts: indented, non-ASCII text as itself, dates and the like as strings."""
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@contextmanager
def database(s: Settings | None = None) -> Iterator[Database]:
    """Open the database (with ``s``, or freshly loaded settings) and close it however the block ends."""
    from bot.runtime import open_database

    db = open_database(s if s is not None else settings())
    try:
        yield db
    finally:
        db.close()


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Open the database, run ``fn(session, env, …)`` in one transaction, close."""
    from bot.runtime import make_env

    s = settings()
    env = make_env(s)
    with database(s) as db:
        return db.call(fn, env, *args, **kwargs)


def actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def bot_username(s: Settings) -> str:
    """Ask the Bot API for the bot's username (for deep links); a placeholder when there is no token."""
    if s.telegram_bot_token is None:
        return "YOUR_BOT"
    import asyncio

    from bot.telegram.identity import username

    try:
        return asyncio.run(username(s))
    except Exception as exc:  # noqa: BLE001  any network problem: say so, keep going
        typer.echo(f"(could not ask Telegram for the bot's username: {exc}; using a placeholder)", err=True)
        return "YOUR_BOT"
