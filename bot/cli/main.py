"""The ``balint`` command line. Wiring only: parse, call the domain, print."""

from __future__ import annotations

import atexit
import gc
import os
import sys

import typer

from bot.cli import codebook, results, review, themes, transcripts  # noqa: F401  (they add commands to balint research)
from bot.cli.circles import register as register_circles
from bot.cli.cohorts import cohort_app
from bot.cli.cohorts import register as register_cohorts
from bot.cli.common import database, fail, friendly, settings
from bot.cli.doctor import register as register_doctor
from bot.cli.emulator import register as register_emulator
from bot.cli.keys import register as register_keys
from bot.cli.prompts import prompt_app
from bot.cli.research import register as register_research
from bot.cli.roles import role_app
from bot.cli.safety import register as register_safety
from bot.cli.web import register as register_web
from bot.runtime import VERBOSE_ENV, make_env

# At exit Python collects every object the imports made (SQLAlchemy, pydantic, Typer…) a few times over: about
# 0.1 s of a 0.5 s command. Frozen objects are skipped, and the process is ending: its memory goes back anyway.
# atexit handlers still run and buffers are still flushed; files and databases are closed by ``with`` blocks.
atexit.register(gc.freeze)

app = typer.Typer(help="balintbot: Balint-style reflective practice on Telegram.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def main_options(verbose: bool = typer.Option(False, "--verbose", "-v",
                                              help="Also show the libraries' log lines (Alembic, Telegram…).")) -> None:
    """balintbot: Balint-style reflective practice on Telegram."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cohort_app, name="cohort")
app.add_typer(prompt_app, name="prompt")
app.add_typer(role_app, name="role")


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
    with database(s) as db:
        try:
            asyncio.run(serve(s, db, make_env(s), webhook=webhook))
            sys.stderr.flush()
        except BotStopped:  # the reason is already logged, as one line
            raise typer.Exit(1) from None


@app.command()
@friendly
def sandbox(
    name: str = typer.Option("Student", help="Your first name in the sandbox."),
    role: str = typer.Option("student", "--as", help="student (a fresh sandbox cohort), circle (present in a "
                             "Balint circle of simulated members), or facilitator or researcher (on the demo "
                             "placement: run balint demo first)."),
) -> None:
    """Try the bot in the terminal as a student, in a circle, as a facilitator or researcher, without Telegram."""
    from bot.sandbox_roles import ROLES

    if role.lower() not in ROLES:
        fail(f"--as takes {', '.join(ROLES)}; {role!r} isn't one of them.")
    if role.lower() == "student":
        from bot.sandbox import run_sandbox

        run_sandbox(name=name)
        return
    if role.lower() == "circle":
        from bot.sandbox_circle import run_circle_sandbox

        run_circle_sandbox(name=name)
        return
    from bot.sandbox_roles import run_role_sandbox

    s = settings()
    with database(s) as db:
        ran = run_role_sandbox(role.lower(), db, make_env(s))
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
    with database(s) as db:
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
    typer.echo("Next:\n"
               "  balint sandbox --as facilitator    the console: /stats, /schedule, /preview 3 …\n"
               "  balint sandbox --as researcher     code in chat as C1: /code\n"
               "  balint sandbox                     the student journey\n"
               "  balint research status             the study: queue, round, coders\n"
               "  balint export --format csv --out demo.csv\n"
               "  balint research themes seed        then: balint research themes report --out themes.md")


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply the database migrations."""
    s = settings()
    from storage.migrate import upgrade

    upgrade(s.database_url)
    typer.echo("Database is at the current schema.")


register_cohorts(app)  # balint cohort facilitator-link|schedule|pause|resume, balint stats
register_research(app)  # balint research …, balint role grant researcher
results.register(app)  # balint export
register_safety(app)  # balint safeguarding check|alerts, balint purge
register_keys(app)  # balint keys generate|rotate|status
register_web(app)  # balint web, balint web link
register_doctor(app)  # balint doctor
register_emulator(app)  # balint emulator
register_circles(app)  # balint circle create|list|show|close


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
