"""Tests of the REFI-QDA (QDA-XML 1.0) project writer in bot.research.refi_qda: GUIDs, the .qdpx export
(schema-valid, every object mapped, offsets, byte-identical, ZIP64), streaming, the frozen data classes.

Bad input is in test_refi_qda_validate, the codebook (.qdc) in test_refi_qda_codebook; the shared project and
checks in tests/support/refi_qda_support.py.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
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
    QdaSelection,
    QdaSource,
    QdaUser,
    guid,
    write_qdpx,
)
from bot.research.refi_qda import zip as refi_qda_zip
from bot.research.refi_qda.zip import RecordSorter
from tests.support.refi_qda_support import (
    CASES,
    CODES,
    GUID_RE,
    NOTES,
    T0,
    TEXT_1,
    USERS,
    VARIABLES,
    P,
    check_invariants,
    export,
    local_name,
    open_export,
    realistic_sources,
    selections_text,
)

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
    assert [local_name(c.tag) for c in root] == [
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
    sels = [QdaSelection(f"s{i}", min(a, b), max(a, b), "code:5", "coder:1", T0) for i, (a, b) in enumerate(spans)]
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
    assert [local_name(c.tag) for c in root] == ["Sources"]
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
    zf, root = open_export(export(codes=[QdaCode(g, "Imported")], cases=[], variables=[], notes=[], sources=[source]))
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
        result = subprocess.run(["unzip", "-t", str(tmp_path / "z.qdpx")], capture_output=True, text=True, check=False)
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
# Data classes


def test_dataclasses_are_frozen() -> None:
    code = CODES[0]
    with pytest.raises(AttributeError):
        code.name = "x"  # type: ignore[misc]
    assert replace(code, name="x").name == "x"
