"""Tests of the REFI-QDA (QDA-XML 1.0) writer's checks in bot.research.refi_qda: bad sources and bad setups raise
RefiQdaError, before any output and without clobbering the previous export."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.research.refi_qda import (
    QdaCase,
    QdaCode,
    QdaNote,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdaVariable,
    RefiQdaError,
    guid,
    write_qdpx,
)
from tests.support.refi_qda_support import CASES, CODES, NOTES, T0, USERS, VARIABLES, export

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
