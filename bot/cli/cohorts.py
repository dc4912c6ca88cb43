"""``balint cohort create / list / facilitator-link / schedule / pause / resume`` and ``balint stats``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import bot_username, database, emit_json, friendly, settings
from bot.runtime import make_env

cohort_app = typer.Typer(help="Cohorts: create, list, invite links.", no_args_is_help=True)
DEFAULT_STUDY = "Default study"  # the study of cohorts created without --study, when there is no other


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
    from bot.core.scheduling.schedule import parse_date, parse_time, parse_weekday
    from bot.core.student.enrolment import CohortIn, create_cohort

    s = settings()
    from storage import research_repo

    named = study
    env = make_env(s)
    env.bot_username = bot_username(s)
    with database(s) as db:
        if study is None:  # a study is where consented reflections go for research: name one rather than refuse later
            studies = db.call(lambda session: [x.name for x in research_repo.list_studies(session=session)])
            study = studies[0] if len(studies) == 1 else DEFAULT_STUDY
        data = CohortIn(name=name, start_date=parse_date(start), weeks=weeks, weekday=parse_weekday(day),
                        send_time=parse_time(time), timezone=tz, study=study)
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


@cohort_app.command("list")
@friendly
def cohort_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List cohorts."""
    from bot.core.scheduling.cohorts import cohort_rows

    with database() as db:
        rows = db.call(cohort_rows)
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


@contextmanager
def _open() -> Iterator[tuple[Any, Any, Any]]:
    """Settings, the database (closed however the block ends) and the environment."""
    s = settings()
    with database(s) as db:
        yield s, db, make_env(s)


def _find(session: Any, ref: str) -> Any:
    from bot.core.scheduling.cohorts import find_cohort
    from bot.core.scheduling.schedule import ScheduleError

    cohort = find_cohort(session, ref)
    if cohort is None:
        raise ScheduleError(f"no cohort {ref!r}: `balint cohort list` shows ids and names")
    return cohort


def link_policy(rotate: bool, single_use: bool, expires_in: str | None) -> Any:
    """The policy of a new link from the CLI options, or None to keep the current link."""
    from datetime import UTC, datetime

    from bot.core.facilitator.role_links import LinkPolicy, parse_valid_for

    if not (rotate or single_use or expires_in):
        return None
    expires_at = datetime.now(UTC) + parse_valid_for(expires_in) if expires_in else None
    return LinkPolicy(expires_at=expires_at, single_use=single_use)


ROTATE = typer.Option(False, "--rotate", help="Make a new link; every earlier link stops working.")
SINGLE_USE = typer.Option(False, "--single-use", help="Make a new link that works for one person only.")
EXPIRES_IN = typer.Option(None, "--expires-in", help="Make a new link that stops working after e.g. 48h or 7d.")


