"""``balint research …``, ``balint export`` and ``balint role grant researcher``: wiring only.

``bot.cli`` calls ``register(app)``; nothing from ``bot.cli`` is imported at module level. Every listing has
``--json``; every expected problem is one clear line on stderr (exit code 2).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer

from bot.cli_roles import friendly as base_friendly
from bot.cli_roles import grant_app, revoke_app

F = TypeVar("F", bound=Callable[..., Any])

research_app = typer.Typer(help="Research: the de-identified coding queue, codebook rounds, double coding, "
                                "agreement.", no_args_is_help=True)
codebook_app = typer.Typer(help="The codebook of the open round: seed, import, export, edit, history.",
                           no_args_is_help=True)
review_app = typer.Typer(help="Review items before coding: read them, mark anything else to redact.",
                         no_args_is_help=True)
research_app.add_typer(codebook_app, name="codebook")
research_app.add_typer(review_app, name="review")

STUDY = typer.Option(None, "--study", help="Study name (needed only when there are several).")
JSON = typer.Option(False, "--json", help="Print JSON.")


def friendly(fn: F) -> F:
    """One clear line for research problems (bad file, unknown code, no key…), never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.research.agreement_io import AgreementInputError
        from bot.research.pseudonyms import PseudonymKeyMissing
        from bot.research.queue import ResearchError
        from bot.research.refi_qda import RefiQdaError

        try:
            return base_friendly(fn)(*args, **kwargs)
        except (ResearchError, PseudonymKeyMissing, AgreementInputError, RefiQdaError) as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            typer.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Open the database, run ``fn(session, env, …)`` in one transaction, close."""
    from bot.cli import settings
    from bot.runtime import make_env, open_database

    s = settings()
    db = open_database(s)
    env = make_env(s)
    try:
        return db.call(fn, env, *args, **kwargs)
    finally:
        db.close()


def study_of(session: Any, name: str | None) -> Any:
    """Return the study named, or the only one; say clearly what is wrong otherwise."""
    from bot.research.queue import ResearchError
    from storage import research_repo

    if name:
        study = research_repo.get_study_by_name(session=session, name=name)
        if study is None:
            raise ResearchError(f"no study called {name!r}; studies: {_names(session)}")
        return study
    studies = research_repo.list_studies(session=session)
    if len(studies) == 1:
        return studies[0]
    if not studies:
        raise ResearchError("there is no study yet: create a cohort with --study NAME (balint cohort create)")
    raise ResearchError(f"several studies exist; say which with --study ({_names(session)})")


def _names(session: Any) -> str:
    from storage import research_repo

    return ", ".join(repr(s.name) for s in research_repo.list_studies(session=session)) or "none"


# ------------------------------------------------------------------------------------------- redact


@research_app.command("redact")
@friendly
def redact_command(as_json: bool = JSON) -> None:
    """Read text on stdin, print it redacted (--json: the spans found, with their type and rule)."""
    from bot.core.redaction import default_redactor

    text = sys.stdin.read()
    result = default_redactor().redact(text)
    if as_json:
        emit({"text": result.text, "spans": [{"start": s.start, "end": s.end, "type": s.type, "text": s.text,
                                              "rule": s.rule} for s in result.spans]})
    else:
        typer.echo(result.text, nl=not result.text.endswith("\n"))


# ------------------------------------------------------------------------------------------- intake


def _intake(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research.queue import intake

    return intake(session, env, study_of(session, study_name), actor=actor()).as_dict()


@research_app.command("intake")
@friendly
def intake_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Bring the coding queue up to date: new finished weeks in, edits re-redacted, withdrawn consent out."""
    r = _run(_intake, study)
    if as_json:
        emit(r)
        return
    typer.echo(f"{r['study']}: {r['new']} new item(s), {r['updated']} updated, {r['unchanged']} unchanged, "
               f"{r['restored']} back in the queue, {r['excluded']} taken out (research consent no longer yes); "
               f"{r['new_participants']} new participant(s).")


