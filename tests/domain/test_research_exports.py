"""Exports: what each format holds, formula injection, the audit record, REFI-QDA validity and determinism."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.core.context import Env
from bot.research import cells, codebook, coding, compare, exports
from bot.research.agreement import Coding
from bot.research.errors import ResearchError
from storage.db import Database
from storage.models import AuditEvent, Study
from storage.research_models import Assignment, CodingItem, ResearchExport
from tests.support.paths import DATA
from tests.support.research_support import enrol, reflect, researchers, review_all, run_intake, seed, study

SCHEMA_DIR = DATA / "refi-qda"
DANGER = [
    '=HYPERLINK("http://x.example","click") felt like a trick of the light.',
    "+44 is not a number here but it starts with plus and the rest is words.",
    "-I listed what scared me: the noise, the smell, the waiting.",
    "@everyone on the ward seemed to know more than me that day.",
    "Sitting down changes the conversation more than anything I say.",
]


@pytest.fixture
def coded(db: Database, research_env: Env, study_cohort) -> None:
    """Two students, a week each (one written to test formula injection), double-coded, one item settled."""
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    ben = enrol(db, research_env, study_cohort, 2002, "Ben")
    reflect(db, research_env, study_cohort, [ana])
    reflect(db, research_env, study_cohort, [ben], texts=DANGER)
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)

    def code(session: Session) -> None:
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        coding.assign(session, research_env, s, rnd, actor="lead")
        attune = codebook.find_code(session, rnd, "Attunement to encounters")
        keep = codebook.find_code(session, rnd, "Self-preservation")
        for a in session.exec(select(Assignment).order_by(Assignment.id)).all():
            item = session.get(CodingItem, a.item_id)
            if a.item_id == 1:
                coding.toggle(session, research_env, a, attune if a.coder_id == 1 else keep)
                coding.add_segment(session, research_env, a, item, attune, 0, 5)
            else:
                coding.toggle(session, research_env, a, attune)
            coding.finish(session, research_env, a)
        coding.add_memo(
            session,
            research_env,
            rnd,
            session.exec(select(coding.Coder)).first(),
            "Phone calls as intrusion?",
            item=session.get(CodingItem, 1),
            code=None,
        )
        compare.settle(session, research_env, rnd, session.get(CodingItem, 1), code_ids=[attune.id], actor="lead")

    db.call(code)


def run_export(db: Database, env: Env, fmt: str, **kw: Any) -> tuple[exports.ExportResult, bytes]:
    def run(session: Session) -> tuple[exports.ExportResult, bytes]:
        out = io.BytesIO()
        result = exports.export(session, env, session.get(Study, study(db).id), fmt, out, actor="cli:lead", **kw)
        return result, out.getvalue()

    return db.call(run)


def test_csv_has_one_row_per_step_codes_by_coder_agreed_and_is_neutralised(db, research_env, coded):
    result, data = run_export(db, research_env, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert result.rows == len(rows) == 10 and result.participants == 2
    assert list(rows[0]) == [
        "item",
        "pseudonym",
        "cohort",
        "week",
        "step",
        "session",
        "turn",
        "speaker",
        "role",
        "phase",
        "prompt",
        "text",
        "codes C1",
        "codes C2",
        "finished by",
        "agreed codes",
        "status",
        "settle note",
        "memos",
    ]
    first = rows[0]
    assert first["pseudonym"] == "P001" and first["step"] == "encounter" and first["week"] == "1"
    assert [first[k] for k in ("session", "turn", "speaker", "role", "phase")] == [""] * 5  # a private reflection
    assert first["prompt"].startswith("1 · The encounter. Tell me about it")
    assert first["codes C1"] == "Attunement to encounters; Attunement to encounters [0:5]"
    assert first["codes C2"] == "Self-preservation; Attunement to encounters [0:5]"
    assert first["agreed codes"] == "Attunement to encounters" and first["status"] == "settled"
    assert rows[1]["status"] == "agreed" and rows[1]["agreed codes"] == "Attunement to encounters"
    texts = [r["text"] for r in rows if r["pseudonym"] == "P002"]
    assert texts[0].startswith("'=HYPERLINK") and texts[1].startswith("'+")  # "+44" redacted, the plus kept
    assert texts[2].startswith("'-I listed") and texts[3].startswith("'@everyone")
    assert texts[4].startswith("Sitting")
    assert "Jones" not in data.decode("utf-8-sig")


def test_xlsx_cells_are_text_not_formulas_and_the_codebook_rides_along(db, research_env, coded, tmp_path):
    from openpyxl import load_workbook

    result, data = run_export(db, research_env, "xlsx")
    path = tmp_path / "out.xlsx"
    path.write_bytes(data)
    book = load_workbook(path)
    sheet = book["Reflections"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:12] == (
        "item",
        "pseudonym",
        "cohort",
        "week",
        "step",
        "session",
        "turn",
        "speaker",
        "role",
        "phase",
        "prompt",
        "text",
    )
    assert len(rows) == 11 == result.rows + 1
    danger = [c for c in sheet["L"] if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert len(danger) == 4
    assert all(c.data_type == "s" and c.quotePrefix for c in danger)  # text, and kept text when edited
    assert danger[0].value.startswith("=HYPERLINK")  # the words themselves are unchanged
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # no formula anywhere
    assert [r[0] for r in book["Codebook"].iter_rows(values_only=True)][1] == "Container for vulnerability"


def test_xlsx_sheets_open_ready_to_filter(db, research_env, coded, tmp_path):
    """Issue 14: every sheet has its header frozen and an autofilter over exactly its rows; text columns are wide."""
    from openpyxl import load_workbook

    result, data = run_export(db, research_env, "xlsx")
    path = tmp_path / "out.xlsx"
    path.write_bytes(data)
    book = load_workbook(path)
    for name in ("Reflections", "Codebook", "Memos"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        last_row = sheet.max_row
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.endswith(str(last_row)), name
    reflections = book["Reflections"]
    assert reflections.auto_filter.ref.startswith("A1:") and reflections.max_row == result.rows + 1
    header = [c.value for c in reflections[1]]
    text_col = header.index("text") + 1
    from openpyxl.utils import get_column_letter

    assert (
        reflections.column_dimensions[get_column_letter(text_col)].width
        > reflections.column_dimensions[get_column_letter(header.index("week") + 1)].width
    )


def test_jsonl_carries_offsets_and_text_exactly(db, research_env, coded):
    _, data = run_export(db, research_env, "jsonl")
    lines = [json.loads(line) for line in data.decode().splitlines()]
    first = lines[0]
    assert first["codes"]["C1"] == [
        {"code": "Attunement to encounters", "start": None, "end": None},
        {"code": "Attunement to encounters", "start": 0, "end": 5},
    ]
    assert first["agreed"] == [{"code": "Attunement to encounters", "start": None, "end": None}]
    assert lines[5]["text"] == DANGER[0]  # no apostrophe in JSON


def test_each_export_is_audited_with_the_files_sha256_and_what_it_held(db, research_env, coded):
    result, data = run_export(db, research_env, "csv")
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.bytes == len(data)
    record = db.call(lambda s: s.get(ResearchExport, result.export_id))
    assert (record.format, record.round_number, record.rows, record.actor) == ("csv", 1, 10, "cli:lead")
    assert record.items == [[1, 10]]
    log = db.call(lambda s: exports.export_log(s, s.get(Study, study(db).id)))
    assert log[0]["participants"] == ["P001", "P002"] and log[0]["items"] == 10
    event = db.call(lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "research.export")).one())
    assert event.detail["sha256"] == result.sha256 and event.actor == "cli:lead"


def test_qdpx_validates_against_the_refi_qda_schema_and_is_deterministic(db, research_env, coded):
    xmlschema = pytest.importorskip("xmlschema")
    assert (SCHEMA_DIR / "Project.xsd").is_file(), f"REFI-QDA schema missing from the repository: {SCHEMA_DIR}"
    for documents in ("week", "participant"):
        _, other = run_export(db, research_env, "qdpx", documents=documents)
        with zipfile.ZipFile(io.BytesIO(other)) as z:
            xmlschema.XMLSchema(str(SCHEMA_DIR / "Project.xsd")).validate(z.read("project.qde").decode())
    first, data = run_export(db, research_env, "qdpx", documents="step")
    second, again = run_export(db, research_env, "qdpx", documents="step")
    assert data == again and first.sha256 == second.sha256 and first.export_id != second.export_id
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        project = z.read("project.qde")
        files = [n for n in z.namelist() if n.endswith(".txt")]
        texts = {z.read(n).decode() for n in files}
    xmlschema.XMLSchema(str(SCHEMA_DIR / "Project.xsd")).validate(project.decode())
    assert len(files) == 10 + 1 and DANGER[0] in texts and "Phone calls as intrusion?" in texts  # + the memo
    xml = project.decode()
    assert 'name="C1"' in xml and 'name="Agreed"' in xml and 'name="P002"' in xml
    assert "Container for vulnerability" in xml and "Phone calls as intrusion?" not in xml  # notes are files
    # C1 and C2: a code on each item and a passage each on item 1; the agreed coding of every item
    assert xml.count("<PlainTextSelection ") == 10 * 2 + 2 + 10


def test_qdpx_codings_line_up_with_the_agreement_reader(db, research_env, coded, tmp_path):
    from bot.research.agreement.io import load_codings

    _, data = run_export(db, research_env, "qdpx")
    path = tmp_path / "round1.qdpx"
    path.write_bytes(data)
    codings, lengths = load_codings(path)
    coders = {c.coder for c in codings}
    assert coders == {"C1", "C2"}  # our own file says who finished each item: "Agreed" is no coder
    assert sorted(lengths, key=int) == [str(i) for i in range(1, 11)]  # steps, found in the week documents
    texts = db.call(lambda s: {str(i.id): i.text for i in s.exec(select(CodingItem)).all()})
    assert lengths == {k: len(v) for k, v in texts.items()}
    assert Coding("1", "C1", "Attunement to encounters", 0, 5) in codings  # at the step's own offsets


def test_qdpx_documents_are_weeks_with_steps_as_sections_or_participants_or_steps(db, research_env, coded):
    for documents, sources in (("week", 2), ("participant", 2), ("step", 10)):
        _, data = run_export(db, research_env, "qdpx", documents=documents)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("project.qde").decode()
            texts = [z.read(n).decode() for n in z.namelist() if n.startswith("sources/")]
        assert xml.count("<TextSource ") == sources, documents
        if documents != "step":
            week = next(t for t in texts if t.startswith(("1 · The encounter", "Week 1 · 1 · The encounter")))
            assert "\n\n2 · What I felt\n" in week or "\n\nWeek 1 · 2 · What I felt\n" in week
            assert 'name="encounter"' in xml  # selections labelled by step


def test_qdc_export_is_the_rounds_codebook(db, research_env, coded):
    pytest.importorskip("xmlschema")
    result, data = run_export(db, research_env, "qdc")
    assert result.rows == 4 and data.startswith(b"<?xml")
    import xmlschema

    xmlschema.XMLSchema(str(SCHEMA_DIR / "Codebook.xsd")).validate(data.decode())


def test_withdrawn_students_are_in_no_later_export_of_any_format(db, research_env, coded):
    from tests.support.factories import DomainChat

    ben = DomainChat(db, research_env, __import__("bot.core.context", fromlist=["Person"]).Person(2002, "Ben"))
    ben.command("withdraw")
    ben.press("Yes, withdraw")
    for fmt in ("csv", "jsonl", "qdpx"):
        result, data = run_export(db, research_env, fmt)
        assert result.participants == 1 and result.rows == 5
        blob = (
            data
            if fmt != "qdpx"
            else b"".join(
                zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
            )
        )
        assert b"HYPERLINK" not in blob and b"P002" not in blob


def test_an_unknown_format_or_round_is_a_clear_error(db, research_env, coded):
    with pytest.raises(ResearchError, match="unknown format 'pdf'"):
        run_export(db, research_env, "pdf")
    with pytest.raises(ResearchError, match="has no round 7"):
        run_export(db, research_env, "csv", round_number=7)


def test_formula_neutralising_is_exact():
    assert [cells.safe_cell(v) for v in ("=1", "+1", "-1", "@x", "\tx", "\rx", "ok", "", 5)] == [
        "'=1",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "'\rx",
        "ok",
        "",
        5,
    ]
