"""In-person transcripts: text, .docx, WebVTT and SRT read into turns; speakers mapped with consent; redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from bot.research import transcripts
from bot.research.errors import ResearchError
from tests.support.cli_support import balint
from tests.support.research_support import enrol, reflect, run_intake

TEXT = """Balint group, week 2 (in person)

[00:00:05] Dr Lee: Who has a case this week?
[00:00:09] Sam: I do. I met Mrs Jones, aged 82, on the ward;
her son Tom rang twice while I was there.
Alex: Why did that stay with you?
Sam: I felt useless at the end of the bed.
"""

VTT = """WEBVTT

00:00:05.000 --> 00:00:08.000
<v Dr Lee>Who has a case this week?</v>

00:00:09.000 --> 00:00:12.000
<v Sam>I do. I met Mrs Jones,

00:00:12.000 --> 00:00:15.000
aged 82, on the ward.

NOTE the next cue names its speaker inline

00:00:16.000 --> 00:00:18.000
Alex: Why did that stay with you?
"""

SRT = """1
00:00:05,000 --> 00:00:08,000
Dr Lee: Who has a case this week?

2
00:00:09,000 --> 00:00:12,000
Sam: I do. I met Mrs Jones,

3
00:00:12,000 --> 00:00:15,000
Sam: aged 82, on the ward.
"""


def _turns(found: list[transcripts.Turn]) -> list[tuple[str, str]]:
    return [(t.speaker, t.text) for t in found]


def test_plain_text_docx_vtt_and_srt_read_into_speaker_turns(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text(TEXT, encoding="utf-8")
    doc = Document()
    for line in TEXT.splitlines():
        doc.add_paragraph(line)
    doc.save(str(tmp_path / "s.docx"))
    (tmp_path / "s.vtt").write_text(VTT, encoding="utf-8")
    (tmp_path / "s.srt").write_text(SRT, encoding="utf-8")
    expected = [
        ("Dr Lee", "Who has a case this week?"),
        ("Sam", "I do. I met Mrs Jones, aged 82, on the ward; her son Tom rang twice while I was there."),
        ("Alex", "Why did that stay with you?"),
        ("Sam", "I felt useless at the end of the bed."),
    ]
    assert _turns(transcripts.read(tmp_path / "s.txt")) == expected
    assert _turns(transcripts.read(tmp_path / "s.docx")) == expected
    assert transcripts.read(tmp_path / "s.txt")[1].start == "00:00:09"
    cues = [("Dr Lee", "Who has a case this week?"), ("Sam", "I do. I met Mrs Jones, aged 82, on the ward.")]
    assert _turns(transcripts.read(tmp_path / "s.vtt")) == [*cues, ("Alex", "Why did that stay with you?")]
    assert _turns(transcripts.read(tmp_path / "s.srt")) == cues


def test_bad_transcripts_get_a_clear_answer(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "b.docx").write_bytes(b"not a zip")
    (tmp_path / "c.txt").write_text("no labels here at all\njust prose\n", encoding="utf-8")
    (tmp_path / "d.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n", encoding="utf-8")
    with pytest.raises(ResearchError, match="unknown transcript format 'pdf'"):
        transcripts.read(tmp_path / "a.pdf")
    with pytest.raises(ResearchError, match="b.docx is not a Word"):
        transcripts.read(tmp_path / "b.docx")
    with pytest.raises(ResearchError, match="no speaker turns found"):
        transcripts.read(tmp_path / "c.txt")
    with pytest.raises(ResearchError, match="the cue at 00:00:01.000 has no speaker"):
        transcripts.read(tmp_path / "d.vtt")
    with pytest.raises(ResearchError, match="--speaker 'Sam': write LABEL=leader"):
        transcripts.parse_map(["Sam"])


@pytest.mark.usefixtures("cli_env")
def test_speakers_map_to_consenting_participants_and_the_leader_and_turns_are_redacted(
    db, research_env, study_cohort, tmp_path: Path
) -> None:
    sam = enrol(db, research_env, study_cohort, 2001, "Sam")
    enrol(db, research_env, study_cohort, 2002, "Alex", research=False)
    reflect(db, research_env, study_cohort, [sam])
    run_intake(db, research_env)  # Sam is P001 now
    (tmp_path / "s.txt").write_text(TEXT + "Visitor: Can I sit in?\n", encoding="utf-8")
    code, out, err = balint(
        "research",
        "import-transcript",
        str(tmp_path / "s.txt"),
        "--speaker",
        "Dr Lee=leader",
        "--speaker",
        "sam=tg:2001",
        "--speaker",
        "Alex=tg:2002",
        "--json",
    )
    assert code == 0, err
    r = json.loads(out)
    assert (r["turns_read"], r["turns_in"], r["stored"]) == (5, 2, False)
    assert r["left_out"] == [
        {
            "speaker": "Dr Lee",
            "turns": 1,
            "why": "the leader: not a research participant, so leader turns are not stored",
        },
        {"speaker": "Alex", "turns": 1, "why": "no research consent in this study"},
        {"speaker": "Visitor", "turns": 1, "why": "not in the speaker map"},
    ]
    assert [(t["turn"], t["role"], t["pseudonym"]) for t in r["turns"]] == [
        (2, "member", "P001"),
        (4, "member", "P001"),
    ]
    assert "Jones" not in r["turns"][0]["text"] and "Tom" not in r["turns"][0]["text"]
    assert "[NAME]" in r["turns"][0]["text"] and r["redactions"] >= 2
    code, out, err = balint("research", "import-transcript", str(tmp_path / "s.txt"), "--speaker", "Sam")
    assert code == 2 and err.strip().startswith("Error: --speaker 'Sam': write LABEL=leader")
