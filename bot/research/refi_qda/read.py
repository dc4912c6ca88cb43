"""Read REFI-QDA codebooks exported by NVivo, ATLAS.ti, MAXQDA, QualCoder (and by :func:`write_qdc`).

Accepted input: a ``.qdc`` file (root ``CodeBook``), a ``project.qde`` (root ``Project``, its
``CodeBook`` is read) or a whole ``.qdpx`` zip. Namespaces ``urn:QDA-XML:codebook:<version>`` and
``urn:QDA-XML:project:<version>`` are both accepted, as QualCoder does; a UTF-8 BOM (QualCoder writes
one) or a UTF-16 encoding is fine. DTDs and entity declarations are refused.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import BinaryIO, Final
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from .model import QdaCode, RefiQdaError, normalize_color, normalize_guid

__all__ = ["read_qdc"]

MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
_NS_PREFIXES: Final = ("urn:QDA-XML:codebook:", "urn:QDA-XML:project:")
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


def _read_bytes(source: str | os.PathLike[str] | BinaryIO) -> tuple[bytes, str]:
    if isinstance(source, str | os.PathLike):
        label = os.fspath(source)
        try:
            with open(source, "rb") as fh:
                data = fh.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise RefiQdaError(f"cannot read codebook {label!r}: {exc}") from exc
    else:
        label = getattr(source, "name", None) or "<file>"
        data = source.read(MAX_INPUT_BYTES + 1)
        if not isinstance(data, bytes):
            raise RefiQdaError(f"{label}: open the codebook in binary mode")
    if len(data) > MAX_INPUT_BYTES:
        raise RefiQdaError(f"{label}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    if data.startswith(b"PK\x03\x04"):
        data = _qde_from_qdpx(data, label)
    return data, str(label)


def _qde_from_qdpx(data: bytes, label: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [i for i in zf.infolist() if "/" not in i.filename and i.filename.lower().endswith(".qde")]
            if not names:
                raise RefiQdaError(f"{label}: zip file without a .qde project at its root")
            info = next((i for i in names if i.filename == "project.qde"), names[0])
            if info.file_size > MAX_INPUT_BYTES:
                raise RefiQdaError(f"{label}: {info.filename} is larger than {MAX_INPUT_BYTES} bytes")
            return zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise RefiQdaError(f"{label}: not a readable .qdpx zip ({exc})") from exc


def _parse(data: bytes, label: str) -> Element:
    """Parse with expat into an ElementTree, refusing DTDs (no entity expansion of any kind)."""
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def tag(name: str) -> str:
        return "{" + name if "}" in name else name

    def start(name: str, attrs: dict[str, str]) -> None:
        builder.start(tag(name), {tag(k): v for k, v in attrs.items()})

    def refuse(*_args: object) -> None:
        raise RefiQdaError(f"{label}: DTDs and entity declarations are not allowed in a codebook")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(tag(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise RefiQdaError(
            f"{label}: not well-formed XML ({expat.ErrorString(exc.code)} at line {exc.lineno}, "
            f"column {exc.offset + 1})"
        ) from exc
    return builder.close()


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def read_qdc(path_or_file: str | os.PathLike[str] | BinaryIO) -> list[QdaCode]:
    """Codes of a REFI-QDA codebook, parents before children, siblings in document order.

    Each :class:`QdaCode` has ``key`` = the code's GUID (uppercase, braces removed) and ``parent_key`` =
    the GUID of the enclosing ``Code``. Writing these codes again (``write_qdc``/``write_qdpx``) keeps
    the GUIDs. A missing ``isCodable`` counts as true (the REFI default); a colour that is not
    ``#RGB``/``#RRGGBB`` is dropped. Raises :class:`RefiQdaError` for unreadable or malformed input:
    not XML, wrong root or namespace, no ``Codes``, a ``Code`` without a valid ``guid`` or ``name``,
    a bad ``isCodable`` value, or a GUID used twice.
    """
    data, label = _read_bytes(path_or_file)
    root = _parse(data, label)
    ns, local = _split(root.tag)
    if ns and not ns.startswith(_NS_PREFIXES):
        raise RefiQdaError(f"{label}: unexpected XML namespace {ns!r}; expected urn:QDA-XML:codebook:1.0")
    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    if local == "Project":
        book = root.find(q("CodeBook"))
        if book is None:
            raise RefiQdaError(f"{label}: the project has no CodeBook")
    elif local == "CodeBook":
        book = root
    else:
        raise RefiQdaError(f"{label}: root element is <{local}>, expected <CodeBook> (a REFI-QDA .qdc)")
    codes_el = book.findall(q("Codes"))
    if len(codes_el) != 1:
        raise RefiQdaError(f"{label}: CodeBook must contain exactly one <Codes> element, found {len(codes_el)}")

    result: list[QdaCode] = []
    seen: set[str] = set()
    stack: list[tuple[Element, str | None, str]] = [
        (el, None, f"Code #{i + 1}") for i, el in reversed(list(enumerate(codes_el[0].findall(q("Code")))))
    ]
    while stack:
        el, parent, where = stack.pop()
        raw_guid = el.get("guid")
        if raw_guid is None:
            raise RefiQdaError(f"{label}: {where} has no guid attribute")
        key = normalize_guid(raw_guid)
        if key is None:
            raise RefiQdaError(f"{label}: {where} has an invalid guid {raw_guid!r}")
        if key in seen:
            raise RefiQdaError(f"{label}: {where}: guid {key} is used by two codes")
        seen.add(key)
        name = el.get("name")
        if name is None:
            raise RefiQdaError(f"{label}: {where} (guid {key}) has no name attribute")
        codable_raw = el.get("isCodable")
        if codable_raw is None:
            is_codable = True
        elif codable_raw.strip() in _TRUE:
            is_codable = True
        elif codable_raw.strip() in _FALSE:
            is_codable = False
        else:
            raise RefiQdaError(f"{label}: code {name!r} has isCodable={codable_raw!r}; expected true or false")
        color_raw = el.get("color")
        color: str | None = None
        if color_raw is not None:
            try:
                color = normalize_color(color_raw.strip(), "")
            except RefiQdaError:
                color = None
        desc_el = el.find(q("Description"))
        description = desc_el.text if desc_el is not None and desc_el.text else None
        result.append(QdaCode(key, name, color, description, parent, is_codable))
        kids = el.findall(q("Code"))
        stack.extend((kid, key, f"code {kid.get('name')!r} under {name!r}") for kid in reversed(kids))
    return result
