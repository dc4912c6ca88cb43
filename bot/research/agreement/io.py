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
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from bot.research.agreement import Coding
from bot.research.agreement.input import (
    COMPLETE_STATUSES,
    MAX_REPORTED_PROBLEMS,
    AgreementInputError,
    Loaded,
    _read,
)
from bot.research.agreement.qdpx import _load_qdpx, load_qdpx
from bot.research.cells import DANGEROUS

__all__ = ["AgreementInputError", "Loaded", "load_codings", "load_csv", "load_file", "load_qdpx"]

CSV_SUFFIXES: Final = frozenset({".csv", ".tsv", ".txt"})
REQUIRED_COLUMNS: Final = ("item", "coder", "code")


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
