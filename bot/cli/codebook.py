"""``balint research codebook …`` (wiring only; see ``bot.cli.research``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, actor, codebook_app, echo_history, emit, friendly, study_of

ROUND = typer.Option(None, "--round", help="Round (default: the open or latest one).")


# ------------------------------------------------------------------------------------------ codebook


def _load(session: Any, env: Any, study_name: str | None, path: Path | None) -> dict[str, Any]:
    from bot.research import codebook_files
    from bot.research.errors import ResearchError

    study = study_of(session, study_name)
    if path is None:
        book, source = codebook_files.read_seed(), "seed: Ng, Seu & Cullum 2022"
    elif path.suffix.lower() == ".qdc":
        book, source = codebook_files.read_qdc_file(path), path.name
    elif path.suffix.lower() in (".csv", ".txt"):
        book, source = codebook_files.read_csv_file(path), path.name
    else:
        raise ResearchError(f"{path.name}: a codebook is a REFI-QDA .qdc file or a .csv")
    from bot.research.codebook import ensure_round
    from bot.research.codebook_undo import undoable

    with undoable(session, env, ensure_round(session, env, study), actor=actor(), what=f"load from {source}"):
        rnd, added, updated = codebook_files.load(session, env, study, book, actor=actor(), source=source)
    return {"study": study.name, "round": rnd.number, "added": added, "updated": updated, "source": source}


def _say_loaded(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(r)
    else:
        typer.echo(f"Round {r['round']} of {r['study']}: {r['added']} code(s) added, {r['updated']} updated "
                   f"(from {r['source']}).")


@codebook_app.command("seed")
@friendly
def seed_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Load the four themes of the seed study (Ng, Seu & Cullum 2022) into the open round (round 1 if new)."""
    _say_loaded(_run(_load, study, None), as_json)


@codebook_app.command("import")
@friendly
def import_command(path: Path = typer.Argument(..., help="A REFI-QDA .qdc codebook or a CSV."),
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Import codes into the open round: new codes are added, codes with the same path are updated."""
    _say_loaded(_run(_load, study, path), as_json)


def _list(session: Any, env: Any, study_name: str | None, number: int | None) -> dict[str, Any]:
    from bot.research import codebook

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    paths = codebook.paths(session, rnd)
    return {"study": study.name, "round": rnd.number, "open": rnd.closed_at is None, "codes": [
        {"id": c.id, "path": paths[c.id or 0], "colour": c.colour, "definition": c.definition, "inclusion": c.inclusion,
         "exclusion": c.exclusion, "example": c.example, "derived_from": _derived(session, c)}
        for c in codebook.codes(session, rnd)]}


def _derived(session: Any, code: Any) -> list[dict[str, Any]]:
    """The previous round's codes a code came from: id, round and path, as they were there."""
    from bot.research import codebook
    from storage.research_models import CodingRound, ResearchCode

    out = []
    for code_id in code.derived_from:
        old = session.get(ResearchCode, code_id)
        rnd = session.get(CodingRound, old.round_id) if old else None
        out.append({"id": code_id, "round": rnd.number if rnd else None,
                    "path": codebook.paths(session, rnd).get(code_id) if rnd else None})
    return out


@codebook_app.command("list")
@friendly
def list_command(study: str | None = STUDY, round_number: int | None = ROUND, as_json: bool = JSON) -> None:
    """List a round's codes."""
    r = _run(_list, study, round_number)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['round']} of {r['study']} ({'open' if r['open'] else 'closed'}): {len(r['codes'])} code(s)")
    for c in r["codes"]:
        definition = c["definition"] if len(c["definition"]) <= 70 else c["definition"][:69] + "…"
        typer.echo(f"{c['id']:>5}  {c['colour']}  {c['path']}\n       {definition}")


def _export(session: Any, env: Any, study_name: str | None, number: int | None, fmt: str, out: Path) -> dict[str, Any]:
    from bot.research import codebook, codebook_files
    from bot.research.errors import ResearchError
    from storage import repo

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    if fmt == "qdc":
        with out.open("wb") as fh:
            count = codebook_files.write_qdc_file(session, rnd, fh)
    elif fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            count = codebook_files.write_csv(session, rnd, fh)
    else:
        raise ResearchError(f"unknown codebook format {fmt!r}; choose qdc or csv")
    repo.audit(session=session, actor=actor(), action="research.codebook_export", study_id=study.id,
               at=env.clock.now(), round=rnd.number, format=fmt, codes=count, filename=out.name)
    return {"study": study.name, "round": rnd.number, "codes": count, "format": fmt, "out": str(out)}


@codebook_app.command("export")
@friendly
def export_command(out: Path = typer.Option(..., "--out", help="File to write."),
                   fmt: str = typer.Option("qdc", "--format", help="qdc (REFI-QDA) or csv."),
                   study: str | None = STUDY, round_number: int | None = ROUND, as_json: bool = JSON) -> None:
    """Write a round's codebook as a REFI-QDA .qdc file or a CSV."""
    r = _run(_export, study, round_number, fmt.lower(), out)
    if as_json:
        emit(r)
    else:
        typer.echo(f"Wrote {r['codes']} code(s) of round {r['round']} of {r['study']} to {r['out']}.")


def _edit(session: Any, env: Any, study_name: str | None, op: str, **kw: Any) -> dict[str, Any]:
    from bot.research.codebook_change import change

    return change(session, env, study_of(session, study_name), op, actor=actor(), **kw)


