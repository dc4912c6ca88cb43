"""``balint research import-transcript``: check and preview an in-person session transcript (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bot.cli.research import JSON, STUDY, _run, emit, friendly, research_app, study_of


def _preview(session: Any, env: Any, study_name: str | None, path: Path, fmt: str | None,
             speakers: list[str]) -> dict[str, Any]:
    from bot.research import transcripts

    study = study_of(session, study_name)
    mapping = transcripts.parse_map(speakers)
    turns = transcripts.read(path, fmt)
    result = transcripts.preview(session, env, study, turns, mapping)
    return {"study": study.name, "file": path.name, "turns_read": len(turns), "turns_in": len(result.turns),
            "left_out": [{"speaker": k, "turns": v, "why": result.reasons.get(k, "")}
                         for k, v in result.left_out.items()],
            "redactions": sum(t.redactions for t in result.turns),
            "turns": [{"turn": t.number, "role": t.role, "pseudonym": t.pseudonym, "text": t.text}
                      for t in result.turns], "stored": False}


@research_app.command("import-transcript")
@friendly
def import_transcript_command(
    path: Path = typer.Argument(..., help="A transcript: .txt with 'Name: words' lines, .docx, .vtt or .srt."),
    speaker: list[str] = typer.Option([], "--speaker", help="LABEL=leader, LABEL=tg:TELEGRAM_ID or LABEL=exclude "
                                                            "(repeat for each speaker)."),
    fmt: str | None = typer.Option(None, "--format", help="txt, docx, vtt or srt (default: from the suffix)."),
    show: int = typer.Option(5, "--show", help="How many redacted turns to print."),
    study: str | None = STUDY, as_json: bool = JSON,
) -> None:
    """Check a session transcript: speakers mapped, consent checked, turns redacted (a preview; nothing is stored)."""
    r = _run(_preview, study, path, fmt, speaker)
    if as_json:
        emit(r)
        return
    typer.echo(f"{r['file']}: {r['turns_read']} turn(s) read; {r['turns_in']} may enter {r['study']} "
               f"({r['redactions']} redaction(s)).")
    for gone in r["left_out"]:
        typer.echo(f"Left out: {gone['speaker']!r}, {gone['turns']} turn(s) ({gone['why']}).")
    for t in r["turns"][:show]:
        who = "leader" if t["role"] == "leader" else t["pseudonym"]
        typer.echo(f"{t['turn']:>4} {who}: {t['text'] if len(t['text']) <= 100 else t['text'][:99] + '…'}")
    typer.echo("Preview only: transcripts do not enter the coding queue yet (see docs/researchers.md).")
