"""``balint research disagreements|settle|agreement|coders|exports|withdrawals`` and ``balint export``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, actor, emit, friendly, research_app, study_of


def _disagreements(session: Any, env: Any, study_name: str | None, number: int | None,
                   settled: bool) -> dict[str, Any]:
    from bot.research import codebook, compare

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    return {"study": study.name, "round": rnd.number,
            "items": compare.disagreements(session, rnd, include_settled=settled)}


@research_app.command("disagreements")
@friendly
def disagreements_command(study: str | None = STUDY,
                          round_number: int | None = typer.Option(None, "--round", help="Round (default: latest)."),
                          settled: bool = typer.Option(False, "--all", help="Include those settled already."),
                          as_json: bool = JSON) -> None:
    """List items whose coders finished with different codes, waiting to be settled."""
    r = _run(_disagreements, study, round_number, settled)
    if as_json:
        emit(r)
        return
    if not r["items"]:
        typer.echo(f"Round {r['round']} of {r['study']}: no disagreements waiting.")
        return
    typer.echo(f"Round {r['round']} of {r['study']}: {len(r['items'])} disagreement(s)")
    for d in r["items"]:
        coders = "; ".join(f"{k}: {', '.join(v) or '(none)'}" for k, v in d["by_coder"].items())
        agreed = f" → settled: {', '.join(d['settled']) or '(no codes)'}" if d["settled"] is not None else ""
        agreed += f" ({d['note']})" if d["note"] else ""
        typer.echo(f"#{d['item']} week {d['week']} {d['step']}: differ on {', '.join(d['differing'])} — "
                   f"{coders}{agreed}")
    typer.echo("Settle one with: balint research settle ITEM --codes 'Code A;Code B' (or --accept CODER)")


def _settle(session: Any, env: Any, study_name: str | None, item_id: int, codes: str | None, accept: str | None,
            note: str | None) -> dict[str, Any]:
    from bot.research import codebook, compare
    from bot.research.errors import ResearchError
    from storage import coding_repo, research_repo

    study = study_of(session, study_name)
    rnd = codebook.open_round(session, study.id)
    if rnd is None:
        raise ResearchError(f"{study.name} has no open round")
    item = research_repo.get_item(session=session, item_id=item_id)
    if item is None or item.study_id != study.id or item.excluded_at is not None:
        raise ResearchError(f"item {item_id} is not in the queue of {study.name}")
    if (codes is None) == (accept is None):
        raise ResearchError("give either --codes 'A;B' (whole-item codes agreed) or --accept CODER")
    coder = None
    code_ids: list[int] = []
    if accept is not None:
        coder = coding_repo.get_coder_by_label(session=session, study_id=study.id, label=accept)
        if coder is None:
            raise ResearchError(f"{study.name} has no coder {accept!r}")
    else:
        code_ids = [codebook.find_code(session, rnd, ref).id or 0 for ref in (codes or "").split(";") if ref.strip()]
    compare.settle(session, env, rnd, item, code_ids=code_ids, accept=coder, actor=actor(), note=note)
    return {"study": study.name, "round": rnd.number, "item": item_id,
            "agreed": _agreed_names(session, rnd, item_id)}


def _agreed_names(session: Any, rnd: Any, item_id: int) -> list[str]:
    from bot.research import codebook
    from storage import coding_repo

    names = codebook.paths(session, rnd)
    settlement = coding_repo.get_settlement(session=session, round_id=rnd.id, item_id=item_id)
    rows = coding_repo.agreed_codings(session=session, settlement_id=settlement.id or 0) if settlement else []
    return [names.get(g.code_id, "?") + ("" if g.start is None else f" [{g.start}:{g.end}]") for g in rows]


@research_app.command("settle")
@friendly
def settle_command(
    item: int = typer.Argument(..., help="Item number (from balint research disagreements)."),
    codes: str | None = typer.Option(None, "--codes", help="Agreed whole-item codes, separated by ';'."),
    accept: str | None = typer.Option(None, "--accept", help="Take this coder's coding, passages included."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the settlement)."),
    study: str | None = STUDY,
    as_json: bool = JSON,
) -> None:
    """Settle a disagreement into an agreed coding (each coder's own coding is kept)."""
    r = _run(_settle, study, item, codes, accept, note)
    if as_json:
        emit(r)
        return
    typer.echo(f"Item #{r['item']} settled in round {r['round']}: {'; '.join(r['agreed']) or '(no codes)'}.")


def _agreement(session: Any, env: Any, study_name: str | None, number: int | None) -> tuple[Any, str, int]:
    from bot.research import codebook, compare

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    return compare.round_agreement(session, rnd), study.name, rnd.number


@research_app.command("agreement")
@friendly
def agreement_command(
    round_number: int | None = typer.Option(None, "--round", help="Round (default: latest)."),
    from_file: Path | None = typer.Option(None, "--from", help="Codings made elsewhere: a CSV with item,coder,code"
                                          "[,start,end] or a .qdpx from NVivo, ATLAS.ti, MAXQDA or QualCoder."),
    coders: str | None = typer.Option(None, "--coders", help="With --from: compare only these coders "
                                      "(comma-separated), e.g. to leave out the 'Agreed' user of our own .qdpx."),
    study: str | None = STUDY,
    as_json: bool = JSON,
) -> None:
    """Inter-coder agreement per code and overall: % agreement, Cohen's kappa, Krippendorff's alpha, characters."""
    from bot.research.agreement import compute_agreement, format_table, report_to_rows
    from bot.research.agreement.io import load_file

    if from_file is not None:
        loaded = load_file(from_file)
        codings = loaded.codings
        chosen = [c.strip() for c in coders.split(",") if c.strip()] if coders else None
        if chosen:
            found = {c.coder for c in codings}
            missing = [c for c in chosen if c not in found]
            if missing:
                from bot.research.errors import ResearchError

                known = ", ".join(sorted(found))
                raise ResearchError(f"{from_file.name} has no coder {missing[0]!r} (coders: {known})")
        # our own exports say who finished each item, so the figures are the database's (see the guide)
        report = compute_agreement(codings, item_lengths=loaded.lengths, coders=chosen or loaded.coders,
                                   items=loaded.items, codes=loaded.codes, reviewed=loaded.reviewed)
        title = f"Agreement in {from_file.name}"
    else:
        report, name, number = _run(_agreement, study, round_number)
        title = f"Agreement in round {number} of {name}"
    if as_json:
        emit({"title": title, "items": report.items, "coders": list(report.coders), "rows": report_to_rows(report)})
        return
    typer.echo(title)
    typer.echo(format_table(report))


def _coders(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from storage import coding_repo

    study = study_of(session, study_name)
    return [{"coder": c.label, "independent": c.independent, "since": c.created_at.isoformat(timespec="seconds")}
            for c in coding_repo.coders_of(session=session, study_id=study.id)]


@research_app.command("coders")
@friendly
def coders_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """List the study's coders (by label; Telegram ids stay with `balint role list`)."""
    rows = _run(_coders, study)
    if as_json:
        emit(rows)
        return
    if not rows:
        typer.echo("No coders yet: balint role grant researcher --telegram-id N --study NAME")
    for r in rows:
        kind = "independent" if r["independent"] else "study team"
        typer.echo(f"{r['coder']:<12} {kind:<12} since {r['since'][:10]}")


def _export_log(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from bot.research.exports import export_log

    return export_log(session, study_of(session, study_name))


@research_app.command("exports")
@friendly
def exports_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """List every export made: who, when, round, rows, SHA-256 and which participants it held."""
    rows = _run(_export_log, study)
    if as_json:
        emit(rows)
        return
    if not rows:
        typer.echo("No exports yet.")
    for r in rows:
        gone = (r["left_out"] or {}).get("items", 0)
        typer.echo(f"#{r['export']} {r['at']} {r['by']} {r['format']} round {r['round']}: {r['rows']} row(s), "
                   f"{len(r['participants'])} participant(s), sha256 {r['sha256']}"
                   + (f", {gone} withdrawn item(s) left out" if gone else ""))


def _withdrawals(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from bot.research.queue import withdrawals

    return withdrawals(session, study_of(session, study_name))


@research_app.command("withdrawals")
@friendly
def withdrawals_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Who left the research (consent withdrawn or erased) and which earlier exports already held their words."""
    rows = _run(_withdrawals, study)
    if as_json:
        emit(rows)
        return
    if not rows:
        typer.echo("Nobody has left the research.")
    for r in rows:
        held = ", ".join(f"#{h['export']} ({h['format']}, {h['at'][:10]}, sha256 {h['sha256'][:12]}…)"
                         for h in r["held_by_exports"]) or "none"
        count = f", {r['items']} item(s)" if r["items"] is not None else ""
        later = ", ".join(f"#{e}" for e in r.get("left_out_of", [])) or "none yet"
        typer.echo(f"{r['at']} {', '.join(r['participants'])} {r['what']}{count}; earlier exports holding them: "
                   f"{held}" + (f"; later exports of closed rounds leaving them out: {later}"
                                if r["what"] != "came back" else ""))


def _export(session: Any, env: Any, study_name: str | None, fmt: str, number: int | None, out: Path,
            progress: bool, documents: str) -> dict[str, Any]:
    from bot.research.errors import ResearchError
    from bot.research.exports import FORMATS, export
    from storage import coding_repo, research_repo

    if fmt.lower() not in FORMATS:
        raise ResearchError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    study = study_of(session, study_name)
    if number is None and not coding_repo.rounds_of(session=session, study_id=study.id):
        from bot.research.export_queue import export_queue  # no codebook yet: the queue, without codings

        part = out.with_name(out.name + ".part")
        with part.open("wb") as fh:
            try:
                queued = export_queue(session, env, study, fmt, fh, actor=actor(), filename=out.name)
            except BaseException:
                fh.close()
                part.unlink(missing_ok=True)
                raise
        part.replace(out)
        return {**queued.as_dict(), "out": str(out)}
    total = 0 if fmt == "qdc" else research_repo.count_items(session=session, study_id=study.id, excluded=False)
    part = out.with_name(out.name + ".part")
    with _progress(progress and total > 0, total) as tick, part.open("wb") as fh:
        try:
            result = export(session, env, study, fmt, fh, round_number=number, actor=actor(), filename=out.name,
                            progress=tick, documents=documents)
        except BaseException:
            fh.close()
            part.unlink(missing_ok=True)
            raise
    part.replace(out)
    return {**result.as_dict(), "out": str(out)}


class _progress:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""

    def __init__(self, show: bool, total: int) -> None:
        self.show, self.total = show and sys.stderr.isatty(), total
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not self.show:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("export", total=self.total)

        def tick(done: int) -> None:
            if done % 200 == 0 or done == self.total:
                self.bar.update(task, completed=done)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@friendly
def export_command(
    fmt: str = typer.Option(..., "--format", help="csv, xlsx, jsonl, qdpx (REFI-QDA project) or qdc (codebook)."),
    round_number: int | None = typer.Option(None, "--round", help="Coding round (default: latest)."),
    out: Path = typer.Option(..., "--out", help="File to write."),
    documents: str = typer.Option("week", "--documents", help="qdpx: one document per week's reflection (its steps "
                                  "as sections), per participant, or per step: week, participant or step."),
    study: str | None = STUDY,
    as_json: bool = JSON,
) -> None:
    """Export a coding round (or, before any codebook, the queue): pseudonyms and redacted text only; every
    export is recorded with its SHA-256."""
    r = _run(_export, study, fmt, round_number, out, not as_json, documents.lower())
    if as_json:
        emit(r)
        return
    what = "code(s)" if r["format"] == "qdc" else f"row(s) from {r['participants']} participant(s)"
    if r["round"] is None:
        typer.echo(f"{r['study']} has no coding round yet, so this is the queue: pseudonyms and redacted text, "
                   f"no codings ({r['new_items']} new item(s) came in just now).")
        typer.echo(f"Wrote {r['rows']:,} {what} of {r['study']} to {r['out']} ({r['bytes']:,} bytes). "
                   f"Export #{r['export_id']}, sha256 {r['sha256']}")
        return
    typer.echo(f"Wrote {r['rows']:,} {what} of round {r['round']} of {r['study']} to {r['out']} "
               f"({r['bytes']:,} bytes). Export #{r['export_id']}, sha256 {r['sha256']}")
    if r["left_out"]:
        typer.echo(f"{r['left_out']} item(s) of the closed round were left out: their students withdrew or erased "
                   "their data since (balint research withdrawals).")


def register(app: typer.Typer) -> None:
    """Add ``balint export`` to the main app."""
    app.command("export")(export_command)
