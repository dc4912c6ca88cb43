"""An in-person session's transcript for the import tests: its lines, the speaker map, and the file in each format."""

from __future__ import annotations

from pathlib import Path

from docx import Document

LINES = [
    ("Dr Lee", "Who has a case this week?"),
    ("Sam", "I do. I met Mrs Jones, aged 82, on the ward; her son Tom rang twice."),
    ("Alex", "Why did that stay with you?"),
    ("Jo", "I wonder whether she felt nobody was listening."),
    ("Sam", "I felt useless at the end of the bed."),
]
MAP = ["--speaker", "Dr Lee=leader", "--speaker", "Sam=tg:2001", "--speaker", "Alex=tg:2002", "--speaker", "Jo=tg:2003"]


def write_transcript(tmp_path: Path, fmt: str) -> Path:
    """Write ``LINES`` as week 2's transcript in one format (txt, docx, vtt or srt); return its path."""
    path = tmp_path / f"week2.{fmt}"
    if fmt == "txt":
        path.write_text(
            "".join(f"[00:00:{5 * i:02d}] {who}: {words}\n" for i, (who, words) in enumerate(LINES)), encoding="utf-8"
        )
    elif fmt == "docx":
        doc = Document()
        doc.add_paragraph("Balint group, week 2 (in person)")
        for who, words in LINES:
            doc.add_paragraph(f"{who}: {words}")
        doc.save(str(path))
    else:
        sep = "." if fmt == "vtt" else ","
        cues = []
        for i, (who, words) in enumerate(LINES):
            timing = f"00:00:{5 * i:02d}{sep}000 --> 00:00:{5 * i + 4:02d}{sep}000"
            text = f"<v {who}>{words}</v>" if fmt == "vtt" else f"{who}: {words}"
            cues.append(f"{timing}\n{text}" if fmt == "vtt" else f"{i + 1}\n{timing}\n{text}")
        path.write_text(("WEBVTT\n\n" if fmt == "vtt" else "") + "\n\n".join(cues) + "\n", encoding="utf-8")
    return path
