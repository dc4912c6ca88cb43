"""The ``balint`` command line. Wiring only: parse, call the domain, print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from bot.cli_circles import register as register_circles
from bot.cli_doctor import register as register_doctor
from bot.cli_facilitator import register as register_facilitator
from bot.cli_keys import register as register_keys
from bot.cli_roles import role_app
from bot.cli_safety import register as register_safety
from bot.research.cli import register as register_research
from bot.runtime import VERBOSE_ENV, make_env, open_database, setup_logging
from bot.web.cli import register as register_web

if TYPE_CHECKING:  # bot.config pulls in pydantic: imported where settings are loaded, so --help stays quick
    from bot.config import Settings

app = typer.Typer(help="balintbot: Balint-style reflective practice on Telegram.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def main_options(verbose: bool = typer.Option(False, "--verbose", "-v",
                                              help="Also show the libraries' log lines (Alembic, Telegram…).")) -> None:
    """balintbot: Balint-style reflective practice on Telegram."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
cohort_app = typer.Typer(help="Cohorts: create, list, invite links.", no_args_is_help=True)
prompt_app = typer.Typer(help="Weekly prompts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cohort_app, name="cohort")
app.add_typer(prompt_app, name="prompt")
app.add_typer(role_app, name="role")

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STUDY = "Default study"  # the study of cohorts created without --study, when there is no other


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
        except Exception as exc:
            # imported only when something went wrong: these modules are slow to import for --help
            from bot.config import ConfigError
            from bot.core.data_files import DataFilesMissing
            from bot.core.schedule import ScheduleError
            from bot.runtime import OutOfDate

            if isinstance(exc, ConfigError | OutOfDate | DataFilesMissing):
                fail(str(exc))
            if isinstance(exc, ScheduleError):
                fail(f"Error: {exc}")
            raise

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    """Load settings and set up logging."""
    from bot.config import load_settings

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
    import asyncio

    from bot.core.data_files import load_all
    from bot.telegram.runner import BotStopped, serve

    load_all(institution=s.safeguarding_institution or None)  # before the database: a broken install says so first
    db = open_database(s)
    try:
        asyncio.run(serve(s, db, make_env(s), webhook=webhook))
        sys.stderr.flush()
    except BotStopped:  # the reason is already logged, as one line
        raise typer.Exit(1) from None
    finally:
        db.close()


@app.command()
@friendly
def sandbox(
    name: str = typer.Option("Student", help="Your first name in the sandbox."),
    role: str = typer.Option("student", "--as", help="student (a fresh sandbox cohort), or facilitator or "
                             "researcher (on the demo placement: run balint demo first)."),
) -> None:
    """Try the bot in the terminal as a student, facilitator or researcher, without Telegram or a token."""
    from bot.sandbox_roles import ROLES

    if role.lower() not in ROLES:
        fail(f"--as takes {', '.join(ROLES)}; {role!r} isn't one of them.")
    if role.lower() == "student":
        from bot.sandbox import run_sandbox

        run_sandbox(name=name)
        return
    from bot.sandbox_roles import run_role_sandbox

    s = settings()
    db = open_database(s)
    try:
        ran = run_role_sandbox(role.lower(), db, make_env(s))
    finally:
        db.close()
    if not ran:
        fail("There's no demo placement in this database yet. Make one with: balint demo")


@app.command()
@friendly
def demo() -> None:
    """Seed a finished six-week demo placement (12 synthetic students, a study with two coders) to try out."""
    from bot import demo as placement

    s = settings()
    if s.environment == "production":
        fail("balint demo makes synthetic students: it won't run with ENVIRONMENT=production.")
    db = open_database(s)
    try:
        if placement.exists(db):
            typer.echo(f"The demo placement is already in {s.database_url}.")
        elif placement.other_cohorts(db):
            fail("This database already holds cohorts, and the demo goes in one of its own. Try:\n"
                 "  DATABASE_URL=sqlite:///data/demo.db balint demo")
        else:
            made = placement.seed(db, pseudonym_key=make_env(s).pseudonym_key)
            typer.echo(f"Seeded “{placement.COHORT}” in {s.database_url}: {made['students']} students, "
                       f"{made['weeks']} weeks, {made['replies']} reflection replies; one student withdrew after "
                       f"week 3 and one erased their data after week 4. “{placement.STUDY}” has two coders, C1 "
                       f"(you) and C2, who has coded {made['coded_by_c2']} items of round 1.")
    finally:
        db.close()
    typer.echo("Next:\n"
               "  balint sandbox --as facilitator    the console: /stats, /schedule, /preview 3 …\n"
               "  balint sandbox --as researcher     code in chat as C1: /code\n"
               "  balint sandbox                     the student journey\n"
               "  balint research status             the study: queue, round, coders\n"
               "  balint export --format csv --out demo.csv")


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
    study: str | None = typer.Option(None, help="Research study the cohort belongs to (created if new; "
                                     f"default: the only study there is, or {DEFAULT_STUDY!r})."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a cohort; print its id, invite code and deep link."""
    from bot.core.enrolment import CohortIn, create_cohort
    from bot.core.schedule import parse_date, parse_time, parse_weekday

    s = settings()
    from storage import research_repo

    db = open_database(s)
    named = study
    if study is None:  # a study is where consented reflections go for research: name one rather than refuse later
        studies = db.call(lambda session: [x.name for x in research_repo.list_studies(session=session)])
        study = studies[0] if len(studies) == 1 else DEFAULT_STUDY
    data = CohortIn(name=name, start_date=parse_date(start), weeks=weeks, weekday=parse_weekday(day),
                    send_time=parse_time(time), timezone=tz, study=study)
    env = make_env(s)
    env.bot_username = bot_username(s)
    cohort = db.call(create_cohort, data)
    link = env.invite_link(cohort.invite_code)
    if as_json:
        emit_json({"id": cohort.id, "name": cohort.name, "invite_code": cohort.invite_code, "link": link,
                   "facilitator_link": env.invite_link(f"f-{cohort.facilitator_code}"), "study": study})
    else:
        typer.echo(f"Cohort {cohort.id}: {cohort.name}\nInvite code: {cohort.invite_code}\nLink: {link}")
        if named is None:
            typer.echo(f"Study: {study} (no --study given, so the cohort joined this one; "
                       "balint export works on it from the first reflection)")
    db.close()


def bot_username(s: Settings) -> str:
    """Ask the Bot API for the bot's username (for deep links); a placeholder when there is no token."""
    if s.telegram_bot_token is None:
        return "YOUR_BOT"
    import asyncio

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
    """Send a week's prompt now to every consented student of the cohort.

    With a bot running, the bot sends (it holds the bot-wide send budget) and this shows the progress; with no
    bot running, this command sends itself. Either way the whole token stays under Telegram's 30 messages/s."""
    import asyncio

    from telegram.error import TelegramError

    s = settings()
    if s.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: sending needs the bot's token.")
    db = open_database(s)
    try:
        result = asyncio.run(_send_with_progress(s, db, cohort, week, show=not as_json))
    except (TelegramError, OSError) as exc:  # no traceback for the operator: one line, and the rows stay queued
        fail(f"Could not reach Telegram ({type(exc).__name__}: {exc}). The prompts stay queued; a running bot "
             "sends them, or run this command again.", code=1)
        return
    finally:
        db.close()
    if as_json:
        emit_json(result)
    else:
        by = "by this command" if result["sent_here"] else "by the running bot"
        typer.echo(f"Week {result['week']} of {result['cohort']}: sent {result['sent']} ({by}), "
                   f"already sent {result['already']}, blocked {result['blocked']}, failed {result['failed']}"
                   + (f", still queued {result['pending']}." if result["pending"] else "."))


async def _send_with_progress(s: Settings, db: Any, cohort: str, week: int | None, *, show: bool) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from bot.telegram.broadcast import Progress as Sent
    from bot.telegram.broadcast import send_now

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), disable=not show, transient=False)
    task = bar.add_task("Sending", total=None)

    def update(p: Sent) -> None:
        bar.update(task, total=p.total, completed=p.done, description=f"Sending (by {p.sender})")

    with bar:
        return await send_now(s, db, make_env(s), cohort, week, on_progress=update)


register_facilitator(cohort_app, app)  # after the commands above, so help lists them first
register_research(app)  # balint research …, balint export, balint role grant researcher
register_safety(app)  # balint safeguarding check|alerts, balint purge
register_keys(app)  # balint keys generate|rotate|status
register_web(app)  # balint web, balint web link
register_doctor(app)  # balint doctor
register_circles(app)  # balint circle create|list|show|close


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
