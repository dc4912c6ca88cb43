"""Codings from a REFI-QDA project (``.qdpx`` or a bare ``.qde``) as NVivo, ATLAS.ti, MAXQDA or QualCoder
export them; ``bot.research.agreement.io`` describes what is read and calls :func:`load_qdpx`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from bot.research.agreement import Coding
from bot.research.agreement.input import (
    COMPLETE_STATUSES,
    ITEMS_VARIABLE,
    MAX_INPUT_BYTES,
    PROJECT_NS_PREFIX,
    AgreementInputError,
    Loaded,
    _natural,
    _read,
)


class _Refused(Exception):
    pass


def _parse_xml(data: bytes, label: str) -> Element:
    """Parse with expat into an ElementTree, refusing DTDs and entity declarations (no entity expansion)."""
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def qualify(tag: str) -> str:
        return "{" + tag if "}" in tag else tag

    def refuse(*_: object) -> None:
        raise _Refused

    parser.StartElementHandler = lambda tag, attrs: builder.start(
        qualify(tag), {qualify(key): value for key, value in attrs.items()}
    )
    parser.EndElementHandler = lambda tag: builder.end(qualify(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except _Refused:
        raise AgreementInputError(f"{label}: DTDs and entity declarations are not accepted") from None
    except expat.ExpatError as exc:
        message = expat.errors.messages.get(exc.code, str(exc))
        raise AgreementInputError(
            f"{label}: not well-formed XML at line {exc.lineno}, column {exc.offset + 1}: {message}"
        ) from None
    return builder.close()


def _norm_guid(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1]
    return value or None


class _Project:
    """Walks a parsed project.qde; ``read_text(path)`` returns a source file's bytes or None."""

    def __init__(self, root: Element, label: str, read_text: Callable[[str], bytes | None]) -> None:
        self.label = label
        self.read_text = read_text
        tag = root.tag
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if local != "Project" or (ns and not ns.startswith(PROJECT_NS_PREFIX)):
            hint = " (a REFI-QDA codebook, not a project with codings)" if local == "CodeBook" else ""
            raise AgreementInputError(
                f"{label}: root element is {local!r} in namespace {ns or 'none'}{hint}; "
                f"expected Project in namespace {PROJECT_NS_PREFIX}1.0"
            )
        self.ns = ns
        self.root = root

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def children(self, parent: Element | None, *path: str) -> list[Element]:
        if parent is None:
            return []
        nodes = [parent]
        for name in path:
            nodes = [child for node in nodes for child in node.findall(self.q(name))]
        return nodes

    def fail(self, message: str) -> AgreementInputError:
        return AgreementInputError(f"{self.label}: {message}")

    def users(self) -> dict[str, str]:
        entries: list[tuple[str, str]] = []
        for user in self.children(self.root, "Users", "User"):
            guid = _norm_guid(user.get("guid"))
            if guid is None:
                raise self.fail("a User has no guid")
            name = (user.get("name") or user.get("id") or "").strip() or guid
            entries.append((guid, name))
        counts = Counter(name for _, name in entries)
        return {guid: (name if counts[name] == 1 else f"{name} [{guid}]") for guid, name in entries}

    def codes(self) -> dict[str, str]:
        paths: dict[str, str] = {}

        def walk(node: Element, prefix: str) -> None:
            for code in node.findall(self.q("Code")):
                guid = _norm_guid(code.get("guid"))
                name = (code.get("name") or "").strip()
                if guid is None or not name:
                    raise self.fail(f"a Code under {prefix or 'the code book'!r} lacks a guid or a name")
                if guid in paths:
                    raise self.fail(f"two codes share the guid {guid}")
                path = f"{prefix}/{name}" if prefix else name
                paths[guid] = path
                walk(code, path)

        for codes in self.children(self.root, "CodeBook", "Codes"):
            walk(codes, "")
        return paths

    def text_length(self, source: Element, what: str) -> int | None:
        content = source.find(self.q("PlainTextContent"))
        if content is not None:
            return len(content.text or "")
        path = (source.get("plainTextPath") or "").strip()
        if not path.startswith("internal://"):
            return None
        raw = self.read_text("sources/" + path[len("internal://") :])
        if raw is None:
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail(f"{what}: text file {path} is not UTF-8 (byte {exc.start})") from None
        return len(text.removeprefix("\ufeff"))

    def load(self) -> tuple[list[Coding], dict[str, int]]:
        users = self.users()
        codes = self.codes()
        sources = self.children(self.root, "Sources", "TextSource")
        names = Counter((s.get("name") or "").strip() for s in sources)
        seen: set[str] = set()
        codings: list[Coding] = []
        lengths: dict[str, int] = {}

        def coder_of(*users_guids: str | None) -> str | None:
            for value in users_guids:
                guid = _norm_guid(value)
                if guid is not None:
                    return users.get(guid, guid)
            return None

        def code_of(coding: Element, what: str) -> str:
            ref = coding.find(self.q("CodeRef"))
            target = _norm_guid(ref.get("targetGUID") if ref is not None else None)
            if target is None:
                raise self.fail(f"{what}: Coding without CodeRef@targetGUID")
            if target not in codes:
                raise self.fail(f"{what}: CodeRef targets {target}, which is not a code in the code book")
            return codes[target]

        for source in sources:
            guid = _norm_guid(source.get("guid"))
            if guid is None:
                raise self.fail("a TextSource has no guid")
            if guid in seen:
                raise self.fail(f"two sources share the guid {guid}")
            seen.add(guid)
            name = (source.get("name") or "").strip()
            item = guid if not name else name if names[name] == 1 else f"{name} [{guid}]"
            what = f"source {item!r}"
            length = self.text_length(source, what)
            if length is not None:
                lengths[item] = length
            for coding in source.findall(self.q("Coding")):
                coder = coder_of(coding.get("creatingUser"))
                if coder is None:
                    raise self.fail(f"{what}: whole-source Coding {coding.get('guid')} has no creatingUser")
                codings.append(Coding(item, coder, code_of(coding, what)))
            for selection in source.findall(self.q("PlainTextSelection")):
                where = f"{what}, PlainTextSelection {selection.get('guid')}"
                start = self._position(selection, "startPosition", where)
                end = self._position(selection, "endPosition", where)
                if start > end:
                    raise self.fail(f"{where}: startPosition {start} is after endPosition {end}")
                if length is not None and end > length:
                    raise self.fail(
                        f"{where}: endPosition {end} lies beyond the text ({length} characters); "
                        "the export may count a BOM or CRLF line ends differently"
                    )
                for coding in selection.findall(self.q("Coding")):
                    coder = coder_of(selection.get("creatingUser"), coding.get("creatingUser"))
                    if coder is None:
                        raise self.fail(f"{where}: no creatingUser, so the coder is unknown")
                    codings.append(Coding(item, coder, code_of(coding, where), start, end))
        return codings, lengths

    def load_ours(self) -> Loaded:
        """Codings, and for our own exports (a ``balintbot items`` variable on each source) the items as
        the database has them: each step of a document is an item, at its own offsets, with who finished it."""
        codings, lengths = self.load()
        var_guid = next((_norm_guid(v.get("guid")) for v in self.children(self.root, "Variables", "Variable")
                         if (v.get("name") or "").strip() == ITEMS_VARIABLE), None)
        if var_guid is None:
            return Loaded(codings, lengths, codes=None)
        sources = self.children(self.root, "Sources", "TextSource")
        names = Counter((s.get("name") or "").strip() for s in sources)
        spans: dict[str, list[dict[str, object]]] = {}
        for source in sources:
            name = (source.get("name") or "").strip()
            guid = _norm_guid(source.get("guid")) or ""
            key = guid if not name else name if names[name] == 1 else f"{name} [{guid}]"
            for value in source.findall(self.q("VariableValue")):
                ref = value.find(self.q("VariableRef"))
                text = value.find(self.q("TextValue"))
                if ref is not None and _norm_guid(ref.get("targetGUID")) == var_guid and text is not None:
                    try:
                        spans[key] = list(json.loads(text.text or "[]"))
                    except ValueError:
                        raise self.fail(f"source {key!r}: the {ITEMS_VARIABLE} value is not JSON") from None
        reviewed: dict[str, list[str]] = {}
        items: list[str] = []
        coders: dict[str, None] = {}
        out_lengths: dict[str, int] = {}
        for entries in spans.values():
            for e in entries:
                item = str(e["item"])
                finished = [str(c) for c in e.get("finished_by", [])]  # type: ignore[attr-defined]
                reviewed[item] = finished
                coders.update(dict.fromkeys(finished))
                out_lengths[item] = int(e["end"]) - int(e["start"])  # type: ignore[call-overload]
                if e.get("status") in COMPLETE_STATUSES:
                    items.append(item)
        out: list[Coding] = []
        whole_left: dict[tuple[str, str], list[str]] = {}  # (item, coder) -> whole-item codes not yet matched
        for source_entries in spans.values():
            for e in source_entries:
                for coder, names_ in dict(e.get("whole", {})).items():  # type: ignore[call-overload]
                    whole_left[str(e["item"]), str(coder)] = list(names_)
        for c in codings:
            found = spans.get(c.item)
            if found is None:
                continue
            start = 0 if c.start is None else c.start
            end = start if c.end is None else c.end
            for e in found:
                a, b = int(e["start"]), int(e["end"])  # type: ignore[call-overload]
                item = str(e["item"])
                if a <= start and end <= b and c.coder in reviewed.get(item, []):
                    left = whole_left.get((item, c.coder), [])
                    if c.start is None or (start == a and end == b and c.code in left):
                        if c.code in left:
                            left.remove(c.code)
                        out.append(Coding(item, c.coder, c.code))
                    else:
                        out.append(Coding(item, c.coder, c.code, start - a, end - a))
                    break
        return Loaded(out, out_lengths, reviewed, sorted(items, key=_natural), list(self.codes().values()),
                      sorted(coders))

    def _position(self, selection: Element, attribute: str, where: str) -> int:
        raw = selection.get(attribute)
        if raw is None:
            raise self.fail(f"{where}: {attribute} is missing")
        try:
            value = int(raw.strip())
        except ValueError:
            raise self.fail(f"{where}: {attribute} {raw!r} is not a whole number") from None
        if value < 0:
            raise self.fail(f"{where}: {attribute} {value} is negative")
        return value


