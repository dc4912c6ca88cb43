"""``balint research themes …``: themes per round, exemplar quotes and the theme report (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, actor, echo_history, emit, friendly, research_app, study_of

themes_app = typer.Typer(help="Themes of a round (name, definition, codes), exemplar quotes, the theme report.",
                         no_args_is_help=True)
research_app.add_typer(themes_app, name="themes")

ROUND = typer.Option(None, "--round", help="Round (default: the open or latest one).")


def _open(session: Any, env: Any, study_name: str | None) -> tuple[Any, Any]:
    from bot.research import codebook
    from bot.research.errors import ResearchError

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
    echo_history(rows, "themes")


# ------------------------------------------------------------------------------------------- exemplars


def _passages(session: Any, env: Any, study_name: str | None, number: int | None, code: str | None,
              exemplars_only: bool) -> dict[str, Any]:
    from bot.research import codebook, themes
    from storage import research_repo, theme_repo
    from storage.research_models import Coder, ResearchParticipant

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    paths = codebook.paths(session, rnd)
    wanted = codebook.find_code(session, rnd, code).id if code else None
    rows = []
    for coding, assignment in theme_repo.codings_of_round(session=session, round_id=rnd.id or 0, code_id=wanted):
        item = research_repo.get_item(session=session, item_id=assignment.item_id)
        if item is None or item.excluded_at is not None:
            continue
        mark = theme_repo.exemplar_of(session=session, coding_id=coding.id or 0)
        if exemplars_only and mark is None:
            continue
        coder = session.get(Coder, assignment.coder_id)
        person = session.get(ResearchParticipant, item.participant_id)
        rows.append({"coding": coding.id, "item": item.id, "pseudonym": person.pseudonym if person else None,
                     "week": item.week, "coder": coder.label if coder else None,
                     "code": paths.get(coding.code_id, "?"), "passage": coding.start is not None,
                     "quote": themes.quote_of(item, coding), "exemplar": mark is not None,
                     "note": mark.note if mark else None})
    return {"study": study.name, "round": rnd.number, "passages": rows}


@themes_app.command("passages")
@friendly
def passages_command(code: str | None = typer.Option(None, "--code", help="Only this code (id, path or name)."),
                     exemplars: bool = typer.Option(False, "--exemplars", help="Only those marked as exemplars."),
                     study: str | None = STUDY, round_number: int | None = ROUND, as_json: bool = JSON) -> None:
    """List coded passages (redacted) with their coding number, to mark exemplars."""
    r = _run(_passages, study, round_number, code, exemplars)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['round']} of {r['study']}: {len(r['passages'])} coded passage(s)")
    for p in r["passages"]:
        quote = p["quote"] if len(p["quote"]) <= 100 else p["quote"][:99] + "…"
        star = " ★ exemplar" if p["exemplar"] else ""
        typer.echo(f"#{p['coding']:<5} {p['pseudonym']} · week {p['week']} · item #{p['item']} · {p['coder']} · "
                   f"{p['code']}{star}\n       «{quote}»")


def _exemplar(session: Any, env: Any, study_name: str | None, coding_id: int, note: str | None,
              undo: bool) -> dict[str, Any]:
    from bot.research import codebook, themes
    from bot.research.errors import ResearchError
    from storage import research_repo
    from storage.research_models import Assignment, Coder, CodingRound, ResearchCoding

    study = study_of(session, study_name)
    coding = session.get(ResearchCoding, coding_id)
    assignment = session.get(Assignment, coding.assignment_id) if coding else None
    rnd = session.get(CodingRound, assignment.round_id) if assignment else None
    item = research_repo.get_item(session=session, item_id=assignment.item_id) if assignment else None
    if coding is None or assignment is None or rnd is None or rnd.study_id != study.id or item is None \
            or item.excluded_at is not None:
        raise ResearchError(f"{study.name} has no coded passage #{coding_id} (see balint research themes passages)")
    coder = session.get(Coder, assignment.coder_id)
    assert coder is not None
    if undo:
        changed = themes.unmark_exemplar(session, env, coding, actor=actor())
    else:
        changed = True
        themes.mark_exemplar(session, env, coding, coder, note=note, actor=actor())
    return {"study": study.name, "round": rnd.number, "coding": coding_id, "exemplar": not undo,
            "changed": changed, "code": codebook.paths(session, rnd).get(coding.code_id, "?"),
            "quote": themes.quote_of(item, coding)}


@themes_app.command("exemplar")
@friendly
def exemplar_command(coding: int = typer.Argument(..., help="The coded passage's number (themes passages)."),
                     note: str | None = typer.Option(None, "--note", help="Why it is a good example."),
                     undo: bool = typer.Option(False, "--undo", help="Take the exemplar mark off instead."),
                     study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Mark a coded passage as an exemplar quote for the theme report (or --undo the mark)."""
    r = _run(_exemplar, study, coding, note, undo)
    if as_json:
        emit(r)
        return
    quote = r["quote"] if len(r["quote"]) <= 100 else r["quote"][:99] + "…"
    if undo:
        typer.echo(f"Passage #{r['coding']} ({r['code']}) is no longer an exemplar." if r["changed"]
                   else f"Passage #{r['coding']} was not marked as an exemplar; nothing changed.")
    else:
        typer.echo(f"Passage #{r['coding']} ({r['code']}) is an exemplar quote of round {r['round']}: «{quote}»")