@friendly
def facilitator_link(
    cohort: str = typer.Argument(..., help="Cohort id or name."),
    rotate: bool = ROTATE,
    single_use: bool = SINGLE_USE,
    expires_in: str | None = EXPIRES_IN,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the link that makes whoever opens it a facilitator of the cohort (or make a new one)."""
    from datetime import UTC, datetime

    from bot.core.facilitator import facilitator_roles, role_links
    from bot.core.student.enrolment import FACILITATOR_PREFIX

    policy = link_policy(rotate, single_use, expires_in)
    with _open() as (s, db, env):
        found = db.call(facilitator_roles.facilitator_link, cohort, policy)
    env.bot_username = bot_username(s)
    link = env.invite_link(f"{FACILITATOR_PREFIX}{found.facilitator_code}")
    now = datetime.now(UTC)
    current = role_links.facilitator_policy(found)
    if as_json:
        emit_json({"id": found.id, "name": found.name, "facilitator_link": link, "rotated": policy is not None,
                   "single_use": current.single_use,
                   "expires_at": current.expires_at.isoformat() if current.expires_at else None,
                   "expired": role_links.is_expired(current.expires_at, now)})
        return
    head = "New facilitator link" if policy is not None else "Facilitator link"
    typer.echo(f"{head} for {found.name} (id {found.id}; {role_links.describe(current, now)}). Whoever opens it "
               f"becomes a facilitator of this cohort, so send it only to them:\n{link}")
    if policy is not None:
        typer.echo("Every earlier facilitator link of this cohort has stopped working; facilitators who joined "
                   "by one keep their role (balint role revoke facilitator takes it away).")
    elif role_links.is_expired(current.expires_at, now):
        typer.echo("This link has expired: make a new one with --rotate (or --expires-in / --single-use).")


@friendly
def schedule(
    cohort: str = typer.Argument(..., help="Cohort id or name."),
    day: str | None = typer.Option(None, help="Weekday prompts go out: mon … sun."),
    time: str | None = typer.Option(None, help="Local time prompts go out, HH:MM."),
    tz: str | None = typer.Option(None, help="IANA time zone, e.g. Europe/London."),
    weeks: int | None = typer.Option(None, help="Number of weekly prompts (1–52)."),
    start: str | None = typer.Option(None, help="First day of the placement, YYYY-MM-DD."),
    quiet: str | None = typer.Option(None, help="Quiet hours START-END, e.g. 22:00-07:00, or off."),
    reminder_hours: int | None = typer.Option(None, help="Hours after the prompt for the one reminder; 0 = none."),
    plan: str | None = typer.Option(None, help="Templates from prompts/plan/, comma-separated, or default."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a cohort's schedule, or change it (the running bot follows within half a minute)."""
    from bot.core.scheduling.cohort_schedule import (
        ScheduleChange,
        change_schedule,
        describe,
        parse_plan,
        parse_quiet,
        schedule_lines,
    )
    from bot.core.scheduling.schedule import parse_date, parse_time, parse_weekday

    change = ScheduleChange(
        start_date=parse_date(start) if start else None, weeks=weeks,
        weekday=parse_weekday(day) if day else None, send_time=parse_time(time) if time else None, timezone=tz,
        quiet=parse_quiet(quiet) if quiet else None, reminder_hours=reminder_hours,
        plan=parse_plan(plan) if plan is not None else None)
    with _open() as (_, db, env):

        def run(session: Any) -> tuple[list[str], dict[str, Any]]:
            found = _find(session, cohort)
            said = [] if change.empty() else change_schedule(session, env, found, change, actor="cli")
            return said, describe(session, env, found)

        said, data = db.call(run)
    if as_json:
        emit_json({**data, "changed": said})
        return
    if not change.empty():
        typer.echo(f"Changed: {', '.join(said)}." if said else "Nothing changed: the schedule was already that.")
    typer.echo("\n".join(schedule_lines(data)))


def _set_status(cohort: str, paused: bool) -> None:
    from bot.core.scheduling.cohort_schedule import set_status
    from storage.models import CohortStatus

    with _open() as (_, db, env):

        def run(session: Any) -> tuple[str, bool, str]:
            found = _find(session, cohort)
            if found.status == CohortStatus.CLOSED:
                return found.name, False, "closed"
            changed = set_status(session, env, found, CohortStatus.PAUSED if paused else CohortStatus.OPEN, actor="cli")
            return found.name, changed, found.status

        name, changed, status = db.call(run)
    if status == "closed":
        typer.echo(f"{name} is closed; it can't be paused or resumed.", err=True)
        raise typer.Exit(1)
    verb = "paused" if paused else "resumed"
    typer.echo(f"{name} {verb}." if changed else f"{name} was already {'paused' if paused else 'running'}.")


@friendly
def pause(cohort: str = typer.Argument(..., help="Cohort id or name.")) -> None:
    """Pause a cohort: no prompts or reminders until it is resumed."""
    _set_status(cohort, True)


@friendly
def resume(cohort: str = typer.Argument(..., help="Cohort id or name.")) -> None:
    """Resume a paused cohort (a week due while paused goes out only within the grace window)."""
    _set_status(cohort, False)


@friendly
def stats(
    cohort: str = typer.Option(..., "--cohort", help="Cohort id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    chart: Path | None = typer.Option(None, help="Also write the chart as a PNG file here."),
) -> None:
    """Participation per week: invited, consented, prompted, replied, completed, unreachable, declined."""
    from bot.core.facilitator import stats as participation

    with _open() as (_, db, env):

        def run(session: Any) -> tuple[Any, list[Any]]:
            found = _find(session, cohort)
            return found, participation.cohort_stats(session, env, found)

        found, rows = db.call(run)
    if chart is not None:
        chart.write_bytes(participation.chart_png(found.name, rows))
    if as_json:
        emit_json(participation.as_json(found, rows))
        return
    typer.echo(f"{found.name} (id {found.id})")
    typer.echo(participation.table_text(rows) if rows else "No prompt has fallen due or been sent yet.")
    if chart is not None:
        typer.echo(f"Chart written to {chart}")


def register(app: typer.Typer) -> None:
    """Add these commands to ``balint cohort`` and ``balint``."""
    cohort_app.command("facilitator-link")(facilitator_link)
    cohort_app.command("schedule")(schedule)
    cohort_app.command("pause")(pause)
    cohort_app.command("resume")(resume)
    app.command("stats")(stats)
