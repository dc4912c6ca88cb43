"""Importing codings from CSV and REFI-QDA (.qdpx) files."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import pytest

from bot.research.agreement import Coding, compute_agreement
from bot.research.agreement.io import AgreementInputError, load_codings, load_csv, load_qdpx
from tests.support.paths import DATA as TEST_DATA

DATA = TEST_DATA / "agreement"
SCHEMA = TEST_DATA / "refi-qda" / "Project.xsd"
NS = "urn:QDA-XML:project:1.0"


def g(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"balintbot-test/{name}"))


# ---------------------------------------------------------------------------------------------------------
# CSV


def test_sample_csv() -> None:
    codings, lengths = load_codings(DATA / "codings.csv")
    assert lengths == {"r1": 80, "r2": 60}
    assert codings[0] == Coding("r1", "ann", "Empathy", 0, 25)
    assert Coding("r2", "ann", "Hierarchy") in codings
    assert Coding("r3", "bob", "Self-care, rest") in codings
    assert len(codings) == 10
    report = compute_agreement(codings, item_lengths=lengths)
    assert report.coders == ("ann", "bob") and report.items == 4
    empathy = next(r for r in report.codes if r.code == "Empathy")
    # r1: both, r2: bob only, r3: ann only (r4 has one coder: not compared)
    assert empathy.n_items == 3
    assert empathy.percent_agreement == pytest.approx(1 / 3)
    assert empathy.segment_overlap is not None


def test_excel_csv_with_bom_semicolons_and_crlf() -> None:
    codings, lengths = load_codings(DATA / "excel_semicolon.csv")
    assert lengths == {}
    assert codings == [
        Coding("r1", "ann", "Empathy"),
        Coding("r1", "bob", "Empathy"),
        Coding("r2", "ann", "Hierarchy"),
        Coding("r2", "bob", "Empathy"),
    ]


def test_tab_separated_and_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text("code\tcoder\titem\nEmpathy\tann\tr1\n", encoding="utf-8")
    assert load_codings(path) == ([Coding("r1", "ann", "Empathy")], {})


def test_bad_rows_are_all_reported_with_lines() -> None:
    with pytest.raises(AgreementInputError) as caught:
        load_csv(DATA / "bad_rows.csv")
    message = str(caught.value)
    expected = [
        "line 2: start 10 is after end 5",
        "line 3: empty coder",
        "line 4: start 'x' is not a whole number",
        "line 5: give both start and end",
        "line 6: 6 fields but the header has 5",
        "line 7: start -1 is negative",
    ]
    for fragment in expected:
        assert fragment in message
    assert "bad_rows.csv" in message
    assert len(caught.value.problems) == len(expected)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("item,coder\nr1,ann\n", "missing column(s) code"),
        ("item,coder,code,start\nr1,ann,x,1\n", "both the start and end columns"),
        ("item,coder,code,code\nr1,ann,x,y\n", "column 'code' appears twice"),
        ("", "the file is empty"),
        ("item,coder,code\n\n", "no codings below the header"),
        ("item,coder,code,start,end,item_length\nr1,a,x,0,5,4\n", "end 5 lies beyond the item_length 4"),
        ("item,coder,code,item_length\nr1,a,x,10\nr1,b,x,11\n", "item_length 11 for 'r1' differs from 10 on line 2"),
        ("item,coder,code\nr1,ann,\n", "line 2: empty code"),
        ('item,coder,code\nr1,ann,"unterminated\n', "unexpected end of data"),
    ],
)
def test_csv_errors(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "codings.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AgreementInputError, match="codings.csv") as caught:
        load_codings(path)
    assert fragment in str(caught.value)


def test_csv_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("item,coder,code\nr1,Jürgen,x\n".encode("latin-1"))
    with pytest.raises(AgreementInputError, match="not UTF-8"):
        load_codings(path)
    with pytest.raises(AgreementInputError, match="cannot read"):
        load_codings(tmp_path / "absent.csv")


def test_many_problems_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("item,coder,code\n" + "r1,,x\n" * 50, encoding="utf-8")
    with pytest.raises(AgreementInputError) as caught:
        load_codings(path)
    assert len(caught.value.problems) == 10
    assert "stopped after the first 10 problems" in str(caught.value)


# ---------------------------------------------------------------------------------------------------------
# REFI-QDA

TEXT_1 = "Ich fühlte Mitgefühl für die Patientin 🙂.\nDann kam der Oberarzt."
TEXT_2 = "Short text, é."


def selection(key: str, start: int, end: int, code: str, user: str | None, coding_user: str | None = None) -> str:
    user_attr = f' creatingUser="{g(user)}"' if user else ""
    coding_attr = f' creatingUser="{g(coding_user)}"' if coding_user else ""
    return (
        f'<PlainTextSelection guid="{g(key)}" startPosition="{start}" endPosition="{end}"{user_attr}>'
        f'<Coding guid="{g(key + "-c")}"{coding_attr}><CodeRef targetGUID="{g(code)}"/></Coding>'
        "</PlainTextSelection>"
    )


def project_xml(
    *,
    s1_selections: str | None = None,
    extra_users: str = "",
    second_source_name: str = "reflection-2",
) -> str:
    if s1_selections is None:
        s1_selections = (
            selection("sel-1", 0, 10, "patient", "ann")
            + selection("sel-2", 4, 10, "patient", "bob")
            + selection("sel-3", 43, 64, "hierarchy", None, coding_user="bob")
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project xmlns="{NS}" name="Balint round 1" origin="balintbot tests">'
        f'<Users><User guid="{g("ann")}" name="Ann"/><User guid="{g("bob")}" name="Bob"/>{extra_users}</Users>'
        "<CodeBook><Codes>"
        f'<Code guid="{g("empathy")}" name="Empathy" isCodable="false">'
        f'<Code guid="{g("patient")}" name="Towards patient" isCodable="true"/></Code>'
        f'<Code guid="{g("hierarchy")}" name="Hierarchy" isCodable="true"/>'
        "</Codes></CodeBook>"
        "<Sources>"
        f'<TextSource guid="{g("s1")}" name="reflection-1" plainTextPath="internal://{g("s1")}.txt">'
        f"{s1_selections}"
        f'<Coding guid="{g("whole")}" creatingUser="{g("ann")}"><CodeRef targetGUID="{g("hierarchy")}"/></Coding>'
        "</TextSource>"
        f'<TextSource guid="{g("s2")}" name="{second_source_name}"><PlainTextContent>{TEXT_2}</PlainTextContent>'
        f"{selection('sel-4', 0, 5, 'hierarchy', 'ann')}{selection('sel-5', 0, 14, 'hierarchy', 'bob')}"
        "</TextSource>"
        f'<PDFSource guid="{g("pdf")}" name="scan" path="relative://scan.pdf"/>'
        "</Sources></Project>"
    )


def write_qdpx(path: Path, xml: str, *, text_1: bytes | None = TEXT_1.encode()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        if text_1 is not None:
            archive.writestr(f"sources/{g('s1')}.txt", text_1)
    return path


def test_qdpx_import(tmp_path: Path) -> None:
    codings, lengths = load_codings(write_qdpx(tmp_path / "round1.qdpx", project_xml()))
    assert lengths == {"reflection-1": len(TEXT_1), "reflection-2": len(TEXT_2)}
    assert len(TEXT_1.encode()) > len(TEXT_1)  # lengths are code points, not bytes
    assert codings == [
        Coding("reflection-1", "Ann", "Hierarchy"),
        Coding("reflection-1", "Ann", "Empathy/Towards patient", 0, 10),
        Coding("reflection-1", "Bob", "Empathy/Towards patient", 4, 10),
        Coding("reflection-1", "Bob", "Hierarchy", 43, 64),  # coder from Coding@creatingUser
        Coding("reflection-2", "Ann", "Hierarchy", 0, 5),
        Coding("reflection-2", "Bob", "Hierarchy", 0, 14),
    ]
    report = compute_agreement(codings, item_lengths=lengths)
    assert [r.code for r in report.codes] == ["Empathy/Towards patient", "Hierarchy"]


def test_qdpx_sample_is_schema_valid(tmp_path: Path) -> None:
    assert SCHEMA.is_file(), f"REFI-QDA schema missing from the repository: {SCHEMA}"
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMA))
    schema.validate(project_xml())


def test_bare_qde_and_bom_in_source_text(tmp_path: Path) -> None:
    qde = tmp_path / "project.qde"
    qde.write_text(project_xml(), encoding="utf-8")
    codings, lengths = load_codings(qde)
    assert lengths == {"reflection-2": len(TEXT_2)}  # source files live in the archive only
    assert len(codings) == 6
    bom = write_qdpx(tmp_path / "bom.qdpx", project_xml(), text_1=b"\xef\xbb\xbf" + TEXT_1.encode())
    assert load_qdpx(bom)[1]["reflection-1"] == len(TEXT_1)
    missing = write_qdpx(tmp_path / "missing.qdpx", project_xml(), text_1=None)
    assert "reflection-1" not in load_qdpx(missing)[1]


def test_qdpx_names_users_and_sources_unambiguously(tmp_path: Path) -> None:
    xml = project_xml(
        s1_selections=selection("sel-1", 0, 3, "patient", "ann-2") + selection("sel-2", 0, 3, "patient", "ghost"),
        extra_users=f'<User guid="{g("ann-2")}" name="Ann"/>',
        second_source_name="reflection-1",
    )
    codings, _ = load_codings(write_qdpx(tmp_path / "dupes.qdpx", xml))
    coders = {c.coder for c in codings}
    assert f"Ann [{g('ann')}]" in coders and f"Ann [{g('ann-2')}]" in coders
    assert g("ghost") in coders  # not listed under Users: the GUID stands in
    assert {c.item for c in codings} == {f"reflection-1 [{g('s1')}]", f"reflection-1 [{g('s2')}]"}


@pytest.mark.parametrize(
    ("s1_selections", "fragment"),
    [
        (selection("x", 9, 3, "patient", "ann"), "startPosition 9 is after endPosition 3"),
        (selection("x", 0, 500, "patient", "ann"), "endPosition 500 lies beyond the text"),
        (selection("x", 0, 3, "nonexistent", "ann"), "which is not a code in the code book"),
        (selection("x", 0, 3, "patient", None), "no creatingUser, so the coder is unknown"),
        (
            selection("x", 0, 3, "patient", "ann").replace('startPosition="0"', 'startPosition="zero"'),
            "startPosition 'zero' is not a whole number",
        ),
        (selection("x", 0, 3, "patient", "ann").replace('endPosition="3"', ""), "endPosition is missing"),
    ],
)
def test_qdpx_selection_errors(tmp_path: Path, s1_selections: str, fragment: str) -> None:
    path = write_qdpx(tmp_path / "bad.qdpx", project_xml(s1_selections=s1_selections))
    with pytest.raises(AgreementInputError) as caught:
        load_codings(path)
    message = str(caught.value)
    assert fragment in message
    assert "bad.qdpx" in message and "source 'reflection-1'" in message


def test_qdpx_malformed_archives(tmp_path: Path) -> None:
    not_zip = tmp_path / "text.qdpx"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(AgreementInputError, match="not a zip archive"):
        load_codings(not_zip)

    truncated = tmp_path / "truncated.qdpx"
    truncated.write_bytes(write_qdpx(tmp_path / "ok.qdpx", project_xml()).read_bytes()[:200])
    with pytest.raises(AgreementInputError, match="truncated.qdpx: damaged or unsupported zip"):
        load_codings(truncated)

    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    with pytest.raises(AgreementInputError, match="no project.qde inside"):
        load_codings(empty)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (project_xml()[:-20], "not well-formed XML at line"),
        ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "a REFI-QDA codebook"),
        ('<Project xmlns="urn:example"/>', "expected Project in namespace"),
        (
            '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><Project xmlns="' + NS + '">&lol;</Project>',
            "DTDs and entity declarations are not accepted",
        ),
        (project_xml().replace(f'guid="{g("hierarchy")}"', f'guid="{g("patient")}"'), "two codes share the guid"),
    ],
)
def test_qdpx_bad_project(tmp_path: Path, xml: str, fragment: str) -> None:
    with pytest.raises(AgreementInputError, match="project.qde") as caught:
        load_codings(write_qdpx(tmp_path / "p.qdpx", xml))
    assert fragment in str(caught.value)


def test_qdpx_without_namespace_and_braced_guids(tmp_path: Path) -> None:
    xml = (
        project_xml()
        .replace(f' xmlns="{NS}"', "")
        .replace(f'targetGUID="{g("hierarchy")}"', f'targetGUID="{{{g("hierarchy").upper()}}}"')
    )
    codings, _ = load_codings(write_qdpx(tmp_path / "plain.qdpx", xml))
    assert Coding("reflection-1", "Ann", "Hierarchy") in codings
