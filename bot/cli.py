"""The ``balint`` command line. Wiring only: parse, call the domain, print."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from bot.cli_facilitator import register as register_facilitator
from bot.cli_keys import register as register_keys
from bot.cli_roles import role_app
from bot.cli_safety import register as register_safety
from bot.config import ConfigError, Settings, load_settings
from bot.core.schedule import ScheduleError
from bot.research.cli import register as register_research
from bot.runtime import OutOfDate, make_env, open_database, setup_logging
from bot.web.cli import register as register_web

app = typer.Typer(help="balintbot: Balint-style reflective practice on Telegram.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
cohort_app = typer.Typer(help="Cohorts: create, list, invite links.", no_args_is_help=True)
prompt_app = typer.Typer(help="Weekly prompts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cohort_app, name="cohort")
app.add_typer(prompt_app, name="prompt")
app.add_typer(role_app, name="role")

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> None:
    """Print one clear line on stderr and exit."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn expected problems into one clear line, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, OutOfDate) as exc:
            fail(str(exc))
        except ScheduleError as exc:
            fail(f"Error: {exc}")
        return None

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """Load settings and set up logging."""
    s = load_settings()
    setup_logging(s)
    return s


def emit_json(data: Any) -> None:
    """Print JSON for scripts."""
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command()
@friendly
def run(
    webhook: bool = typer.Option(False, "--webhook", help="Serve a webhook (WEBHOOK_URL, WEBHOOK_PORT, "
                                 "WEBHOOK_SECRET_TOKEN) instead of long polling."),
) -> None:
    """Run the bot (long polling). With no TELEGRAM_BOT_TOKEN, start the terminal sandbox instead."""
    s = settings()
    if s.telegram_bot_token is None:
        typer.echo("TELEGRAM_BOT_TOKEN is not set, so here is the sandbox instead (see README: Running for real).\n")
        from bot.sandbox import run_sandbox

        run_sandbox()
        return
    from bot.telegram.runner import serve

    db = open_database(s)
    try:
        asyncio.run(serve(s, db, make_env(s), webhook=webhook))
    finally:
        db.close()


@app.command()
@friendly
def sandbox(name: str = typer.Option("Student", help="Your first name in the sandbox.")) -> None:
    """Try the student journey in the terminal, without Telegram or a token."""
    from bot.sandbox import run_sandbox

    run_sandbox(name=name)


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply the database migrations."""
    s = settings()
    from storage.migrate import upgrade

    upgrade(s.database_url)
    typer.echo("Database is at the current schema.")


@cohort_app.command("create")
@friendly
def cohort_create(
    name: str = typer.Option(..., help="A name facilitators and students will recognise."),
    start: str = typer.Option(..., help="First day of the placement, YYYY-MM-DD."),
    weeks: int = typer.Option(6, help="Number of weekly prompts."),
    day: str = typer.Option("mon", help="Weekday prompts go out: mon … sun."),
    time: str = typer.Option("09:00", help="Local time prompts go out, HH:MM."),
    tz: str = typer.Option("Europe/London", help="IANA time zone of the cohort."),
    study: str | None = typer.Option(None, help="Research study the cohort belongs to (created if new)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a cohort; print its id, invite code and deep link."""
    from bot.core.enrolment import CohortIn, create_cohort
    from bot.core.schedule import parse_date, parse_time, parse_weekday

    s = settings()
    data = CohortIn(name=name, start_date=parse_date(start), weeks=weeks, weekday=parse_weekday(day),
                    send_time=parse_time(time), timezone=tz, study=study)
    db = open_database(s)
    env = make_env(s)
    env.bot_username = bot_username(s)
    cohort = db.call(create_cohort, data)
    link = env.invite_link(cohort.invite_code)
    if as_json:
        emit_json({"id": cohort.id, "name": cohort.name, "invite_code": cohort.invite_code, "link": link,
                   "facilitator_link": env.invite_link(f"f-{cohort.facilitator_code}")})
    else:
        typer.echo(f"Cohort {cohort.id}: {cohort.name}\nInvite code: {cohort.invite_code}\nLink: {link}")
    db.close()


def bot_username(s: Settings) -> str:
    """Ask the Bot API for the bot's username (for deep links); a placeholder when there is no token."""
    if s.telegram_bot_token is None:
        return "YOUR_BOT"
    from telegram import Bot

    async def get() -> str:
        async with Bot(s.telegram_bot_token.get_secret_value(), base_url=s.telegram_api_base_url) as bot:  # type: ignore[union-attr]
            return bot.username

    try:
        return asyncio.run(get())
    except Exception as exc:  # noqa: BLE001  any network problem: say so, keep going
        typer.echo(f"(could not ask Telegram for the bot's username: {exc}; using a placeholder)", err=True)
        return "YOUR_BOT"


@cohort_app.command("list")
@friendly
def cohort_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List cohorts."""
    from bot.core.cohorts import cohort_rows

    s = settings()
    db = open_database(s)
    rows = db.call(cohort_rows)
    db.close()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No cohorts yet. Create one with: balint cohort create --name ... --start YYYY-MM-DD")
        return
    header = (f"{'id':>4}  {'name':<32} {'code':<10} {'start':<10} {'wk':>3} {'day':<4} {'time':<5} {'tz':<20} "
              f"{'status':<7} {'students':>8}")
    typer.echo(header)
    for r in rows:
        typer.echo(f"{r['id']:>4}  {r['name'][:32]:<32} {r['invite_code']:<10} {r['start']:<10} {r['weeks']:>3} "
                   f"{r['day']:<4} {r['time']:<5} {r['timezone'][:20]:<20} {r['status']:<7} {r['students']:>8}")


@prompt_app.command("send-now")
@friendly
def prompt_send_now(
    cohort: str = typer.Option(..., help="Cohort id or name."),
    week: int | None = typer.Option(None, help="Week number (default: the current week, or 1 before the start)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Send a week's prompt now to every consented student of the cohort."""
    from bot.telegram.broadcast import send_now

    s = settings()
    if s.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: sending needs the bot's token.")
    db = open_database(s)
    try:
        result = asyncio.run(send_now(s, db, make_env(s), cohort, week))
    finally:
        db.close()
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"Week {result['week']} of {result['cohort']}: sent {result['sent']}, "
                   f"already sent {result['already']}, blocked {result['blocked']}, failed {result['failed']}.")


register_facilitator(cohort_app, app)  # after the commands above, so help lists them first
register_research(app)  # balint research …, balint export, balint role grant researcher
register_safety(app)  # balint safeguarding check|alerts, balint purge
register_keys(app)  # balint keys generate|rotate|status
register_web(app)  # balint web, balint web link


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
