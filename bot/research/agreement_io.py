"""Import codings made outside the bot, for :func:`bot.research.agreement.compute_agreement`.

:func:`load_codings` reads

* **CSV** (``.csv``/``.tsv``/``.txt``, or anything that is not a zip): a header row with the columns
  ``item``, ``coder``, ``code`` and optionally ``start`` and ``end`` (code-point offsets, end exclusive; both
  columns or neither; a row leaving both empty is a whole-item coding) and ``item_length`` (text length in
  code points).  Column names are case-insensitive, other columns are ignored, the delimiter may be ``,``,
  ``;`` or a tab, and the file must be UTF-8 (a BOM, as Excel writes, is fine).
* **REFI-QDA** projects (``.qdpx`` zip holding ``project.qde`` and ``sources/``, or a bare ``.qde``), as
  exported by NVivo, ATLAS.ti, MAXQDA or QualCoder:

  - items are the ``TextSource`` elements, identified by ``@name`` (by ``"name [guid]"`` when two sources
    share a name, by ``@guid`` when unnamed), so codings exported by different coders from copies of one
    project line up;
  - item lengths come from ``PlainTextContent`` or the ``internal://GUID.txt`` file under ``sources/``
    (UTF-8; a leading BOM is not counted); sources kept outside the archive have no known length;
  - each ``PlainTextSelection``'s ``Coding/CodeRef@targetGUID`` becomes a segment coding with the
    selection's ``startPosition``/``endPosition``; the code is named by its full path in the code tree
    (``"Parent/Child"``); the coder is ``PlainTextSelection@creatingUser``, else ``Coding@creatingUser``,
    named by ``User@name`` (the GUID when the user is not listed; ``"name [guid]"`` for two users sharing a
    name);
  - a ``Coding`` directly under a ``TextSource`` is a whole-item coding;
  - non-text sources (PDF, picture, audio, video) are ignored.

Every problem is reported as :class:`AgreementInputError` naming the file and the line (CSV) or element
(REFI-QDA); for CSV up to :data:`MAX_REPORTED_PROBLEMS` problems are listed at once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from bot.research.agreement import Coding
from bot.research.cells import DANGEROUS

__all__ = ["AgreementInputError", "Loaded", "load_codings", "load_csv", "load_file", "load_qdpx"]

MAX_INPUT_BYTES: Final = 256 * 1024 * 1024
MAX_REPORTED_PROBLEMS: Final = 10
PROJECT_NS_PREFIX: Final = "urn:QDA-XML:project:"
CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
REQUIRED_COLUMNS: Final = ("item", "coder", "code")


class AgreementInputError(ValueError):
    """A codings file that cannot be read; the message names the file and what is wrong, for people."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


@dataclass
class Loaded:
    """What a codings file holds. Our own exports also say who finished each item (``reviewed``) and which
    items every coder finished (``items``), and a ``.qdpx`` names its whole codebook (``codes``)."""

    codings: list[Coding]
    lengths: dict[str, int]
    reviewed: dict[str, list[str]] | None = None
    items: list[str] | None = None
    codes: list[str] | None = None
    coders: list[str] | None = None  # our own exports: the coders who finished anything


def load_codings(path: Path) -> tuple[list[Coding], dict[str, int]]:
    """Codings in ``path`` and the text lengths of the items where known (see the module docstring)."""
    loaded = load_file(path)
    return loaded.codings, loaded.lengths