research_app.command("refresh", help="The same as intake.")(intake_command)


# ------------------------------------------------------------------------------------------- assign


def _assign(session: Any, env: Any, study_name: str | None, coder_labels: str | None, per_item: int,
            limit: int | None, include_unreviewed: bool) -> dict[str, Any]:
    from bot.research import codebook, coding
    from bot.research.queue import ResearchError, intake
    from storage import research_repo

    study = study_of(session, study_name)
    intake(session, env, study, actor=actor())
    rnd = codebook.open_round(session, study.id)
    if rnd is None:
        raise ResearchError(f"{study.name} has no open round: load a codebook first (balint research codebook seed)")
    coders = None
    if coder_labels:
        coders = []
        for label in (x.strip() for x in coder_labels.split(",") if x.strip()):
            coder = research_repo.get_coder_by_label(session=session, study_id=study.id, label=label)
            if coder is None:
                known = ", ".join(c.label for c in research_repo.coders_of(session=session, study_id=study.id))
                raise ResearchError(f"{study.name} has no coder {label!r} (coders: {known or 'none'})")
            coders.append(coder)
    result = coding.assign(session, env, study, rnd, coders=coders, per_item=per_item, limit=limit,
                           reviewed_only=not include_unreviewed, actor=actor())
    return {"study": study.name, "round": rnd.number, "items": result.items, "assignments": result.assignments,
            "per_coder": result.per_coder, "waiting_review": result.waiting_review}


@research_app.command("assign")
@friendly
def assign_command(
    study: str | None = STUDY,
    coders: str | None = typer.Option(None, "--coders", help="Comma-separated coder labels (default: all)."),
    per_item: int = typer.Option(2, "--per-item", help="Coders per item (at least 2)."),
    limit: int | None = typer.Option(None, "--limit", help="Assign at most this many items."),
    include_unreviewed: bool = typer.Option(False, "--include-unreviewed",
                                            help="Also assign items nobody has reviewed yet."),
    as_json: bool = JSON,
) -> None:
    """Give queued items to coders: each to at least two, one of them marked independent."""
    r = _run(_assign, study, coders, per_item, limit, include_unreviewed)
    if as_json:
        emit(r)
        return
    shares = ", ".join(f"{k} {v}" for k, v in sorted(r["per_coder"].items())) or "none"
    typer.echo(f"Round {r['round']} of {r['study']}: {r['items']} item(s) assigned ({r['assignments']} "
               f"assignments: {shares}).")
    if r["waiting_review"]:
        typer.echo(f"{r['waiting_review']} item(s) wait for review first (balint research review next), "
                   "or pass --include-unreviewed.")


# ------------------------------------------------------------------------------------------- status


