"""Tests of the REFI-QDA (QDA-XML 1.0) writer and codebook reader in bot.research.refi_qda."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.research.refi_qda import (
    GUID_NAMESPACE,
    QdaCase,
    QdaCode,
    QdaNote,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    RefiQdaError,
    guid,
    read_qdc,
    write_qdc,
    write_qdpx,
)
from bot.research.refi_qda import zip as refi_qda_zip
from bot.research.refi_qda.zip import RecordSorter
from tests.support.paths import DATA

SCHEMA_DIR = DATA / "refi-qda"
P = "{urn:QDA-XML:project:1.0}"
C = "{urn:QDA-XML:codebook:1.0}"
T0 = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
GUID_RE = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
DATE_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CONTAINERS = {"Users", "Codes", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs"}
PROJECT_ORDER = [
    "Users",
    "CodeBook",
    "Variables",
    "Cases",
    "Sources",
    "Notes",
    "Links",
    "Sets",
    "Graphs",
    "Description",
    "NoteRef",
]


# --------------------------------------------------------------------------------------------------
# helpers and fixtures


def _schema(name: str) -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    path = SCHEMA_DIR / name
    assert path.is_file(), f"REFI-QDA schema missing from the repository: {path}"
    return xmlschema.XMLSchema(str(path))


@pytest.fixture(scope="module")
def project_schema() -> Any:
    return _schema("Project.xsd")


@pytest.fixture(scope="module")
def codebook_schema() -> Any:
    return _schema("Codebook.xsd")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


USERS = [QdaUser("coder:1", "Dr Ágnes Kovács"), QdaUser("coder:2", "Ben O'Neil & co <2>")]
CODES = [
    QdaCode(
        "code:1",
        "Emotions",
        color="#E91E63",
        description="Definition: feelings.\nInclude: named emotions.",
        is_codable=False,
    ),
    QdaCode("code:2", "Anxiety", color="#f44", description="Worry, fear.", parent_key="code:1"),
    QdaCode("code:3", "Guilt", parent_key="code:1"),
    QdaCode("code:4", "Uncertainty", parent_key="code:2"),
    QdaCode("code:5", 'Empathy "quoted"', color="#00AA00"),
]
VARIABLES = [
    QdaVariable("var:cohort", "Cohort"),
    QdaVariable("var:weeks", "Weeks enrolled", "Integer", description="Number of weeks with a reflection"),
    QdaVariable("var:consent", "Consent to quotes", "Boolean"),
    QdaVariable("var:score", "Mean score", "Float"),
    QdaVariable("var:start", "Start date", "Date"),
    QdaVariable("var:last", "Last reflection", "DateTime"),
]
CASES = [
    QdaCase(
        "p:1",
        "Falcon",
        {
            "var:cohort": "2026-A",
            "var:weeks": 4,
            "var:consent": True,
            "var:score": 0.1,
            "var:start": date(2026, 2, 3),
            "var:last": datetime(2026, 4, 30, 20, 15, tzinfo=timezone(timedelta(hours=2))),
        },
    ),
    QdaCase(
        "p:2",
        "Heron",
        {"var:cohort": "2026-B", "var:weeks": 0, "var:score": Decimal("1E-7"), "var:consent": None},
        description="Joined late",
    ),
    QdaCase("p:3", "Owl"),
]
NOTES = [
    QdaNote(
        "note:1",
        "Analytic memo",
        "Anxiety clusters around first patient deaths.\r\nSee week 3.",
        T0,
        "coder:1",
    ),
    QdaNote("note:2", "Coding decisions", "Guilt ≠ shame — keep apart.", T0),
]
TEXT_1 = "Première garde 😀: I felt anxious and guilty.\nThe patient's daughter cried; I stayed. 🩺"
TEXT_2 = "Ich war unsicher, ob ich helfen kann.\n\nDanach: Erleichterung."


def _span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def realistic_sources() -> list[QdaSource]:
    a = _span(TEXT_1, "anxious")
    g = _span(TEXT_1, "guilty")
    u = _span(TEXT_2, "unsicher")
    return [
        QdaSource(
            "refl:1",
            "Falcon – week 1",
            TEXT_1,
            T0,
            [
                QdaSelection("sel:1", *a, "code:2", "coder:1", T0),
                QdaSelection("sel:2", *a, "code:2", "coder:2", T0 + timedelta(minutes=5)),
                QdaSelection("sel:3", *g, "code:3", "coder:1", T0),
                QdaSelection("sel:4", 0, len(TEXT_1), "code:5", "coder:2", T0),  # whole document
            ],
            case_key="p:1",
            note_keys=["note:1"],
            creator_key="coder:1",
            variables={"var:weeks": 1},
        ),
        QdaSource(
            "refl:2",
            "Heron – week 1",
            TEXT_2,
            T0 + timedelta(days=1),
            [QdaSelection("sel:5", *u, "code:4", "coder:1", T0)],
            case_key="p:2",
        ),
        QdaSource("refl:3", "Falcon – week 2", "Short.", T0 + timedelta(days=7), case_key="p:1"),
        QdaSource("refl:4", "Unassigned", "", T0 + timedelta(days=8)),
    ]


def export(**overrides: Any) -> bytes:
    kwargs: dict[str, Any] = {
        "project_name": "Balint reflections 2026",
        "users": USERS,
        "codes": CODES,
        "variables": VARIABLES,
        "cases": CASES,
        "sources": realistic_sources(),
        "notes": NOTES,
        "created": T0,
        "description": "De-identified export.",
    }
    kwargs.update(overrides)
    buf = io.BytesIO()
    write_qdpx(buf, **kwargs)
    return buf.getvalue()


def open_export(data: bytes) -> tuple[zipfile.ZipFile, ET.Element]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    return zf, ET.fromstring(zf.read("project.qde"))


def check_invariants(zf: zipfile.ZipFile, root: ET.Element) -> None:
    """Everything the README says importers need that the XSD does not check."""
    assert root.tag == P + "Project" and root.get("origin")
    order = [_local(child.tag) for child in root]
    assert order == sorted(order, key=PROJECT_ORDER.index)
    all_guids = [el.get("guid") for el in root.iter() if el.get("guid") is not None]
    assert len(all_guids) == len(set(all_guids)), "GUIDs must be unique"
    assert all(GUID_RE.fullmatch(g or "") for g in all_guids)
    for el in root.iter():
        if _local(el.tag) in CONTAINERS:
            assert len(el) > 0, f"empty container <{_local(el.tag)}>"
        for attr in ("creationDateTime", "modifiedDateTime"):
            if el.get(attr) is not None:
                assert DATE_RE.fullmatch(el.get(attr) or "")
    codes = {el.get("guid"): el for el in root.iter(P + "Code")}
    users = {el.get("guid") for el in root.iter(P + "User")}
    for ref in root.iter(P + "CodeRef"):
        target = codes[ref.get("targetGUID")]
        assert target.get("isCodable") == "true"
    for el in root.iter():
        if el.get("creatingUser") is not None:
            assert el.get("creatingUser") in users
    for note in root.iter(P + "Note"):
        assert note.get("creationDateTime")
    names = set(zf.namelist())
    for el in root.iter():
        path = el.get("plainTextPath")
        if path is not None:
            assert path == f"internal://{el.get('guid')}.txt"
            raw = zf.read(f"sources/{el.get('guid')}.txt")
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
            raw.decode("utf-8")
            assert f"sources/{el.get('guid')}.txt" in names
    for src in root.iter(P + "TextSource"):
        text = zf.read(f"sources/{src.get('guid')}.txt").decode("utf-8")
        for sel in src.iter(P + "PlainTextSelection"):
            assert 0 <= int(sel.get("startPosition", "")) <= int(sel.get("endPosition", "")) <= len(text)


def selections_text(zf: zipfile.ZipFile, root: ET.Element) -> dict[str, str]:
    """GUID of each PlainTextSelection -> the text it covers, read back from the stored source file."""
    out = {}
    for src in root.iter(P + "TextSource"):
        text = zf.read(f"sources/{src.get('guid')}.txt").decode("utf-8")
        for sel in src.iter(P + "PlainTextSelection"):
            out[sel.get("guid", "")] = text[
                int(sel.get("startPosition", "")) : int(sel.get("endPosition", ""))
            ]
    return out


# --------------------------------------------------------------------------------------------------
# GUIDs


def test_guid_is_deterministic_uuid5_uppercase() -> None:
    g = guid("code", 12)
    assert g == guid("code", "12") == str(uuid.uuid5(GUID_NAMESPACE, "4:code2:12")).upper()
    assert GUID_RE.fullmatch(g) and uuid.UUID(g).version == 5
    assert guid("code", 12) != guid("case", 12)
    assert guid("a", "b:c") != guid("a", "b", "c")


# --------------------------------------------------------------------------------------------------
# Project export


def test_realistic_export_is_schema_valid(project_schema: Any) -> None:
    data = export()
    zf, root = open_export(data)
    project_schema.validate(io.BytesIO(zf.read("project.qde")))
    check_invariants(zf, root)
    assert zf.namelist()[0] == "sources/" and zf.namelist()[-1] == "project.qde"
    assert [_local(c.tag) for c in root] == [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Description",
    ]


def test_export_content_maps_every_object() -> None:
    zf, root = open_export(export())
    users = {u.get("name"): u.get("guid") for u in root.iter(P + "User")}
    assert set(users) == {"Dr Ágnes Kovács", "Ben O'Neil & co <2>"}
    # hierarchy: Emotions > Anxiety > Uncertainty, Emotions > Guilt, Empathy at the top
    codes = root.find(f"{P}CodeBook/{P}Codes")
    assert codes is not None
    top = {c.get("name"): c for c in codes.findall(P + "Code")}
    assert set(top) == {"Emotions", 'Empathy "quoted"'}
    emotions = top["Emotions"]
    assert emotions.get("isCodable") == "false" and emotions.get("color") == "#E91E63"
    assert emotions.findtext(P + "Description") == "Definition: feelings.\nInclude: named emotions."
    anxiety = {c.get("name"): c for c in emotions.findall(P + "Code")}["Anxiety"]
    assert anxiety.get("color") == "#FF4444"
    assert [c.get("name") for c in anxiety.findall(P + "Code")] == ["Uncertainty"]
    assert anxiety.get("guid") == guid("code", "code:2")
    # cases: variables and the participant's sources, in source order
    cases = {c.get("name"): c for c in root.iter(P + "Case")}
    src_guid = {s.get("name"): s.get("guid") for s in root.iter(P + "TextSource")}
    falcon = cases["Falcon"]
    assert [r.get("targetGUID") for r in falcon.findall(P + "SourceRef")] == [
        src_guid["Falcon – week 1"],
        src_guid["Falcon – week 2"],
    ]
    values = {v.find(P + "VariableRef").get("targetGUID"): v[1] for v in falcon.findall(P + "VariableValue")}  # type: ignore[union-attr]
    var_guid = {v.get("name"): v.get("guid") for v in root.iter(P + "Variable")}
    assert (values[var_guid["Cohort"]].tag, values[var_guid["Cohort"]].text) == (P + "TextValue", "2026-A")
    assert values[var_guid["Weeks enrolled"]].text == "4"
    assert values[var_guid["Consent to quotes"]].text == "true"
    assert values[var_guid["Mean score"]].text == "0.1"
    assert values[var_guid["Start date"]].text == "2026-02-03"
    assert values[var_guid["Last reflection"]].text == "2026-04-30T18:15:00Z"  # converted to UTC
    heron = cases["Heron"]
    assert heron.findtext(P + "Description") == "Joined late"
    assert "0.0000001" in [v[1].text for v in heron.findall(P + "VariableValue")]
    assert len(heron.findall(P + "VariableValue")) == 3  # None value left out
    assert cases["Owl"].find("*") is None
    # selections: coder, code, whole-document coding, note reference
    s1 = next(s for s in root.iter(P + "TextSource") if s.get("name") == "Falcon – week 1")
    assert s1.get("creatingUser") == users["Dr Ágnes Kovács"]
    sels = s1.findall(P + "PlainTextSelection")
    assert [s.get("creatingUser") for s in sels] == [
        users["Dr Ágnes Kovács"],
        users["Ben O'Neil & co <2>"],
        users["Dr Ágnes Kovács"],
        users["Ben O'Neil & co <2>"],
    ]
    coding = sels[0].find(P + "Coding")
    assert coding is not None and coding.get("creatingUser") == sels[0].get("creatingUser")
    assert coding.find(P + "CodeRef").get("targetGUID") == anxiety.get("guid")  # type: ignore[union-attr]
    assert (sels[3].get("startPosition"), sels[3].get("endPosition")) == ("0", str(len(TEXT_1)))
    note_guids = {n.get("name"): n.get("guid") for n in root.iter(P + "Note")}
    assert [r.get("targetGUID") for r in s1.findall(P + "NoteRef")] == [note_guids["Analytic memo"]]
    # notes stored as files, CRLF normalised
    memo = zf.read(f"sources/{note_guids['Analytic memo']}.txt").decode("utf-8")
    assert memo == "Anxiety clusters around first patient deaths.\nSee week 3."
    assert root.get("creationDateTime") == "2026-05-01T12:00:00Z"
    assert root.findtext(P + "Description") == "De-identified export."


def test_non_ascii_offsets_select_the_right_substring() -> None:
    zf, root = open_export(export())
    got = selections_text(zf, root)
    assert got[guid("selection", "sel:1")] == "anxious"
    assert got[guid("selection", "sel:3")] == "guilty"
    assert got[guid("selection", "sel:4")] == TEXT_1
    assert got[guid("selection", "sel:5")] == "unsicher"
    stored = zf.read(f"sources/{guid('source', 'refl:1')}.txt")
    assert stored == TEXT_1.encode("utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_offsets_roundtrip_property(data: st.DataObject) -> None:
    alphabet = st.characters(exclude_categories=["Cs"], exclude_characters="\r")
    text = data.draw(st.text(alphabet=alphabet, max_size=60).filter(lambda t: not t.startswith("\ufeff")))
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=5))
    sels = [
        QdaSelection(f"s{i}", min(a, b), max(a, b), "code:5", "coder:1", T0) for i, (a, b) in enumerate(spans)
    ]
    zf, root = open_export(export(sources=[QdaSource("k", "n", text, T0, sels)], cases=[]))
    got = selections_text(zf, root)
    for sel in sels:
        assert got[guid("selection", sel.key)] == text[sel.start : sel.end]


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    first = export()
    assert export(sources=iter(realistic_sources())) == first
    write_qdpx(
        tmp_path / "a.qdpx",
        project_name="Balint reflections 2026",
        users=USERS,
        codes=CODES,
        variables=VARIABLES,
        cases=CASES,
        sources=(s for s in realistic_sources()),
        notes=NOTES,
        created=T0,
        description="De-identified export.",
    )
    assert (tmp_path / "a.qdpx").read_bytes() == first
    assert not (tmp_path / "a.qdpx.part").exists()
    # zip timestamps come from `created`, not from the clock
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(2026, 5, 1, 12, 0, 0)}
    assert export(created=T0 + timedelta(seconds=2)) != first


def test_minimal_exports_omit_empty_containers(project_schema: Any) -> None:
    only_sources = export(
        users=[],
        codes=[],
        variables=[],
        cases=[],
        notes=[],
        description=None,
        sources=[QdaSource("a", "A", "text", T0)],
    )
    zf, root = open_export(only_sources)
    assert [_local(c.tag) for c in root] == ["Sources"]
    project_schema.validate(io.BytesIO(zf.read("project.qde")))
    nothing = export(users=[], codes=[], variables=[], cases=[], notes=[], description=None, sources=[])
    zf, root = open_export(nothing)
    assert list(root) == [] and zf.namelist() == ["sources/", "project.qde"]
    project_schema.validate(io.BytesIO(zf.read("project.qde")))


def test_xml_special_characters_survive(project_schema: Any) -> None:
    name = 'a "b" <c> & d\te\nf'
    zf, root = open_export(
        export(
            users=[QdaUser("u", name)],
            codes=[QdaCode("c", name, description=" x\ny ")],
            cases=[],
            variables=[],
            notes=[],
            project_name=name,
            sources=[QdaSource("s", name, "t", T0, [QdaSelection("x", 0, 1, "c", "u", T0)])],
        )
    )
    project_schema.validate(io.BytesIO(zf.read("project.qde")))
    assert root.get("name") == name
    assert next(root.iter(P + "User")).get("name") == name
    assert next(root.iter(P + "TextSource")).get("name") == name
    assert next(root.iter(P + "Code")).findtext(P + "Description") == " x\ny "


def test_codebook_keys_that_are_guids_are_kept() -> None:
    g = "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}"
    source = QdaSource("s", "S", "abc", T0, [QdaSelection("x", 0, 3, g, "coder:1", T0)])
    zf, root = open_export(
        export(codes=[QdaCode(g, "Imported")], cases=[], variables=[], notes=[], sources=[source])
    )
    code = next(root.iter(P + "Code"))
    assert code.get("guid") == "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"
    assert next(root.iter(P + "CodeRef")).get("targetGUID") == code.get("guid")


def test_progress_and_count() -> None:
    seen: list[int] = []
    n = write_qdpx(
        io.BytesIO(),
        project_name="p",
        users=USERS,
        codes=CODES,
        variables=VARIABLES,
        cases=CASES,
        sources=realistic_sources(),
        notes=NOTES,
        created=T0,
        progress=seen.append,
    )
    assert n == 4 and seen == [1, 2, 3, 4]


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip not installed")
def test_archive_passes_unzip_test(tmp_path: Path) -> None:
    path = tmp_path / "p.qdpx"
    path.write_bytes(export())
    result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_zip64_end_records_and_offsets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Exports of >= 65,535 members need ZIP64 end records; exercised here with lowered limits."""
    monkeypatch.setattr(refi_qda_zip, "ZIP64_COUNT_LIMIT", 3)
    monkeypatch.setattr(refi_qda_zip, "ZIP64_OFFSET_LIMIT", 200)
    data = export()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    zf, root = open_export(data)
    check_invariants(zf, root)
    assert selections_text(zf, root)[guid("selection", "sel:1")] == "anxious"
    if shutil.which("unzip"):
        (tmp_path / "z.qdpx").write_bytes(data)
        result = subprocess.run(
            ["unzip", "-t", str(tmp_path / "z.qdpx")], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------------------
# Streaming


def test_streaming_20000_sources_keeps_memory_flat(tmp_path: Path) -> None:
    n_sources, n_cases = 20_000, 37
    cases = [QdaCase(f"p:{j}", f"Participant {j:02d}", {"var:weeks": j}) for j in range(n_cases)]
    produced = 0

    def sources() -> Iterator[QdaSource]:
        nonlocal produced
        for i in range(n_sources):
            text = f"I felt anxious about the patient 😀 but my tutor helped.\nReflection {i}, week {i % 12}."
            produced += 1
            yield QdaSource(
                f"refl:{i}",
                f"Reflection {i}",
                text,
                T0 + timedelta(minutes=i),
                [QdaSelection(f"sel:{i}", 7, 14, "code:2", "coder:1", T0)],
                case_key=f"p:{i % n_cases}",
            )

    path = tmp_path / "big.qdpx"
    tracemalloc.start()
    try:
        count = write_qdpx(
            path,
            project_name="big",
            users=USERS,
            codes=CODES,
            variables=VARIABLES,
            cases=cases,
            sources=sources(),
            created=T0,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == produced == n_sources
    assert peak < 30 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"

    with zipfile.ZipFile(path) as zf:
        assert len(zf.namelist()) == n_sources + 2
        root = ET.fromstring(zf.read("project.qde"))
        src_guids = [s.get("guid") for s in root.iter(P + "TextSource")]
        assert len(src_guids) == n_sources
        for j, case in enumerate(root.iter(P + "Case")):
            refs = [r.get("targetGUID") for r in case.findall(P + "SourceRef")]
            assert refs == src_guids[j::n_cases]
        last = zf.read(f"sources/{src_guids[-1]}.txt").decode("utf-8")
        assert last[7:14] == "anxious" and last.endswith(f"Reflection {n_sources - 1}, week 7.")


def test_record_sorter_merges_spilled_runs() -> None:
    import random

    rng = random.Random(7)
    records = [rng.randbytes(5) for _ in range(1000)]
    sorter = RecordSorter(5, chunk=37)
    for r in records:
        sorter.add(r)
    assert list(sorter.sorted_records()) == sorted(records)
    sorter.close()
    with pytest.raises(ValueError):
        RecordSorter(3).add(b"toolong")


# --------------------------------------------------------------------------------------------------
# Errors on bad input


def _src(text: str = "hello world", *sels: QdaSelection, **kw: Any) -> QdaSource:
    return QdaSource(kw.pop("key", "s"), kw.pop("name", "S"), text, T0, list(sels), **kw)


def _sel(
    start: int = 0,
    end: int = 5,
    code: str = "code:5",
    coder: str = "coder:1",
    key: str = "x",
    created: datetime = T0,
) -> QdaSelection:
    return QdaSelection(key, start, end, code, coder, created)


BAD_SOURCES: list[tuple[str, list[QdaSource], str]] = [
    ("crlf", [_src("a\r\nb")], r"'\\r'"),
    ("bom", [_src("\ufeffabc")], "BOM"),
    ("lone surrogate", [_src("a\ud800b")], "not valid Unicode"),
    ("end past text", [_src("hello", _sel(0, 6))], "len\\(text\\) = 5"),
    ("start after end", [_src("hello", _sel(3, 2))], "start=3 end=2"),
    ("negative start", [_src("hello", _sel(-1, 2))], "start=-1"),
    ("float offset", [_src("hello", _sel(0, 2.0))], "must be ints"),  # type: ignore[arg-type]
    ("unknown code", [_src("hello", _sel(code="code:99"))], "unknown code_key 'code:99'"),
    ("category code", [_src("hello", _sel(code="code:1"))], "not codable"),
    ("unknown coder", [_src("hello", _sel(coder="coder:9"))], "unknown coder_key 'coder:9'"),
    ("naive selection date", [_src("hello", _sel(created=datetime(2026, 1, 1)))], "naive datetime"),  # noqa: DTZ001
    ("unknown case", [_src(case_key="p:9")], "unknown case_key"),
    ("unknown note", [_src(note_keys=["note:9"])], "unknown note key"),
    ("unknown creator", [_src(creator_key="coder:9")], "unknown creator_key"),
    ("unknown variable", [_src(variables={"var:nope": 1})], "unknown variable key"),
    ("wrong variable type", [_src(variables={"var:weeks": "3"})], "Integer variable needs an int"),
    ("empty name", [_src(name=" ")], "name must not be empty"),
    ("duplicate source key", [_src(key="d"), _src(key="d")], "used twice \\(source\\)"),
    (
        "duplicate selection key",
        [_src("hello", _sel(key="k"), key="a"), _src("hello", _sel(key="k"), key="b")],
        "used twice \\(selection\\)",
    ),
    ("source GUID equals code GUID", [_src(key=guid("code", "code:5"))], "also the GUID of code 'code:5'"),
]


@pytest.mark.parametrize(("label", "sources", "message"), BAD_SOURCES, ids=[b[0] for b in BAD_SOURCES])
def test_bad_sources_raise(label: str, sources: list[QdaSource], message: str, tmp_path: Path) -> None:
    with pytest.raises(RefiQdaError, match=message):
        export(sources=sources)
    target = tmp_path / "out.qdpx"
    target.write_bytes(b"previous export")
    with pytest.raises(RefiQdaError):
        write_qdpx(
            target,
            project_name="p",
            users=USERS,
            codes=CODES,
            variables=VARIABLES,
            cases=CASES,
            notes=NOTES,
            sources=sources,
            created=T0,
        )
    assert target.read_bytes() == b"previous export", "a failed export must not clobber the previous file"
    assert not (tmp_path / "out.qdpx.part").exists()


BAD_SETUPS: list[tuple[str, dict[str, Any], str]] = [
    ("naive created", {"created": datetime(2026, 5, 1)}, "naive datetime"),  # noqa: DTZ001
    ("duplicate user key", {"users": [*USERS, QdaUser("coder:1", "X")]}, "duplicate user key"),
    ("duplicate user name", {"users": [*USERS, QdaUser("coder:3", USERS[0].name)]}, "two users named"),
    ("duplicate code key", {"codes": [*CODES, QdaCode("code:5", "Other")]}, "duplicate code key"),
    (
        "unknown parent",
        {"codes": [*CODES, QdaCode("code:6", "Orphan", parent_key="code:99")]},
        "unknown parent",
    ),
    ("cycle", {"codes": [QdaCode("a", "A", parent_key="b"), QdaCode("b", "B", parent_key="a")]}, "cycle"),
    (
        "sibling names",
        {"codes": [*CODES, QdaCode("code:6", "Guilt", parent_key="code:1")]},
        "two codes named",
    ),
    ("bad colour", {"codes": [QdaCode("c", "C", color="red")]}, "colour must be '#RRGGBB'"),
    ("control char", {"codes": [QdaCode("c", "C\x07")]}, "U\\+0007"),
    ("variable type", {"variables": [QdaVariable("v", "V", "Number")]}, "unknown type 'Number'"),  # type: ignore[arg-type]
    (
        "duplicate variable name",
        {"variables": [*VARIABLES, QdaVariable("v2", "Cohort")]},
        "two variables named",
    ),
    (
        "case value type",
        {"cases": [QdaCase("p:1", "F", {"var:consent": "yes"})]},
        "Boolean variable needs a bool",
    ),
    ("case float nan", {"cases": [QdaCase("p:1", "F", {"var:score": float("nan")})]}, "finite"),
    ("case date is datetime", {"cases": [QdaCase("p:1", "F", {"var:start": T0})]}, "needs a datetime.date"),
    ("case unknown variable", {"cases": [QdaCase("p:1", "F", {"nope": 1})]}, "unknown variable key"),
    ("duplicate case name", {"cases": [*CASES, QdaCase("p:4", "Owl")]}, "two cases named"),
    ("note creator", {"notes": [QdaNote("n", "N", "t", T0, "coder:9")]}, "unknown creator_key"),
    ("note naive date", {"notes": [QdaNote("n", "N", "t", datetime(2026, 1, 1))]}, "naive"),  # noqa: DTZ001
    ("GUID collision across kinds", {"users": [QdaUser(guid("code", "code:1"), "X")]}, "also the GUID of"),
]


@pytest.mark.parametrize(("label", "overrides", "message"), BAD_SETUPS, ids=[b[0] for b in BAD_SETUPS])
def test_bad_setup_raises_before_writing(label: str, overrides: dict[str, Any], message: str) -> None:
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {
        "project_name": "p",
        "users": USERS,
        "codes": CODES,
        "variables": VARIABLES,
        "cases": CASES,
        "notes": NOTES,
        "created": T0,
        "sources": [],
    }
    kwargs.update(overrides)
    with pytest.raises(RefiQdaError, match=message):
        write_qdpx(buf, **kwargs)
    assert buf.getvalue() == b"", "validation of the in-memory collections happens before any output"


# --------------------------------------------------------------------------------------------------
# Codebook (.qdc)


def test_write_qdc_is_schema_valid_and_round_trips(codebook_schema: Any, tmp_path: Path) -> None:
    buf = io.BytesIO()
    write_qdc(buf, codes=CODES)
    data = buf.getvalue()
    codebook_schema.validate(io.BytesIO(data))
    root = ET.fromstring(data)
    assert root.tag == C + "CodeBook" and root.get("origin") == "balintbot"

    back = read_qdc(io.BytesIO(data))
    guid_to_key = {guid("code", c.key): c.key for c in CODES}
    assert [guid_to_key[c.key] for c in back] == [
        "code:1",
        "code:2",
        "code:4",
        "code:3",
        "code:5",
    ]  # pre-order
    original = {c.key: c for c in CODES}
    for code in back:
        src = original[guid_to_key[code.key]]
        assert code.name == src.name and code.description == src.description
        assert code.is_codable == src.is_codable
        assert code.color == (
            None if src.color is None else {"#f44": "#FF4444"}.get(src.color, src.color.upper())
        )
        assert (guid_to_key[code.parent_key] if code.parent_key else None) == src.parent_key

    # writing the read codes again keeps GUIDs and bytes; paths work too
    write_qdc(tmp_path / "again.qdc", codes=back)
    assert (tmp_path / "again.qdc").read_bytes() == data
    assert read_qdc(tmp_path / "again.qdc") == back
    assert read_qdc(str(tmp_path / "again.qdc")) == back


def test_write_qdc_rejects_empty_codebook() -> None:
    with pytest.raises(RefiQdaError, match="at least one code"):
        write_qdc(io.BytesIO(), codes=[])


NVIVO_STYLE_QDC = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="{7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f10}" name="Relationships" isCodable="false">
      <Description>Relations with patients &amp; staff</Description>
      <Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f11" name="Patients" isCodable="true" color="#1f77b4">
        <Code guid="7A0B55B1-8C1D-4F6E-9C1E-0A4C7B1E2F12" name="Dying patients" isCodable="1"/>
        <Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f13" name="Families" color="not-a-colour">
          <Description></Description>
        </Code>
      </Code>
      <Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f14" name="Senior doctors" isCodable=" false "/>
    </Code>
    <Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f15" name="Émotions 😀" isCodable="true"/>
  </Codes>
  <Sets>
    <Set guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f16" name="Main">
      <MemberCode guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f11"/>
    </Set>
  </Sets>
</CodeBook>
"""


def test_read_hand_written_nested_codebook() -> None:
    """Braced/lowercase GUIDs, BOM, isCodable "1"/missing/padded, junk colour, Sets: as seen in the wild."""
    raw = NVIVO_STYLE_QDC.encode("utf-8")
    codes = read_qdc(io.BytesIO(raw))
    by_name = {c.name: c for c in codes}
    assert [c.name for c in codes] == [
        "Relationships",
        "Patients",
        "Dying patients",
        "Families",
        "Senior doctors",
        "Émotions 😀",
    ]
    rel = by_name["Relationships"]
    assert rel.key == "7A0B55B1-8C1D-4F6E-9C1E-0A4C7B1E2F10" and rel.parent_key is None
    assert rel.is_codable is False and rel.description == "Relations with patients & staff"
    assert by_name["Patients"].parent_key == rel.key and by_name["Patients"].color == "#1F77B4"
    assert by_name["Dying patients"].parent_key == by_name["Patients"].key
    assert by_name["Dying patients"].is_codable is True
    assert by_name["Families"].is_codable is True  # missing isCodable: REFI default
    assert by_name["Families"].color is None and by_name["Families"].description is None
    assert by_name["Senior doctors"].is_codable is False and by_name["Senior doctors"].parent_key == rel.key
    assert by_name["Émotions 😀"].parent_key is None


def test_read_qdc_accepts_project_files_and_other_encodings(tmp_path: Path) -> None:
    expected = read_qdc(io.BytesIO(NVIVO_STYLE_QDC.encode("utf-8")))
    utf16 = NVIVO_STYLE_QDC.lstrip("\ufeff").replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert read_qdc(io.BytesIO(utf16)) == expected
    project_ns = NVIVO_STYLE_QDC.replace("urn:QDA-XML:codebook:1.0", "urn:QDA-XML:project:1.0")
    assert read_qdc(io.BytesIO(project_ns.encode("utf-8"))) == expected
    # a whole .qdpx export: the project's CodeBook is read
    path = tmp_path / "p.qdpx"
    path.write_bytes(export())
    from_project = read_qdc(path)
    assert [c.name for c in from_project] == [
        "Emotions",
        "Anxiety",
        "Uncertainty",
        "Guilt",
        'Empathy "quoted"',
    ]
    assert from_project[0].key == guid("code", "code:1")


BAD_QDC: list[tuple[str, bytes, str]] = [
    ("empty", b"", "not well-formed"),
    ("not xml", b"hello", "not well-formed"),
    ("truncated", NVIVO_STYLE_QDC.encode()[:300], "not well-formed"),
    ("wrong root", b'<Codes xmlns="urn:QDA-XML:codebook:1.0"/>', "root element is <Codes>"),
    ("wrong namespace", b'<CodeBook xmlns="urn:example"/>', "unexpected XML namespace"),
    ("no codes", b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', "exactly one <Codes>"),
    (
        "no guid",
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="a" isCodable="true"/></Codes>'
        b"</CodeBook>",
        "no guid",
    ),
    (
        "bad guid",
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="12" name="a"/></Codes></CodeBook>',
        "invalid guid '12'",
    ),
    (
        "no name",
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f10"/></Codes></CodeBook>',
        "no name",
    ),
    (
        "bad isCodable",
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f10" name="a" isCodable="yes"/></Codes>'
        b"</CodeBook>",
        "isCodable='yes'",
    ),
    (
        "duplicate guid",
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="7a0b55b1-8c1d-4f6e-9c1e-0a4c7b1e2f10" name="a">'
        b'<Code guid="{7A0B55B1-8C1D-4F6E-9C1E-0A4C7B1E2F10}" name="b"/></Code></Codes></CodeBook>',
        "used by two codes",
    ),
    (
        "entity expansion",
        b'<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>',
        "DTDs",
    ),
    ("project without codebook", b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>', "no CodeBook"),
    ("zip without qde", b"", "without a .qde"),
]


@pytest.mark.parametrize(("label", "raw", "message"), BAD_QDC, ids=[b[0] for b in BAD_QDC])
def test_read_qdc_rejects_malformed_input(label: str, raw: bytes, message: str) -> None:
    if label == "zip without qde":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("readme.txt", "hi")
        raw = buf.getvalue()
    with pytest.raises(RefiQdaError, match=message):
        read_qdc(io.BytesIO(raw))


def test_read_qdc_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RefiQdaError, match="cannot read codebook"):
        read_qdc(tmp_path / "missing.qdc")


def test_dataclasses_are_frozen() -> None:
    code = CODES[0]
    with pytest.raises(AttributeError):
        code.name = "x"  # type: ignore[misc]
    assert replace(code, name="x").name == "x"
