"""``balint research import-transcript``: check an in-person session transcript, then store it (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, actor, emit, friendly, research_app, study_of


def _import(session: Any, env: Any, study_name: str | None, path: Path, fmt: str | None, speakers: list[str],
            cohort_name: str | None, week: int | None, title: str | None, store: bool, who: str) -> dict[str, Any]:
    from bot.research import transcript_import, transcripts
    from bot.research.errors import ResearchError

    study = study_of(session, study_name)
    mapping = transcripts.parse_map(speakers)
    turns = transcripts.read(path, fmt)
    cohort = transcript_import.cohort_of(session, study, cohort_name) if store or cohort_name else None
    if store and week is None:
        raise ResearchError("--store needs the session's week (--week N); nothing was stored")
    result = transcripts.preview(session, env, study, turns, mapping, cohort.id if cohort else None)
    stored = None
    if store:
        assert cohort is not None and week is not None
        stored = transcript_import.store(session, env, study, cohort, week,
                                         title or transcript_import.default_title(cohort, week), result, actor=who)
    return {"study": study.name, "file": path.name, "turns_read": len(turns), "turns_in": len(result.turns),
            "left_out": [{"speaker": k, "turns": v, "why": result.reasons.get(k, "")}
                         for k, v in result.left_out.items()],
            "redactions": result.redactions,
            "turns": [{"turn": t.number, "role": t.role, "pseudonym": t.pseudonym, "text": t.text}
                      for t in result.turns],
            "stored": stored is not None,
            "transcript": None if stored is None else {
                "id": stored.transcript_id, "title": stored.title, "cohort": stored.cohort, "week": stored.week,
                "items": stored.items, "new_participants": stored.new_participants}}


@research_app.command("import-transcript")
@friendly
def import_transcript_command(
    path: Path = typer.Argument(..., help="A transcript: .txt with 'Name: words' lines, .docx, .vtt or .srt."),
    speaker: list[str] = typer.Option([], "--speaker", help="LABEL=leader, LABEL=tg:TELEGRAM_ID or LABEL=exclude "
                                                            "(repeat for each speaker)."),
    fmt: str | None = typer.Option(None, "--format", help="txt, docx, vtt or srt (default: from the suffix)."),
    cohort: str | None = typer.Option(None, "--cohort", help="The cohort the session was with (consent is checked "
                                                             "there; default: the study's only cohort)."),
    week: int | None = typer.Option(None, "--week", help="The placement week of the session (needed to store)."),
    title: str | None = typer.Option(None, "--title", help="The session's name in exports (default: 'COHORT · "
                                                           "week N · in person')."),
    store: bool = typer.Option(False, "--store", help="Store the session: its turns enter the coding queue, for "
                                                      "review. Without it, a preview: nothing is stored."),
    show: int = typer.Option(5, "--show", help="How many redacted turns to print."),
    study: str | None = STUDY, as_json: bool = JSON,
) -> None:
    """Check a session transcript (speakers mapped, consent checked, turns redacted); with --store, store it."""
    r = _run(_import, study, path, fmt, speaker, cohort, week, title, store, actor())
    if as_json:
        emit(r)
        return
    typer.echo(f"{r['file']}: {r['turns_read']} turn(s) read; {r['turns_in']} "
               f"{'entered' if r['stored'] else 'may enter'} {r['study']} ({r['redactions']} redaction(s)).")
    for gone in r["left_out"]:
        typer.echo(f"Left out: {gone['speaker']!r}, {gone['turns']} turn(s) ({gone['why']}).")
    for t in r["turns"][:show]:
        typer.echo(f"{t['turn']:>4} {t['pseudonym']}: {t['text'] if len(t['text']) <= 100 else t['text'][:99] + '…'}")
    if r["stored"]:
        s = r["transcript"]
        items = s["items"]
        typer.echo(f"Stored as transcript {s['id']} {s['title']!r} (cohort {s['cohort']}, week {s['week']}): "
                   f"items {items[0]}–{items[-1]}, waiting for review (balint research review next).")
    else:
        typer.echo("Preview only: nothing is stored. Add --week N (and --cohort if the study has several) and "
                   "--store to store it.")