def _status(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research import codebook, coding, exports
    from storage import research_repo

    study = study_of(session, study_name)
    sid = study.id
    rounds = research_repo.rounds_of(session=session, study_id=sid)
    out: dict[str, Any] = {
        "study": study.name,
        "queue": {"items": research_repo.count_items(session=session, study_id=sid, excluded=False),
                  "reviewed": research_repo.count_items(session=session, study_id=sid, excluded=False, reviewed=True),
                  "taken_out": research_repo.count_items(session=session, study_id=sid, excluded=True),
                  "participants": len({i.participant_id for i in research_repo.queued_items(
                      session=session, study_id=sid, reviewed_only=False)})},
        "rounds": [], "coders": [], "exports": len(exports.export_log(session, study)),
    }
    for rnd in rounds:
        states = coding.item_states(session, rnd)
        out["rounds"].append({
            "round": rnd.number, "open": rnd.closed_at is None,
            "opened_at": rnd.opened_at.isoformat(timespec="seconds"),
            "closed_at": rnd.closed_at.isoformat(timespec="seconds") if rnd.closed_at else None,
            "codes": len(codebook.codes(session, rnd)), "assigned": len(states),
            "double_coded": sum(s.complete for s in states.values()),
            "agreed": sum(s.agreed for s in states.values()),
            "disagreements": sum(s.disagreement for s in states.values()),
            "settled": sum(s.settlement is not None for s in states.values())})
    current = rounds[-1] if rounds else None
    for c in research_repo.coders_of(session=session, study_id=sid):
        mine = research_repo.assignments_of_coder(session=session, round_id=current.id or 0,
                                                  coder_id=c.id or 0) if current else []
        out["coders"].append({"coder": c.label, "independent": c.independent, "assigned": len(mine),
                              "done": sum(a.done_at is not None for a in mine),
                              "put_aside": sum(a.done_at is None and a.skipped_at is not None for a in mine)})
    return out


@research_app.command("status")
@friendly
def status_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Where the study stands: the queue, each round, each coder."""
    r = _run(_status, study)
    if as_json:
        emit(r)
        return
    q = r["queue"]
    typer.echo(f"Study {r['study']}")
    typer.echo(f"Queue: {q['items']} item(s) from {q['participants']} participant(s); {q['reviewed']} reviewed; "
               f"{q['taken_out']} taken out (consent withdrawn)")
    for rnd in r["rounds"]:
        state = "open" if rnd["open"] else f"closed {rnd['closed_at'][:10]}"
        typer.echo(f"Round {rnd['round']} ({state}): {rnd['codes']} code(s); {rnd['assigned']} item(s) assigned, "
                   f"{rnd['double_coded']} double-coded, {rnd['agreed']} agreed, {rnd['disagreements']} "
                   f"disagreement(s) waiting, {rnd['settled']} settled")
    if not r["rounds"]:
        typer.echo("No coding round yet: balint research codebook seed (or import) opens round 1.")
    if r["coders"]:
        typer.echo(f"{'coder':<12} {'independent':<12} {'assigned':>8} {'done':>6} {'put aside':>9}")
        for c in r["coders"]:
            typer.echo(f"{c['coder'][:12]:<12} {'yes' if c['independent'] else 'no':<12} {c['assigned']:>8} "
                       f"{c['done']:>6} {c['put_aside']:>9}")
    typer.echo(f"Exports so far: {r['exports']} (balint research exports)")


# ------------------------------------------------------------------------------------------- rounds


def _close(session: Any, env: Any, study_name: str | None) -> dict[str, Any]:
    from bot.research import codebook

    study = study_of(session, study_name)
    closed, opened = codebook.close_round(session, env, study, actor=actor())
    return {"study": study.name, "closed": closed.number, "opened": opened.number,
            "codes": len(codebook.codes(session, opened))}


@research_app.command("close-round")
@friendly
def close_round_command(study: str | None = STUDY, as_json: bool = JSON) -> None:
    """Close the open round (its codebook and codings are kept as they are) and open the next."""
    r = _run(_close, study)
    if as_json:
        emit(r)
        return
    typer.echo(f"Round {r['closed']} of {r['study']} is closed. Round {r['opened']} is open with {r['codes']} "
               "code(s) carried over; edit them before coding starts (balint research codebook …).")


# ------------------------------------------------------------------------------ disagreements, settling


def _disagreements(session: Any, env: Any, study_name: str | None, number: int | None) -> dict[str, Any]:
    from bot.research import codebook, coding

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    return {"study": study.name, "round": rnd.number, "items": coding.disagreements(session, rnd)}


@research_app.command("disagreements")
@friendly
def disagreements_command(study: str | None = STUDY,
                          round_number: int | None = typer.Option(None, "--round", help="Round (default: latest)."),
                          as_json: bool = JSON) -> None:
    """List items whose coders finished with different codes, waiting to be settled."""
    r = _run(_disagreements, study, round_number)
    if as_json:
        emit(r)
        return
    if not r["items"]:
        typer.echo(f"Round {r['round']} of {r['study']}: no disagreements waiting.")
        return
    typer.echo(f"Round {r['round']} of {r['study']}: {len(r['items'])} disagreement(s)")
    for d in r["items"]:
        coders = "; ".join(f"{k}: {', '.join(v) or '(none)'}" for k, v in d["by_coder"].items())
        typer.echo(f"#{d['item']} week {d['week']} {d['step']}: differ on {', '.join(d['differing'])} — {coders}")
    typer.echo("Settle one with: balint research settle ITEM --codes 'Code A;Code B' (or --accept CODER)")


def _settle(session: Any, env: Any, study_name: str | None, item_id: int, codes: str | None, accept: str | None,
            note: str | None) -> dict[str, Any]:
    from bot.research import codebook, coding
    from bot.research.queue import ResearchError
    from storage import research_repo

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
        coder = research_repo.get_coder_by_label(session=session, study_id=study.id, label=accept)
        if coder is None:
            raise ResearchError(f"{study.name} has no coder {accept!r}")
    else:
        code_ids = [codebook.find_code(session, rnd, ref).id or 0 for ref in (codes or "").split(";") if ref.strip()]
    coding.settle(session, env, rnd, item, code_ids=code_ids, accept=coder, actor=actor(), note=note)
    return {"study": study.name, "round": rnd.number, "item": item_id,
            "agreed": _agreed_names(session, rnd, item_id)}


def _agreed_names(session: Any, rnd: Any, item_id: int) -> list[str]:
    from bot.research import codebook
    from storage import research_repo

    names = codebook.paths(session, rnd)
    settlement = research_repo.get_settlement(session=session, round_id=rnd.id, item_id=item_id)
    rows = research_repo.agreed_codings(session=session, settlement_id=settlement.id or 0) if settlement else []
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


# ---------------------------------------------------------------------------------------- agreement


def _agreement(session: Any, env: Any, study_name: str | None, number: int | None) -> tuple[Any, str, int]:
    from bot.research import codebook, coding
    from bot.research.agreement import compute_agreement

    study = study_of(session, study_name)
    rnd = codebook.round_by_number(session, study, number)
    codings, lengths, reviewed, codes, coders = coding.round_agreement_input(session, rnd)
    items = sorted(reviewed, key=int)
    report = compute_agreement(codings, items=[i for i in items if len(reviewed[i]) >= 2], coders=coders,
                               codes=codes, item_lengths=lengths, reviewed=reviewed)
    return report, study.name, rnd.number


@research_app.command("agreement")
@friendly
def agreement_command(
    round_number: int | None = typer.Option(None, "--round", help="Round (default: latest)."),
    from_file: Path | None = typer.Option(None, "--from", help="Codings made elsewhere: a CSV with item,coder,code"
                                          "[,start,end] or a .qdpx from NVivo, ATLAS.ti, MAXQDA or QualCoder."),
    study: str | None = STUDY,
    as_json: bool = JSON,
) -> None:
    """Inter-coder agreement per code and overall: % agreement, Cohen's kappa, Krippendorff's alpha, characters."""
    from bot.research.agreement import compute_agreement, format_table, report_to_rows
    from bot.research.agreement_io import load_codings

    if from_file is not None:
        codings, lengths = load_codings(from_file)
        report = compute_agreement(codings, item_lengths=lengths)
        title = f"Agreement in {from_file.name}"
    else:
        report, name, number = _run(_agreement, study, round_number)
        title = f"Agreement in round {number} of {name}"
    if as_json:
        emit({"title": title, "items": report.items, "coders": list(report.coders), "rows": report_to_rows(report)})
        return
    typer.echo(title)
    typer.echo(format_table(report))


# ------------------------------------------------------------------------------------ coders, exports


def _coders(session: Any, env: Any, study_name: str | None) -> list[dict[str, Any]]:
    from storage import research_repo

    study = study_of(session, study_name)
    return [{"coder": c.label, "independent": c.independent, "since": c.created_at.isoformat(timespec="seconds")}
            for c in research_repo.coders_of(session=session, study_id=study.id)]


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
        typer.echo(f"#{r['export']} {r['at']} {r['by']} {r['format']} round {r['round']}: {r['rows']} row(s), "
                   f"{len(r['participants'])} participant(s), sha256 {r['sha256']}")


def _export(session: Any, env: Any, study_name: str | None, fmt: str, number: int | None, out: Path,
            progress: bool) -> dict[str, Any]:
    from bot.research.exports import FORMATS, export
    from bot.research.queue import ResearchError
    from storage import research_repo

    if fmt.lower() not in FORMATS:
        raise ResearchError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    study = study_of(session, study_name)
    total = 0 if fmt == "qdc" else research_repo.count_items(session=session, study_id=study.id, excluded=False)
    part = out.with_name(out.name + ".part")
    with _progress(progress and total > 0, total) as tick, part.open("wb") as fh:
        try:
            result = export(session, env, study, fmt, fh, round_number=number, actor=actor(), filename=out.name,
                            progress=tick)
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
    study: str | None = STUDY,
    as_json: bool = JSON,
) -> None:
    """Export a coding round: pseudonyms and redacted text only; every export is recorded with its SHA-256."""
    r = _run(_export, study, fmt, round_number, out, not as_json)
    if as_json:
        emit(r)
        return
    what = "code(s)" if r["format"] == "qdc" else f"row(s) from {r['participants']} participant(s)"
    typer.echo(f"Wrote {r['rows']:,} {what} of round {r['round']} of {r['study']} to {r['out']} "
               f"({r['bytes']:,} bytes). Export #{r['export_id']}, sha256 {r['sha256']}")


# --------------------------------------------------------------------------------------------- roles


def _grant(session: Any, env: Any, telegram_id: int, study_name: str, label: str | None,
           independent: bool | None) -> dict[str, Any]:
    from bot.research.access import grant

    study = study_of(session, study_name)
    coder = grant(session, env, study, telegram_id, label=label, independent=independent, actor=actor())
    return {"telegram_id": telegram_id, "role": "researcher", "study": study.name, "coder": coder.label,
            "independent": coder.independent}


@grant_app.command("researcher")
@friendly
def grant_researcher(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    study: str = typer.Option(..., "--study", help="Study name."),
    label: str | None = typer.Option(None, "--label", help="Coder label shown in exports (default C1, C2…)."),
    independent: bool | None = typer.Option(None, "--independent/--team",
                                            help="Outside the study team: preferred as each item's independent coder."),
    as_json: bool = JSON,
) -> None:
    """Make someone a researcher (and coder) of a study; they can also use the researcher link."""
    r = _run(_grant, telegram_id, study, label, independent)
    if as_json:
        emit(r)
        return
    typer.echo(f"Telegram user {telegram_id} is now a researcher of {r['study']}, coding as {r['coder']}"
               f"{' (independent)' if r['independent'] else ''}.")


def _revoke(session: Any, env: Any, telegram_id: int, study_name: str) -> bool:
    from bot.research.access import revoke

    return revoke(session, env, study_of(session, study_name), telegram_id, actor=actor())


@revoke_app.command("researcher")
@friendly
def revoke_researcher(
    telegram_id: int = typer.Option(..., "--telegram-id", help="The person's numeric Telegram id."),
    study: str = typer.Option(..., "--study", help="Study name."),
) -> None:
    """Stop someone researching a study (their codings stay, under their label)."""
    held = _run(_revoke, telegram_id, study)
    typer.echo(f"Telegram user {telegram_id} no longer researches {study}." if held
               else f"Telegram user {telegram_id} was not a researcher of {study}; nothing changed.")


def register(app: typer.Typer) -> None:
    """Mount ``balint research`` and ``balint export`` on the main app."""
    from bot.research import cli_codebook  # noqa: F401  (registers the codebook and review commands)

    app.add_typer(research_app, name="research")
    app.command("export")(export_command)
