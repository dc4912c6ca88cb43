"""REFI-QDA (QDA-XML 1.0) writing shared by the ``.qdpx`` project writer (``write``): XML escaping and
chunking, and the codebook, which also stands alone as a ``.qdc`` file (:func:`write_qdc`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final
from xml.sax.saxutils import escape

from .model import QdaCode, RefiQdaError, check_key, check_name, check_xml_text, normalize_color, object_guid

PROJECT_NS: Final = "urn:QDA-XML:project:1.0"
CODEBOOK_NS: Final = "urn:QDA-XML:codebook:1.0"

_XML_DECL: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ATTR_ENTITIES: Final = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_TEXT_ENTITIES: Final = {"\r": "&#13;"}
_CHUNK: Final = 1 << 16

# Kind tags stored next to streamed GUIDs so a duplicate can be reported by kind.
_KIND_NAMES: Final = {1: "source", 2: "selection", 3: "coding"}

PathOrBinary = BinaryIO | str | os.PathLike[str]


def _attr(value: str) -> str:
    return escape(value, _ATTR_ENTITIES)


def _text(value: str) -> str:
    return escape(value, _TEXT_ENTITIES)


def _batched(pieces: Iterable[str]) -> Iterator[bytes]:
    """Join small strings into UTF-8 chunks of about 64 KiB."""
    buf: list[str] = []
    size = 0
    for piece in pieces:
        buf.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8")


def _description(text: str | None, pad: str, what: str) -> str:
    if not text:
        return ""
    return f"{pad}<Description>{_text(check_xml_text(text, what))}</Description>\n"


# --------------------------------------------------------------------------------------------------
# Codebook (shared by .qdpx and .qdc)


@dataclass(frozen=True)
class _Codebook:
    roots: list[QdaCode]
    children: dict[str, list[QdaCode]]
    guids: dict[str, str]  # code key -> GUID
    codable: frozenset[str]

    @classmethod
    def build(cls, codes: Iterable[QdaCode]) -> _Codebook:
        items = list(codes)
        by_key: dict[str, QdaCode] = {}
        for code in items:
            what = f"code {code.key!r}"
            check_key(code.key, "code")
            if code.key in by_key:
                raise RefiQdaError(f"duplicate code key {code.key!r}")
            by_key[code.key] = code
            check_name(code.name, what)
            if code.color is not None:
                normalize_color(code.color, what)
            if code.description is not None:
                check_xml_text(code.description, f"{what} description")
            if not isinstance(code.is_codable, bool):
                raise RefiQdaError(f"{what}: is_codable must be a bool")
        roots: list[QdaCode] = []
        children: dict[str, list[QdaCode]] = {}
        for code in items:
            if code.parent_key is None:
                roots.append(code)
            elif code.parent_key not in by_key:
                raise RefiQdaError(f"code {code.key!r}: unknown parent_key {code.parent_key!r}")
            else:
                children.setdefault(code.parent_key, []).append(code)
        for code in items:  # cycles: every chain of parents must reach a root
            seen = {code.key}
            parent = code.parent_key
            while parent is not None:
                if parent in seen:
                    raise RefiQdaError(f"code {code.key!r}: parent_key chain forms a cycle through {parent!r}")
                seen.add(parent)
                parent = by_key[parent].parent_key
        for siblings in (roots, *children.values()):
            names: set[str] = set()
            for code in siblings:
                if code.name in names:
                    where = f"under {code.parent_key!r}" if code.parent_key else "at the top level"
                    raise RefiQdaError(f"two codes named {code.name!r} {where}; sibling code names must be unique")
                names.add(code.name)
        guids = {code.key: object_guid("code", code.key) for code in items}
        return cls(roots, children, guids, frozenset(c.key for c in items if c.is_codable))

    def xml(self, depth: int) -> Iterator[str]:
        """Nested ``Code`` elements (iterative, so deep hierarchies cannot hit the recursion limit)."""
        stack: list[tuple[QdaCode, int, bool]] = [(c, depth, False) for c in reversed(self.roots)]
        while stack:
            code, level, closing = stack.pop()
            pad = "  " * level
            if closing:
                yield f"{pad}</Code>\n"
                continue
            attrs = (
                f'guid="{self.guids[code.key]}" name="{_attr(code.name)}" '
                f'isCodable="{"true" if code.is_codable else "false"}"'
            )
            if code.color is not None:
                attrs += f' color="{normalize_color(code.color, "")}"'
            kids = self.children.get(code.key, [])
            if not kids and not code.description:
                yield f"{pad}<Code {attrs}/>\n"
                continue
            yield f"{pad}<Code {attrs}>\n"
            yield _description(code.description, pad + "  ", f"code {code.key!r} description")
            stack.append((code, level, True))
            stack.extend((kid, level + 1, False) for kid in reversed(kids))


def write_qdc(out: PathOrBinary, *, codes: Iterable[QdaCode], origin: str = "balintbot") -> None:
    """Write a REFI-QDA codebook (``.qdc``, namespace ``urn:QDA-XML:codebook:1.0``) to a binary file or path.

    Codes are nested under their ``parent_key``, siblings in input order. Raises :class:`RefiQdaError`
    for an empty codebook or inconsistent codes (duplicate keys, unknown parents, cycles, bad colours).
    """
    book = _Codebook.build(codes)
    if not book.roots:
        raise RefiQdaError("a codebook needs at least one code")
    check_xml_text(origin, "origin")
    data = b"".join(
        _batched(
            [
                _XML_DECL,
                f'<CodeBook xmlns="{CODEBOOK_NS}" origin="{_attr(origin)}">\n',
                "  <Codes>\n",
                *book.xml(2),
                "  </Codes>\n",
                "</CodeBook>\n",
            ]
        )
    )
    if isinstance(out, str | os.PathLike):
        Path(out).write_bytes(data)
    else:
        out.write(data)


def _guid_bytes(g: str) -> bytes:
    return bytes.fromhex(g.replace("-", ""))
