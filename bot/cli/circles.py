"""``balint circle create|list|show|close``: Balint circles from the command line (wiring only).

``bot.cli`` calls ``register(app)``; nothing from ``bot.cli`` is imported at module level.
"""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import call, friendly

circle_app = typer.Typer(help="Balint circles: asynchronous Balint groups of 4–10 students and a leader.",
                         no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _emit(data: Any) -> None:
    from bot.cli.common import emit_json

    emit_json(data)


@circle_app.command("create")
@friendly
def create(
    cohort: str = typer.Argument(..., help="Cohort id or name."),
    name: str = typer.Option(..., "--name", help="The circle's name, as members will see it."),
    leader: int = typer.Option(..., "--leader", help="The leader's Telegram id (the facilitator, or who they name)."),
    student: list[int] = typer.Option(..., "--student", help="A student's Telegram id; repeat for 4–10 students."),
    starts: str | None = typer.Option(None, "--starts", help="Date of week 1 (YYYY-MM-DD); default: cohort start."),
    weeks: int = typer.Option(5, "--weeks", help="How many weeks the circle runs."),
    rhythm: str | None = typer.Option(None, "--rhythm", help="e.g. 'open=sat 10:00,case=mon 20:00,questions=tue "
                                                             "20:00,discussion=thu 20:00,response=fri 20:00'."),
    aliases: bool = typer.Option(False, "--aliases", help="Attribute posts by circle alias, not first name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a circle and send each member the invitation (the third consent) when the bot next runs."""
    from bot.core.circles.rhythm import parse_rhythm
    from bot.core.circles.setup import CircleError, CircleIn, first_opening
    from bot.core.circles.setup import create as create_circle
    from bot.core.scheduling.schedule import ScheduleError, parse_date

    try:
        data = CircleIn(cohort=cohort, name=name, leader=leader, students=list(student),
                        starts_on=parse_date(starts) if starts else None, weeks=weeks,
                        rhythm=parse_rhythm(rhythm), aliases=aliases)
        circle, opens = call(lambda session, env: (c := create_circle(session, env, data),
                                                   first_opening(session, c)))
    except (CircleError, ScheduleError) as exc:
        _fail(f"Error: {exc}")
    result = {"id": circle.id, "name": circle.name, "invited": len(set(student)) + 1, "opens": opens,
              "starts_on": circle.starts_on.isoformat(), "weeks": circle.weeks, "rhythm": circle.rhythm}
    if as_json:
        _emit(result)
        return
    typer.echo(f"Circle {circle.id} {circle.name!r} created: {result['invited']} invitations (the leader and "
               f"{len(set(student))} students) go out when the bot next runs.")
    typer.echo(f"Week 1 opens {opens}; rhythm: " + ", ".join(f"{k} {v}" for k, v in circle.rhythm.items()))


@circle_app.command("list")
@friendly
def list_circles(
    cohort: str | None = typer.Option(None, "--cohort", help="Only this cohort (id or name)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List circles with how many students joined, declined or were not answered yet."""
    from bot.core.circles.setup import list_rows

    rows = call(lambda session, _env: list_rows(session, cohort))
    if as_json:
        _emit(rows)
        return
    if not rows:
        typer.echo("No circles yet: `balint circle create` makes one.")
        return
    typer.echo(f"{'id':>3}  {'name':<20} {'cohort':<24} {'weeks':>5}  joined declined invited  status")
    for r in rows:
        typer.echo(f"{r['id']:>3}  {r['name'][:20]:<20} {r['cohort'][:24]:<24} {r['weeks']:>5}  "
                   f"{r['joined']:>6} {r['declined']:>8} {r['invited']:>7}  {r['status']}")


@circle_app.command("show")
@friendly
def show(
    circle: str = typer.Argument(..., help="Circle id or name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a circle's members and weeks: who presented, posted and received posts — never what was written."""
    from bot.core.circles import setup

    def view(session: Any, env: Any) -> Any:
        found = setup.find(session, circle)
        return None if found is None else setup.show(session, env, found)

    data = call(view)
    if data is None:
        _fail(f"Error: no circle {circle!r}: `balint circle list` shows them")
    if as_json:
        _emit(data)
        return
    typer.echo(f"Circle {data['id']} {data['name']!r} · cohort {data['cohort']} · {data['status']} · "
               f"{data['weeks']} weeks from {data['starts_on']} ({data['timezone']}) · by {data['attribution']}")
    typer.echo(f"  {'member':<16} {'role':<7} {'status':<9} presented posts received")
    for m in data["members"]:
        who = m["name"] + (f" ({m['alias']})" if m["alias"] else "")
        typer.echo(f"  {who[:16]:<16} {m['role']:<7} {m['status']:<9} {'yes' if m['presented'] else 'no':>9} "
                   f"{m['posts']:>5} {m['received']:>8}")
    for w in data["weeks_run"]:
        typer.echo(f"  week {w['week']}: {w['phase']}, {w['posts']} posts"
                   + (f", presenter {w['presenter']}" if w["presenter"] else ""))


@circle_app.command("close")
@friendly
def close(circle: str = typer.Argument(..., help="Circle id or name.")) -> None:
    """Close a circle for good; its members are told. Its record stays (for the participation view)."""
    from bot.core.circles import setup

    def do(session: Any, env: Any) -> int | None:
        found = setup.find(session, circle)
        return None if found is None else setup.close(session, env, found)

    try:
        told = call(do)
    except setup.CircleError as exc:
        _fail(f"Error: {exc}")
    if told is None:
        _fail(f"Error: no circle {circle!r}: `balint circle list` shows them")
    typer.echo(f"Circle {circle} closed; {told} members will be told when the bot next runs.")


def register(app: typer.Typer) -> None:
    """Mount ``balint circle``."""
    app.add_typer(circle_app, name="circle")