# ---------------------------------------------------------------------------------------------- report


def _report(session: Any, env: Any, study_name: str | None, number: int | None, fmt: str, out: Path | None,
            map_path: Path | None) -> dict[str, Any]:
    from bot.research import codebook, theme_render, theme_report
    from bot.research.errors import ResearchError
    from storage import repo

    if fmt not in theme_render.FORMATS:
        raise ResearchError(f"unknown report format {fmt!r}; choose md, html or docx")
    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    report = theme_report.build(session, env, study, rnd)
    if not report.themes:
        raise ResearchError(f"round {rnd.number} of {study.name} has no themes yet: balint research themes seed, "
                            "or themes add NAME")
    out = out or Path(f"themes-round-{rnd.number}.{fmt}")
    map_path = map_path or out.with_suffix(".png")
    png = theme_render.theme_map_png(report)
    map_path.write_bytes(png)
    with out.open("wb") as fh:
        theme_render.WRITERS[fmt](report, png, fh, map_path.name)
    repo.audit(session=session, actor=actor(), action="research.theme_report", study_id=study.id,
               at=env.clock.now(), round=rnd.number, format=fmt, filename=out.name,
               quotes=sum(len(t.quotes) for t in report.themes))
    return {"study": study.name, "round": rnd.number, "format": fmt, "out": str(out), "map": str(map_path),
            "themes": [{"theme": t.name, "items": len(t.prevalence.items),
                        "participants": len(t.prevalence.participants), "weeks": len(t.prevalence.weeks),
                        "codes": len(t.codes), "quotes": len(t.quotes)} for t in report.themes]}


@themes_app.command("report")
@friendly
def report_command(round_number: int | None = ROUND,
                   fmt: str = typer.Option("md", "--format", help="md, html or docx."),
                   out: Path | None = typer.Option(None, "--out", help="File to write (default themes-round-N.FMT)."),
                   map_path: Path | None = typer.Option(None, "--map", help="Where to save the theme map PNG "
                                                                              "(default: beside the report)."),
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """The theme report of a round: definitions, codes, prevalence, exemplar quotes, agreement, the theme map."""
    r = _run(_report, study, round_number, fmt.lower(), out, map_path)
    if as_json:
        emit(r)
        return
    typer.echo(f"Wrote the theme report of round {r['round']} of {r['study']} to {r['out']} (map: {r['map']}).")
    typer.echo(f"{'theme':<32} {'items':>5} {'participants':>12} {'weeks':>5} {'codes':>5} {'quotes':>6}")
    for t in r["themes"]:
        typer.echo(f"{t['theme'][:32]:<32} {t['items']:>5} {t['participants']:>12} {t['weeks']:>5} "
                   f"{t['codes']:>5} {t['quotes']:>6}")
