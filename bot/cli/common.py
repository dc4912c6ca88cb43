"""What every ``balint`` command shares: settings, friendly errors, JSON output, the database opened and closed.

Nothing here is slow to import: the domain's modules are imported inside the functions, so ``balint --help`` stays
quick.
"""

from __future__ import annotations

import getpass
import json
import sys
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


# Expected problems, as (the module that defines it, class): said as they are, or after "Error: ".
_PLAIN = (("bot.config", "ConfigError"), ("bot.runtime", "OutOfDate"), ("bot.core.data_files", "DataFilesMissing"),
          ("bot.core.scheduling.send_now", "Refused"))
_PREFIXED = (("bot.core.scheduling.schedule", "ScheduleError"), ("bot.research.errors", "ResearchError"),
             ("bot.research.pseudonyms", "PseudonymKeyMissing"),
             ("bot.research.agreement.input", "AgreementInputError"), ("bot.research.refi_qda.model", "RefiQdaError"))


def _raised_from(exc: Exception, kinds: tuple[tuple[str, str], ...]) -> bool:
    """Say whether ``exc`` is one of ``kinds``, looking only at modules already imported: an exception of a class
    whose module was never imported cannot have been raised, and importing them all (the data files, the research
    pipeline) made every failing command 0.1 s slower."""
    for module, name in kinds:
        loaded = sys.modules.get(module)
        kind = getattr(loaded, name, None) if loaded is not None else None
        if isinstance(kind, type) and isinstance(exc, kind):
            return True
    return False


def friendly(fn: F) -> F:
    """Turn expected problems (settings, schema, data files, schedule, research input, files) into one clear line on
    stderr with exit code 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:  # fail() inside the command: already said
            raise
        except Exception as exc:
            if _raised_from(exc, _PLAIN):
                fail(str(exc))
            if _raised_from(exc, _PREFIXED):
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
