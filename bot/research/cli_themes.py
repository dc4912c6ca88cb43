"""``balint research themes …``: themes per round, exemplar quotes and the theme report (wiring only)."""

from __future__ import annotations

from typing import Any

import typer

from bot.research.cli import JSON, STUDY, _run, actor, emit, friendly, research_app, study_of

themes_app = typer.Typer(help="Themes of a round (name, definition, codes), exemplar quotes, the theme report.",
                         no_args_is_help=True)
research_app.add_typer(themes_app, name="themes")

ROUND = typer.Option(None, "--round", help="Round (default: the open or latest one).")


def _open(session: Any, env: Any, study_name: str | None) -> tuple[Any, Any]:
    from bot.research import codebook
    from bot.research.queue import ResearchError

    study = study_of(session, study_name)
    rnd = codebook.open_round(session, study.id)
    if rnd is None:
        raise ResearchError(f"{study.name} has no open round: balint research themes seed (or codebook seed) "
                            "opens round 1")
    return study, rnd


def _seed(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research import themes

    study = study_of(session, study_name)
    rnd, added, codes = themes.seed(session, env, study, actor=actor())
    return {"study": study.name, "round": rnd.number, "themes_added": added, "codes_added": codes,
            "themes": len(themes.themes(session, env, rnd))}


@themes_app.command("seed")
@friendly
def seed_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Load the four themes of the seed study (Ng, Seu & Cullum 2022) and their example codes into the open round."""
    r = _run(_seed, study)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['round']} of {r['study']}: {r['themes_added']} theme(s) and {r['codes_added']} example "
               f"code(s) added; {r['themes']} theme(s) in all (from seed: Ng, Seu & Cullum 2022).")


def _list(session: Any, env: Any, study_name: str | None, number: int | None) -> dict[str, Any]:
    from bot.research import codebook, themes

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    paths = codebook.paths(session, rnd)
    return {"study": study.name, "round": rnd.number, "open": rnd.closed_at is None, "themes": [
        {"id": t.id, "name": t.name, "colour": t.colour, "definition": t.definition,
         "codes": [paths.get(c.id or 0, c.name) for c in themes.codes_of(session, t)]}
        for t in themes.themes(session, env, rnd, actor=actor())]}


@themes_app.command("list")
@friendly
def list_command(study: str | None = STUDY, round_number: int | None = ROUND, as_json: bool = JSON) -> None:
    """List a round's themes with their codes."""
    r = _run(_list, study, round_number)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['round']} of {r['study']} ({'open' if r['open'] else 'closed'}): "
               f"{len(r['themes'])} theme(s)")
    for t in r["themes"]:
        typer.echo(f"{t['id']:>5}  {t['name']}  ({len(t['codes'])} code(s))")
        for path in t["codes"]:
            typer.echo(f"       - {path}")
    if not r["themes"]:
        typer.echo("No themes yet: balint research themes seed, or themes add NAME.")


def _edit(session: Any, env: Any, study_name: str | None, op: str, **kw: Any) -> dict[str, Any]:
    from bot.research import codebook, themes

    study, rnd = _open(session, env, study_name)
    who = actor()
    if op == "add":
        theme = themes.add_theme(session, env, rnd, kw["name"], definition=kw["definition"] or "",
                                 colour=kw["colour"], actor=who)
        codes = themes.link(session, env, rnd, theme, [codebook.find_code(session, rnd, c) for c in kw["codes"]],
                            actor=who)
    else:
        theme = themes.find_theme(session, env, rnd, kw["theme"])
        if op == "edit":
            themes.edit_theme(session, env, rnd, theme, name=kw["name"], definition=kw["definition"], actor=who)
            codes = []
        elif op == "link":
            codes = themes.link(session, env, rnd, theme, [codebook.find_code(session, rnd, c) for c in kw["codes"]],
                                actor=who)
        elif op == "unlink":
            codes = themes.unlink(session, env, rnd, theme,
                                  [codebook.find_code(session, rnd, c) for c in kw["codes"]], actor=who)
        else:
            themes.remove_theme(session, env, rnd, theme, actor=who)
            codes = []
    return {"study": study.name, "round": rnd.number, "action": op, "theme": theme.name, "codes": codes}


def _say(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(r)
        return
    codes = ", ".join(repr(c) for c in r["codes"])
    head = f"Round {r['round']} of {r['study']}:"
    typer.echo({"add": f"{head} added the theme {r['theme']!r}" + (f" with {codes}." if codes else "."),
                "edit": f"{head} changed the theme {r['theme']!r}.",
                "link": f"{head} {codes or 'nothing new'} now part of {r['theme']!r}.",
                "unlink": f"{head} {codes} taken out of {r['theme']!r} (the codes stay in the codebook).",
                "remove": f"{head} removed the theme {r['theme']!r} (earlier rounds and the history keep it)."
                }[r["action"]])


CODES = typer.Argument(..., help="Codes: id, path (Theme/Sub-code) or name.")


@themes_app.command("add")
@friendly
def add_command(name: str = typer.Argument(..., help="The theme's name."),
                definition: str | None = typer.Option(None, "--definition", help="What the theme means."),
                code: list[str] = typer.Option([], "--code", help="A code that is part of it (repeat)."),
                colour: str | None = typer.Option(None, "--colour", help="#RRGGBB for the map."),
                study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Add a theme to the open round."""
    _say(_run(_edit, study, "add", name=name, definition=definition, codes=code, colour=colour), as_json)


@themes_app.command("edit")
@friendly
def edit_command(theme: str = typer.Argument(..., help="Theme id or name."),
                 name: str | None = typer.Option(None, "--name", help="A new name."),
                 definition: str | None = typer.Option(None, "--definition", help="A new definition."),
                 study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Rename a theme or change its definition (the history keeps the old ones)."""
    _say(_run(_edit, study, "edit", theme=theme, name=name, definition=definition), as_json)


@themes_app.command("link")
@friendly
def link_command(theme: str = typer.Argument(..., help="Theme id or name."), codes: list[str] = CODES,
                 study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Make codes part of a theme."""
    _say(_run(_edit, study, "link", theme=theme, codes=codes), as_json)


@themes_app.command("unlink")
@friendly
def unlink_command(theme: str = typer.Argument(..., help="Theme id or name."), codes: list[str] = CODES,
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Take codes out of a theme."""
    _say(_run(_edit, study, "unlink", theme=theme, codes=codes), as_json)


@themes_app.command("remove")
@friendly
def remove_command(theme: str = typer.Argument(..., help="Theme id or name."), study: str | None = STUDY,
                   as_json: bool = JSON) -> None:
    """Remove a theme from the open round."""
    _say(_run(_edit, study, "remove", theme=theme), as_json)


def _history(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from bot.research import themes

    return themes.history(session, study_of(session, study_name))


@themes_app.command("history")
@friendly
def history_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Show every change to the themes, round by round."""
    rows = _run(_history, study)
    if as_json:
        emit(rows)
        return
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("round", "at", "by", "action", "themes")}
        detail = ", ".join(f"{k}={v}" for k, v in extra.items() if v not in (None, ""))
        typer.echo(f"round {r['round']}  {r['at']}  {r['by']:<14} {r['action']:<7} {detail}")
