"""What the REFI-QDA tests share: the namespaces and shapes of QDA-XML, a realistic project (coders, a code tree,
variables, cases, notes, sources with selections), its export, and the checks an importer needs beyond the XSD."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from bot.research.refi_qda import (
    QdaCase,
    QdaCode,
    QdaNote,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    write_qdpx,
)
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


def schema(name: str) -> Any:
    """The REFI-QDA XSD ``name`` from tests/data/refi-qda (the test is skipped without xmlschema)."""
    xmlschema = pytest.importorskip("xmlschema")
    path = SCHEMA_DIR / name
    assert path.is_file(), f"REFI-QDA schema missing from the repository: {path}"
    return xmlschema.XMLSchema(str(path))


def local_name(tag: str) -> str:
    """An element's tag without its namespace."""
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


def span(text: str, needle: str) -> tuple[int, int]:
    """Start and end of ``needle`` in ``text``."""
    start = text.index(needle)
    return start, start + len(needle)


def realistic_sources() -> list[QdaSource]:
    """Four sources over the cases above: coded by two coders, a whole-document coding, a note, one empty."""
    a = span(TEXT_1, "anxious")
    g = span(TEXT_1, "guilty")
    u = span(TEXT_2, "unsicher")
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
    """The realistic project as .qdpx bytes, with ``overrides`` for any argument of ``write_qdpx``."""
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
    """The archive (checked by ``testzip``) and its parsed project.qde."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    return zf, ET.fromstring(zf.read("project.qde"))


def check_invariants(zf: zipfile.ZipFile, root: ET.Element) -> None:
    """Everything the README says importers need that the XSD does not check."""
    assert root.tag == P + "Project" and root.get("origin")
    order = [local_name(child.tag) for child in root]
    assert order == sorted(order, key=PROJECT_ORDER.index)
    all_guids = [el.get("guid") for el in root.iter() if el.get("guid") is not None]
    assert len(all_guids) == len(set(all_guids)), "GUIDs must be unique"
    assert all(GUID_RE.fullmatch(g or "") for g in all_guids)
    for el in root.iter():
        if local_name(el.tag) in CONTAINERS:
            assert len(el) > 0, f"empty container <{local_name(el.tag)}>"
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
            out[sel.get("guid", "")] = text[int(sel.get("startPosition", "")) : int(sel.get("endPosition", ""))]
    return out