def load_qdpx(path: Path) -> tuple[list[Coding], dict[str, int]]:
    """Codings from a REFI-QDA ``.qdpx`` archive or a bare ``project.qde`` / ``.qde`` file."""
    loaded = _load_qdpx(path)
    return loaded.codings, loaded.lengths


def _load_qdpx(path: Path) -> Loaded:
    path = Path(path)
    data = _read(path)
    if not data.startswith(b"PK"):
        if path.suffix.lower() == ".qdpx":
            raise AgreementInputError(f"{path}: not a zip archive (a .qdpx file is a zip holding project.qde)")
        root = _parse_xml(data, str(path))
        return _Project(root, str(path), lambda _: None).load_ours()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: info for info in archive.infolist()}
            lowered = {name.lower(): info for name, info in members.items()}
            project = members.get("project.qde") or next(
                (info for name, info in sorted(members.items()) if "/" not in name and name.lower().endswith(".qde")),
                None,
            )
            if project is None:
                raise AgreementInputError(f"{path}: no project.qde inside the archive (is it a .qdpx export?)")
            label = f"{path}: {project.filename}"

            def member(name: str) -> bytes | None:
                info = members.get(name) or lowered.get(name.lower())
                if info is None:
                    return None
                if info.file_size > MAX_INPUT_BYTES:
                    raise AgreementInputError(f"{path}: {info.filename} is larger than {MAX_INPUT_BYTES} bytes")
                return archive.read(info)

            if project.file_size > MAX_INPUT_BYTES:
                raise AgreementInputError(f"{label} is larger than {MAX_INPUT_BYTES} bytes")
            return _Project(_parse_xml(archive.read(project), label), label, member).load_ours()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise AgreementInputError(f"{path}: damaged or unsupported zip archive ({exc})") from exc
