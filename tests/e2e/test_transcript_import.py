"""``balint research import-transcript --store``: an in-person session becomes one transcript of redacted turns
in the coding queue, by its speakers' consent, from text, .docx, WebVTT and SRT; consent and /delete reach it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.research import exports
from storage.db import Database
from storage.models import AuditEvent, Study
from storage.research_models import CodingItem, ImportedTurn, ResearchParticipant, ResearchTranscript
from tests.support.cli_support import balint, balint_process
from tests.support.research_support import items, run_intake, seed, study
from tests.support.transcript_support import MAP, write_transcript

pytestmark = pytest.mark.usefixtures("cli_env")

TITLE = "Psychiatry Jan 2026 (study) · week 2 · in person"


def _stored(db: Database) -> tuple[list[ResearchTranscript], list[CodingItem], list[ImportedTurn], list[str]]:
    def run(session: Session):  # type: ignore[no-untyped-def]
        transcripts = list(session.exec(select(ResearchTranscript).order_by(ResearchTranscript.id)))  # type: ignore[arg-type]
        its = list(
            session.exec(
                select(CodingItem)
                .where(CodingItem.transcript_id.is_not(None))  # type: ignore[union-attr]
                .order_by(CodingItem.id)
            )
        )  # type: ignore[arg-type]
        raw = list(session.exec(select(ImportedTurn).order_by(ImportedTurn.id)))  # type: ignore[arg-type]
        names = [session.get(ResearchParticipant, i.participant_id).pseudonym for i in its]  # type: ignore[union-attr]
        return transcripts, its, raw, names

    return db.call(run)


def test_a_preview_stores_nothing_and_store_makes_one_session_of_redacted_turns_for_review(
    db: Database, team, tmp_path: Path
) -> None:
    path = write_transcript(tmp_path, "txt")
    code, out, err = balint("research", "import-transcript", str(path), *MAP)
    assert code == 0, err
    assert out.splitlines()[0] == "week2.txt: 5 turn(s) read; 3 may enter Balint Study 2026 (3 redaction(s))."
    assert out.splitlines()[-1].startswith("Preview only: nothing is stored.")
    assert _stored(db)[0] == []
    code, out, err = balint("research", "import-transcript", str(path), *MAP, "--store")
    assert (code, err.strip()) == (2, "Error: --store needs the session's week (--week N); nothing was stored")

    code, out, err = balint("research", "import-transcript", str(path), *MAP, "--week", "2", "--store")
    assert code == 0, err
    assert out.splitlines() == [
        "week2.txt: 5 turn(s) read; 3 entered Balint Study 2026 (3 redaction(s)).",
        "Left out: 'Dr Lee', 1 turn(s) (the leader: not a research participant, so leader turns are not stored).",
        "Left out: 'Alex', 1 turn(s) (no research consent in this cohort).",
        "   2 P001: I do. I met Mrs [NAME], aged [AGE], on the ward; her son [NAME] rang twice.",
        "   4 P002: I wonder whether she felt nobody was listening.",
        "   5 P001: I felt useless at the end of the bed.",
        f"Stored as transcript 1 {TITLE!r} (cohort Psychiatry Jan 2026 (study), week 2): items 1–3, waiting for "
        "review (balint research review next).",
    ]
    [transcript], its, raw, names = _stored(db)
    assert (transcript.kind, transcript.title, transcript.week, transcript.circle_week_id) == ("import", TITLE, 2, None)
    assert [(i.turn, i.speaker_role, i.phase, i.step, i.week) for i in its] == [
        (turn, "member", None, "transcript", 2) for turn in (2, 4, 5)
    ]
    assert names == ["P001", "P002", "P001"]
    assert all(i.reviewed_at is None and i.excluded_at is None and i.session_id is None for i in its)
    assert "Jones" not in its[0].text and "Tom" not in its[0].text and len(its[0].spans) == 3
    # the raw words stay server side, for review marks; only turns that entered are kept
    assert [r.item_id for r in raw] == [i.id for i in its] and "Mrs Jones" in raw[0].text
    assert not any("Why did that stay" in r.text or "Who has a case" in r.text for r in raw)

    # it waits for review like a reflection, and a review mark re-redacts from the stored words
    code, out, err = balint("research", "review", "next", "--json")
    assert code == 0, err
    assert [(r["item"], r["text"][:10]) for r in json.loads(out)] == [
        (1, "I do. I me"),
        (2, "I wonder w"),
        (3, "I felt use"),
    ]
    code, out, err = balint("research", "review", "mark", "1", "--text", "ward", "--type", "PLACE")
    assert code == 0, err
    assert _stored(db)[1][0].text == "I do. I met Mrs [NAME], aged [AGE], on the [PLACE]; her son [NAME] rang twice."

    # the same session again is refused, nothing doubled
    code, out, err = balint("research", "import-transcript", str(path), *MAP, "--week", "2", "--store")
    assert code == 2 and err.startswith(f"Error: Balint Study 2026 already has a session {TITLE!r} (transcript 1)")
    assert len(_stored(db)[1]) == 3
    (event,) = db.call(
        lambda s: [
            e.detail for e in s.exec(select(AuditEvent).where(AuditEvent.action == "research.transcript_imported"))
        ]
    )
    assert event == {"transcript": 1, "week": 2, "items": 3, "left_out": 2, "new_participants": 2}


@pytest.mark.parametrize("fmt", ["docx", "vtt", "srt"])
def test_docx_webvtt_and_srt_store_the_same_session(db: Database, team, tmp_path: Path, fmt: str) -> None:
    code, out, err = balint(
        "research",
        "import-transcript",
        str(write_transcript(tmp_path, fmt)),
        *MAP,
        "--week",
        "2",
        "--title",
        f"Week 2 ({fmt})",
        "--store",
        "--json",
    )
    assert code == 0, err
    r = json.loads(out)
    assert (r["turns_read"], r["turns_in"], r["stored"]) == (5, 3, True)
    assert r["transcript"] == {
        "id": 1,
        "title": f"Week 2 ({fmt})",
        "cohort": "Psychiatry Jan 2026 (study)",
        "week": 2,
        "items": [1, 2, 3],
        "new_participants": 2,
    }
    [transcript], its, raw, names = _stored(db)
    assert transcript.title == f"Week 2 ({fmt})"
    assert [(i.turn, n, i.text) for i, n in zip(its, names, strict=True)] == [
        (2, "P001", "I do. I met Mrs [NAME], aged [AGE], on the ward; her son [NAME] rang twice."),
        (4, "P002", "I wonder whether she felt nobody was listening."),
        (5, "P001", "I felt useless at the end of the bed."),
    ]
    assert len(raw) == 3


def test_consent_and_delete_reach_imported_turns_and_exports_carry_the_session(
    db: Database, research_env, team, tmp_path: Path
) -> None:
    path = write_transcript(tmp_path, "txt")
    code, _out, err = balint("research", "import-transcript", str(path), *MAP, "--week", "2", "--store")
    assert code == 0, err
    seed(db, research_env)

    def export(fmt: str) -> bytes:
        out = io.BytesIO()
        db.call(lambda s: exports.export(s, research_env, s.get(Study, study(db).id), fmt, out, actor="test"))
        return out.getvalue()

    rows = list(csv.DictReader(io.StringIO(export("csv").decode("utf-8-sig"))))
    assert [(r["session"], r["turn"], r["speaker"], r["role"], r["phase"]) for r in rows] == [
        (TITLE, "2", "P001", "member", ""),
        (TITLE, "4", "P002", "member", ""),
        (TITLE, "5", "P001", "member", ""),
    ]
    assert "Jones" not in export("qdpx").decode("latin-1")

    jo = team["Jo"]
    jo.command("consent")
    jo.press("Keep my reflections out of research")
    assert [i.turn for i in items(db)] == [2, 5] and [i.turn for i in items(db, excluded=True)] == [4]
    assert all(r["speaker"] != "P002" for r in csv.DictReader(io.StringIO(export("csv").decode("utf-8-sig"))))
    jo.command("consent")
    jo.press("Allow research use")
    assert [i.turn for i in items(db)] == [2, 4, 5]
    assert run_intake(db, research_env)["excluded"] == 0  # the intake agrees: Jo consents again

    sam = team["Sam"]
    sam.command("delete")
    sam.press("Yes, erase everything")
    _t, its, raw, names = _stored(db)
    assert [(i.turn, n) for i, n in zip(its, names, strict=True)] == [(4, "P002")] and len(raw) == 1


def test_the_balint_process_itself_stores_a_session(db: Database, database_url: str, team, tmp_path: Path) -> None:
    """In its own process, where only what the command imports is loaded (CliRunner shares the tests' imports: it
    missed that research_transcripts could not be flushed without the circle tables)."""
    ran = balint_process(
        "research",
        "import-transcript",
        str(write_transcript(tmp_path, "vtt")),
        *MAP,
        "--week",
        "2",
        "--store",
        env={
            "DATABASE_URL": database_url,
            "PSEUDONYM_KEY": "test-pseudonym-key-not-for-production",
            "ENVIRONMENT": "test",
        },
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1].startswith(f"Stored as transcript 1 {TITLE!r}")
    assert [i.turn for i in _stored(db)[1]] == [2, 4, 5]