def _say_edit(r: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(r)
    else:
        names = [repr(n) for n in r["codes"]]
        if r["action"] == "rename":
            typer.echo(f"Round {r['round']} of {r['study']}: renamed {names[0]} to {names[1]}.")
            return
        if r["action"] == "split":
            typer.echo(f"Round {r['round']} of {r['study']}: split {names[0]} into {', '.join(names[1:])}.")
            return
        if r["action"] == "merge":
            typer.echo(f"Round {r['round']} of {r['study']}: merged {', '.join(names[1:])} into {names[0]}.")
            return
        if r["action"] == "move":
            where = f"under {names[1]}" if len(names) > 1 else "to the top level"
            typer.echo(f"Round {r['round']} of {r['study']}: moved {names[0]} {where}.")
            return
        if r["action"] == "delete":
            moved = f"; its codings moved to {names[1]}" if len(names) > 1 else ""
            typer.echo(f"Round {r['round']} of {r['study']}: deleted {names[0]}{moved}. (codebook undo puts it back)")
            return
        verb = {"add": "added", "edit": "changed", "merge": "merged into", "split": "split into"}[r["action"]]
        typer.echo(f"Round {r['round']} of {r['study']}: {verb} {', '.join(names)}.")


TEXT = {k: typer.Option(None, f"--{k}", help=f"The code's {k}.") for k in
        ("definition", "inclusion", "exclusion", "example", "colour")}


@codebook_app.command("add")
@friendly
def add_command(name: str = typer.Argument(..., help="The new code's name."),
                parent: str | None = typer.Option(None, "--parent", help="Put it under this code."),
                definition: str | None = TEXT["definition"], inclusion: str | None = TEXT["inclusion"],
                exclusion: str | None = TEXT["exclusion"], example: str | None = TEXT["example"],
                colour: str | None = TEXT["colour"], study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Add a code to the open round."""
    _say_edit(_run(_edit, study, "add", name=name, parent=parent, definition=definition, inclusion=inclusion,
                   exclusion=exclusion, example=example, colour=colour), as_json)


@codebook_app.command("edit")
@friendly
def edit_command(code: str = typer.Argument(..., help="Code id, path or name."),
                 name: str | None = typer.Option(None, "--name", help="A new name (a rename)."),
                 definition: str | None = TEXT["definition"], inclusion: str | None = TEXT["inclusion"],
                 exclusion: str | None = TEXT["exclusion"], example: str | None = TEXT["example"],
                 colour: str | None = TEXT["colour"], study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Rename a code or change its definition, criteria, example or colour (the history keeps the old ones)."""
    _say_edit(_run(_edit, study, "edit", code=code, name=name, definition=definition, inclusion=inclusion,
                   exclusion=exclusion, example=example, colour=colour), as_json)


@codebook_app.command("rename")
@friendly
def rename_command(code: str = typer.Argument(..., help="Code id, path or name."),
                   new_name: str = typer.Argument(..., help="Its new name."),
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Rename a code (the history keeps the old name)."""
    _say_edit(_run(_edit, study, "edit", code=code, name=new_name), as_json)


@codebook_app.command("merge")
@friendly
def merge_command(keep: str = typer.Argument(..., help="The code that stays."),
                  others: list[str] = typer.Argument(..., help="Codes merged into it."),
                  name: str | None = typer.Option(None, "--name", help="Rename the merged code."),
                  study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Merge codes into one; their codings in this round move to it."""
    _say_edit(_run(_edit, study, "merge", keep=keep, others=others, name=name), as_json)


@codebook_app.command("split")
@friendly
def split_command(code: str = typer.Argument(..., help="The code to split."),
                  into: list[str] = typer.Option(..., "--into", help="A new code's name (give --into twice or more)."),
                  study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Split a code into new ones (before it has codings in this round)."""
    _say_edit(_run(_edit, study, "split", code=code, into=into), as_json)


@codebook_app.command("move")
@friendly
def move_command(code: str = typer.Argument(..., help="Code id, path or name."),
                 under: str | None = typer.Option(None, "--under", help="The code to put it under (leave out for "
                                                  "the top level, as a theme)."),
                 study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Move a code (with its sub-codes) under another code, or to the top level."""
    _say_edit(_run(_edit, study, "move", code=code, parent=under), as_json)


@codebook_app.command("delete")
@friendly
def delete_command(code: str = typer.Argument(..., help="Code id, path or name."),
                   move_to: str | None = typer.Option(None, "--move-to", help="Move its codings in this round to "
                                                      "this code (needed when it has codings)."),
                   study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Delete a code from the open round (refused while it has codings, unless --move-to)."""
    _say_edit(_run(_edit, study, "delete", code=code, move_to=move_to), as_json)


def _undo(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research.codebook_change import undo_last

    return undo_last(session, env, study_of(session, study_name), actor=actor())


@codebook_app.command("undo")
@friendly
def undo_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Take back the last change to the open round's codebook (an edit, merge, split, delete, seed or import)."""
    r = _run(_undo, study)
    if as_json:
        emit(r)
    else:
        typer.echo(f"Round {r['round']} of {r['study']}: undid the last change ({r['undid']}).")


def _history(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from bot.research import codebook

    return codebook.history(session, study_of(session, study_name))


@codebook_app.command("history")
@friendly
def history_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Show every change to the codebook, round by round."""
    rows = _run(_history, study)
    if as_json:
        emit(rows)
        return
    echo_history(rows, "codes")
