"""In-person sessions from the command line to the coding round's results: a .docx and a .vtt transcript are
imported, mapped to participants and the leader, redacted, reviewed, coded by two coders; agreement and the
.qdpx export include them, and the .qdpx validates against the REFI-QDA schema with its speakers kept."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmlschema
from sqlmodel import Session

from bot.research import codebook, coding
from storage import coding_repo
from storage.db import Database
from storage.models import Study
from storage.research_models import CodingItem
from tests.support.cli_support import balint
from tests.support.paths import DATA
from tests.support.research_support import RESEARCHER_A, RESEARCHER_B, STUDY, study
from tests.support.transcript_support import MAP, write_transcript

pytestmark = pytest.mark.usefixtures("cli_env")
SCHEMA = DATA / "refi-qda" / "Project.xsd"
ATTUNE, SELF, CONTAINER = "Attunement to encounters", "Self-preservation", "Container for vulnerability"


def _ok(*args: str) -> str:
    code, out, err = balint(*args)
    assert code == 0, (args, err)
    return out


def _code(
    db: Database, env: Any, person: Any, plan: dict[int, list[str]], passage: tuple[int, str, str] | None
) -> None:
    """Code as ``person`` would in chat: whole-item codes per turn number, one passage, then Done on each item."""

    def run(session: Session) -> None:
        s = session.get(Study, study(db).id)
        assert s is not None
        rnd = codebook.open_round(session, s.id)
        me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=person.telegram_id)
        for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id, coder_id=me.id):
            item = session.get(CodingItem, a.item_id)
            assert item is not None
            for name in plan.get(item.turn or 0, []):
                coding.toggle(session, env, a, codebook.find_code(session, rnd, name))
            if passage is not None and passage[0] == item.turn and passage[1] in item.text:
                start = item.text.index(passage[1])
                coding.add_segment(
                    session, env, a, item, codebook.find_code(session, rnd, passage[2]), start, start + len(passage[1])
                )
            coding.finish(session, env, a)

    db.call(run)


def test_docx_and_vtt_sessions_imported_coded_by_two_coders_and_exported_as_valid_qdpx(
    db: Database, research_env, team, tmp_path: Path
) -> None:  # noqa: F811
    docx, vtt = write_transcript(tmp_path, "docx"), write_transcript(tmp_path, "vtt")
    for path, week in ((docx, "2"), (vtt, "3")):
        out = _ok(
            "research",
            "import-transcript",
            str(path),
            *MAP,
            "--week",
            week,
            "--title",
            f"Balint group week {week} (in person)",
            "--store",
            "--json",
        )
        r = json.loads(out)
        # mapped: Dr Lee is the leader and Alex has no research consent, so three of five turns enter, redacted
        assert (r["turns_read"], r["turns_in"], r["stored"]) == (5, 3, True), r
    queued = json.loads(_ok("research", "review", "next", "--json", "--limit", "10"))
    assert [q["item"] for q in queued] == [1, 2, 3, 4, 5, 6]
    assert queued[0]["text"] == "I do. I met Mrs [NAME], aged [AGE], on the ward; her son [NAME] rang twice."
    assert not any("Jones" in q["text"] or "Tom" in q["text"] for q in queued)
    _ok("research", "review", "ok", *[str(i) for i in range(1, 7)])

    _ok(
        "role", "grant", "researcher", "--telegram-id", str(RESEARCHER_A.telegram_id), "--study", STUDY, "--label", "C1"
    )
    _ok(
        "role",
        "grant",
        "researcher",
        "--telegram-id",
        str(RESEARCHER_B.telegram_id),
        "--study",
        STUDY,
        "--label",
        "C2",
        "--independent",
    )
    _ok("research", "codebook", "seed")
    assigned = json.loads(_ok("research", "assign", "--json"))
    assert (assigned["items"], assigned["assignments"]) == (6, 12)

    # turn 2 (Sam's case), turn 4 (Jo), turn 5 (Sam) in each session; the coders differ on turns 2 and 4
    _code(db, research_env, RESEARCHER_A, {2: [ATTUNE], 4: [CONTAINER], 5: [SELF]}, (2, "her son [NAME]", SELF))
    _code(db, research_env, RESEARCHER_B, {2: [ATTUNE], 4: [ATTUNE], 5: [SELF]}, None)

    agreement = json.loads(_ok("research", "agreement", "--round", "1", "--json"))
    assert agreement["items"] == 6 and agreement["coders"] == ["C1", "C2"]
    per_code = {r["code"]: r for r in agreement["rows"] if r["scope"] == "code"}
    # each code: the coders agree on four of the six turns (C1's passage counts as Self-preservation on turn 2)
    for name in (ATTUNE, SELF, CONTAINER):
        assert (per_code[name]["n_items"], per_code[name]["percent_agreement"]) == (6, pytest.approx(4 / 6)), name
    assert per_code[SELF]["segment_overlap"] is not None and per_code[ATTUNE]["segment_overlap"] is None
    assert agreement["rows"][-1]["scope"] == "overall" and agreement["rows"][-1]["n_items"] == 6

    target = tmp_path / "round1.qdpx"
    out = _ok("export", "--format", "qdpx", "--round", "1", "--out", str(target))
    assert str(target) in out
    with zipfile.ZipFile(target) as z:
        project = z.read("project.qde").decode()
        texts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("sources/") and n.endswith(".txt")}
    xmlschema.XMLSchema(str(SCHEMA)).validate(io.StringIO(project))
    for week in (2, 3):  # each session one source, its speakers kept
        assert f'name="Balint group week {week} (in person) (transcript)"' in project
    assert project.count("<TextSource ") == 2
    # the speakers variable of each session
    assert project.count("<TextValue>P001 (member); P002 (member)</TextValue>") == 2
    assert len(texts) == 2
    for text in texts.values():
        heads = [line for line in text.splitlines() if line[:2] in ("2.", "4.", "5.")]
        assert heads == ["2. P001 (member)", "4. P002 (member)", "5. P001 (member)"], text
        assert "Jones" not in text and "Dr Lee" not in text and "Why did that stay with you?" not in text
    # every coder's codes of the sessions are in the project, the passage selecting its own words
    ns = {"q": "urn:QDA-XML:project:1.0"}
    selected = []
    for source in ElementTree.fromstring(project).iterfind(".//q:TextSource", ns):
        text = texts["sources/" + source.get("plainTextPath", "").removeprefix("internal://")]
        selected += [
            text[int(sel.get("startPosition", 0)) : int(sel.get("endPosition", 0))]
            for sel in source.iterfind("q:PlainTextSelection", ns)
        ]
    assert selected.count("her son [NAME]") == 2 and "I felt useless at the end of the bed." in selected
    users = dict(re.findall(r'<User guid="([^"]+)" name="([^"]+)"/>', project))
    by_user = Counter(users[g] for g in re.findall(r'<Coding guid="[^"]+" creatingUser="([^"]+)"', project))
    # C1: four codings a session (one a passage), C2: three, and the agreed one (turn 5) of each session
    assert by_user == {"C1": 8, "C2": 6, "Agreed": 2}