def load_file(path: Path) -> Loaded:
    """Everything a codings file says for agreement (see :class:`Loaded`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _load_csv(path)
    if suffix in (".qdpx", ".qde"):
        return _load_qdpx(path)
    data = _read(path)
    if data.startswith(b"PK\x03\x04"):
        return _load_qdpx(path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _load_qdpx(path)
    return _load_csv(path)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise AgreementInputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise AgreementInputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


# --------------------------------------------------------------------------------------------------------------
# CSV


def _pick_delimiter(header_line: str) -> str:
    best, found = ",", -1
    for delimiter in (",", ";", "\t"):
        names = {name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter), [])}
        hits = sum(column in names for column in REQUIRED_COLUMNS)
        if hits > found:
            best, found = delimiter, hits
    return best


def _parse_int(raw: str, column: str, problems: list[str], where: str) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{where}: {column} {raw!r} is not a whole number")
        return None
    if value < 0:
        problems.append(f"{where}: {column} {value} is negative")
        return None
    return value


def load_csv(path: Path) -> tuple[list[Coding], dict[str, int]]:
    """Codings from a CSV file; raises :class:`AgreementInputError` listing the problems found."""
    loaded = _load_csv(path)
    return loaded.codings, loaded.lengths


def _load_csv(path: Path) -> Loaded:
    path = Path(path)
    data = _read(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AgreementInputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from exc
    first_line = next((line for line in text.splitlines() if line.strip()), None)
    if first_line is None:
        raise AgreementInputError(f"{path}: the file is empty; expected a header row item,coder,code")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_pick_delimiter(first_line), strict=True)
    problems: list[str] = []

    def rows() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            problems.append(f"{path}: line {reader.line_num}: {exc}")

    iterator = rows()
    header: list[str] = []
    raw_header: list[str] = []
    for row in iterator:
        if any(cell.strip() for cell in row):
            raw_header = [cell.strip() for cell in row]
            header = [cell.lower() for cell in raw_header]
            break
    header_line = reader.line_num
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if name and name in columns:
            problems.append(f"{path}: line {header_line}: column {name!r} appears twice in the header")
        columns.setdefault(name, index)
    if OUR_FINISHED in columns and "text" in columns and "coder" not in columns:
        return _load_our_csv(path, raw_header, columns, iterator, problems)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(
            f"{path}: line {header_line}: missing column(s) {', '.join(missing)}; "
            f"the header must name item, coder and code (found: {', '.join(header) or 'nothing'})"
        )
        if any(name.startswith("codes ") for name in header):
            problems.append(
                f"{path} looks like a `balint export` table: one row per item, with a 'codes <coder>' column "
                "per coder. --from reads codings made elsewhere, one row per coding (item,coder,code, and "
                "start,end for segments), because that long form is what NVivo, ATLAS.ti and a spreadsheet "
                "can all produce. For codings made in balintbot, leave out --from."
            )
    if ("start" in columns) != ("end" in columns):
        problems.append(f"{path}: line {header_line}: give both the start and end columns, or neither")
    if problems:
        raise AgreementInputError("\n".join(problems), problems)

    has_spans = "start" in columns
    i_item, i_coder, i_code = columns["item"], columns["coder"], columns["code"]
    i_start, i_end = columns.get("start"), columns.get("end")
    i_length = columns.get("item_length")
    codings: list[Coding] = []
    segment_lines: list[tuple[int, Coding]] = []
    lengths: dict[str, int] = {}
    length_lines: dict[str, int] = {}

    truncated = False
    for row in iterator:
        if len(problems) >= MAX_REPORTED_PROBLEMS:
            truncated = True
            break
        line = reader.line_num
        where = f"{path}: line {line}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(
                f"{where}: {len(row)} fields but the header has {len(header)} "
                "(a value containing the delimiter must be quoted)"
            )
            continue
        cells = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
        item, coder, code = cells[i_item], cells[i_coder], cells[i_code]
        empty = [name for name, value in (("item", item), ("coder", coder), ("code", code)) if not value]
        if empty:
            problems.append(f"{where}: empty {' and '.join(empty)}")
            continue
        if i_length is not None and cells[i_length]:
            length = _parse_int(cells[i_length], "item_length", problems, where)
            if length is None:
                continue
            if lengths.setdefault(item, length) != length:
                problems.append(
                    f"{where}: item_length {length} for {item!r} differs from {lengths[item]} "
                    f"on line {length_lines[item]}"
                )
                continue
            length_lines.setdefault(item, line)
        start = end = None
        if has_spans and i_start is not None and i_end is not None:
            raw_start, raw_end = cells[i_start], cells[i_end]
            if bool(raw_start) != bool(raw_end):
                problems.append(f"{where}: give both start and end, or leave both empty for the whole item")
                continue
            if raw_start:
                start = _parse_int(raw_start, "start", problems, where)
                end = _parse_int(raw_end, "end", problems, where)
                if start is None or end is None:
                    continue
                if start > end:
                    problems.append(f"{where}: start {start} is after end {end}")
                    continue
        coding = Coding(item, coder, code, start, end)
        codings.append(coding)
        if start is not None:
            segment_lines.append((line, coding))

    for line, coding in segment_lines:
        known = lengths.get(coding.item)
        if known is not None and coding.end is not None and coding.end > known:
            problems.append(
                f"{path}: line {line}: end {coding.end} lies beyond the item_length {known} of {coding.item!r}"
            )
    if problems:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = f"\n(stopped after the first {len(shown)} problems)" if truncated or len(problems) > len(shown) else ""
        raise AgreementInputError("\n".join(shown) + more, shown)
    if not codings:
        raise AgreementInputError(f"{path}: no codings below the header")
    return Loaded(codings, lengths)


OUR_FINISHED: Final = "finished by"
ITEMS_VARIABLE: Final = "balintbot items"  # our .qdpx: JSON list of the items (steps) in each source


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 62, key)
COMPLETE_STATUSES: Final = frozenset({"agreed", "disagreement", "settled"})
_SEGMENT = re.compile(r"^(.*) \[(\d+):(\d+)\]$")


def _unquote(cell: str) -> str:
    """Undo the spreadsheet guard of our exports (a leading apostrophe before = + - @ tab CR)."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1:].startswith(DANGEROUS) else cell


def _load_our_csv(path: Path, header: list[str], columns: dict[str, int], rows: Iterator[list[str]],
                  problems: list[str]) -> Loaded:
    """Our own CSV export (one row per item, a ``codes CODER`` column per coder, ``finished by``, ``status``)."""
    coder_columns = [(i, name[len("codes "):]) for i, name in enumerate(header) if name.lower().startswith("codes ")]
    codings: list[Coding] = []
    lengths: dict[str, int] = {}
    reviewed: dict[str, list[str]] = {}
    items: list[str] = []
    coders: dict[str, None] = {}
    i_item, i_text, i_finished = columns["item"], columns["text"], columns[OUR_FINISHED]
    i_status = columns.get("status")
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            problems.append(f"{path}: line {len(items) + 2}: {len(row)} fields but the header has {len(header)}")
            break
        item = row[i_item].strip()
        lengths[item] = len(_unquote(row[i_text]))
        finished = [c.strip() for c in _unquote(row[i_finished]).split(";") if c.strip()]
        coders.update(dict.fromkeys(finished))
        reviewed[item] = finished
        status = row[i_status].strip() if i_status is not None else ""
        if status in COMPLETE_STATUSES or (i_status is None and len(finished) >= 2):
            items.append(item)
        for index, label in coder_columns:
            for part in (p.strip() for p in _unquote(row[index]).split("; ")):
                if not part:
                    continue
                found = _SEGMENT.match(part)
                if found:
                    codings.append(Coding(item, label, found.group(1), int(found.group(2)), int(found.group(3))))
                else:
                    codings.append(Coding(item, label, part))
    if problems:
        raise AgreementInputError("\n".join(problems[:MAX_REPORTED_PROBLEMS]), problems)
    return Loaded(codings, lengths, reviewed, items, None, sorted(coders))


# --------------------------------------------------------------------------------------------------------------
# REFI-QDA


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
