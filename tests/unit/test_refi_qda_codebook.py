"""Tests of the REFI-QDA codebook (.qdc) writer and reader in bot.research.refi_qda: written schema-valid and read
back, read as other tools write it (NVivo-style GUIDs, encodings, a whole .qdpx), malformed input rejected."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from bot.research.refi_qda import RefiQdaError, guid, read_qdc, write_qdc
from tests.support.refi_qda_support import CODES, C, export

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
        assert code.color == (None if src.color is None else {"#f44": "#FF4444"}.get(src.color, src.color.upper()))
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
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="a" isCodable="true"/></Codes></CodeBook>',
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
