"""Exports of a coding round: CSV, XLSX, JSONL (one row per reflection step or transcript turn), REFI-QDA .qdpx
(``export_qdpx``) and .qdc.

Each exporter takes a session and a binary stream and streams the rows ``bot.research.export_rows`` reads
page by page, so memory stays flat in the number of rows. Only queued items (research consent yes now) are
exported, with pseudonyms and redacted text only. Every export is recorded (``research_exports``) with who,
when, the round, the row count, the file's SHA-256 and which participants and items it held, so a later
withdrawal can name the files that already carry someone's words.

Spreadsheet safety: a CSV cell that begins with ``= + - @``, a tab or a carriage return gets a leading
apostrophe; in XLSX such a cell is written as text with Excel's quote prefix (the apostrophe is not part of
the value). JSONL and QDPX carry text exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import IO, Any

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research import codebook, codebook_files
from bot.research.cells import DANGEROUS, safe_cell
from bot.research.errors import ResearchError
from bot.research.export_qdpx import write_qdpx_project
from bot.research.export_rows import Applied, Reader, Row, Tracker
from storage import repo, research_repo
from storage.models import Study
from storage.research_models import (
    CodingRound,
    ExportParticipant,
    ResearchExport,
    ResearchParticipant,
    pseudonym_of,
)

FORMATS = ("csv", "xlsx", "jsonl", "qdpx", "qdc")
DOCUMENTS = ("step", "week", "participant")
FINISHED_BY = "finished by"  # who finished each item: a coder who applied no code finished it too
TURN_COLUMNS = ("session", "turn", "speaker", "role", "phase")  # of a transcript's turn; empty for a reflection


@dataclass(frozen=True)
class ExportResult:
    export_id: int
    format: str
    study: str
    round: int | None
    rows: int
    bytes: int
    sha256: str
    participants: int
    left_out: int = 0  # members of a closed round left out: their students withdrew or were erased since

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Hashing(io.RawIOBase):
    """A write-only, non-seekable stream that hashes and counts what passes to the real one."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.sha, self.count = out, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self.sha.update(view)
        self.count += len(view)
        self.out.write(view)
        return len(view)

    def flush(self) -> None:
        self.out.flush()


# ------------------------------------------------------------------------------------------ writers


def _codes_cell(entries: Sequence[Applied], names: dict[int, str]) -> str:
    parts = []
    for code, start, end, _id, _at in entries:
        name = names.get(code, "?")
        parts.append(name if start is None else f"{name} [{start}:{end}]")
    return "; ".join(parts)


def _memos_cell(memos: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{label}: {text}" for label, text in memos)


def turn_cells(row: Row) -> list[Any]:
    """A transcript turn's session, turn, speaker, role and phase; empty for a private reflection."""
    item = row.item
    if item.transcript_id is None:
        return ["", "", "", "", ""]
    return [item.session or "", item.turn if item.turn is not None else "", row.pseudonym, item.role or "",
            item.phase or ""]


def _table_rows(reader: Reader, tracker: Tracker) -> tuple[list[str], Iterator[list[Any]]]:
    names = codebook.paths(reader.session, reader.rnd)
    labels = [c.label for c in reader.coders()]
    header = ["item", "pseudonym", "cohort", "week", "step", *TURN_COLUMNS, "prompt", "text",
              *(f"codes {label}" for label in labels), FINISHED_BY, "agreed codes", "status", "settle note", "memos"]

    def body() -> Iterator[list[Any]]:
        for row in reader.rows():
            tracker.saw(row)
            item = row.item
            yield [item.id, row.pseudonym, row.cohort, item.week, item.step, *turn_cells(row), item.prompt, item.text,
                   *(_codes_cell(row.codings.get(label, []), names) for label in labels), "; ".join(row.finished),
                   "" if row.agreed is None else _codes_cell(row.agreed, names), row.status, row.note or "",
                   _memos_cell(row.memos)]

    return header, body()


def write_csv(reader: Reader, out: IO[bytes], tracker: Tracker) -> None:
    """Write one CSV row per reflection step (UTF-8 with BOM, so Excel reads the accents right)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)  # type: ignore[arg-type]
    writer = csv.writer(text)
    header, body = _table_rows(reader, tracker)
    writer.writerow(header)
    for values in body:
        writer.writerow([safe_cell(v) for v in values])
    text.flush()
    text.detach()


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose members all carry one timestamp, so the same workbook is the same bytes."""

    def __init__(self, out: Any, *, stamp: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.stamp = stamp

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.stamp)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as fh:  # a write-only sheet's temporary file, streamed in pieces
            info = zipfile.ZipInfo(str(arcname or filename), date_time=self.stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with self.open(info, "w", force_zip64=True) as dest:
                shutil.copyfileobj(fh, dest, 1 << 20)


XLSX_WIDTHS = {"item": 7, "pseudonym": 10, "cohort": 22, "week": 6, "step": 11, "session": 22, "turn": 6,
               "speaker": 10, "role": 10, "phase": 11, "prompt": 40, "text": 80,
               FINISHED_BY: 14, "agreed codes": 36, "status": 13, "settle note": 30, "memos": 40}
WRAPPED = {"prompt", "text", "agreed codes", "settle note", "memos"}


def write_xlsx(reader: Reader, out: IO[bytes], tracker: Tracker) -> None:
    """Write an XLSX workbook (a sheet of reflection steps, a sheet of the codebook), streaming.

    The header row is frozen and filtered, columns have widths and long text wraps. The workbook's dates and
    the zip's timestamps come from the round, so exporting the same data gives the same bytes.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    when = reader.rnd.opened_at.astimezone(UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = when
    book.properties.creator = "balintbot"
    sheet = book.create_sheet("Reflections")
    codes_sheet = book.create_sheet("Codebook")
    memo_sheet = book.create_sheet("Memos")
    wrap, bold = Alignment(wrap_text=True, vertical="top"), Font(bold=True)

    def cell(value: Any, ws: Any = sheet, wrapped: bool = False) -> Any:
        dangerous = isinstance(value, str) and value.startswith(DANGEROUS)
        if not (wrapped or dangerous):
            return value  # a plain cell costs nothing; styled ones are built only where needed
        c = WriteOnlyCell(ws, value=value)
        if dangerous:
            c.data_type = "s"  # text, never a formula
            c.quotePrefix = True  # and Excel keeps it text when the cell is edited
        if wrapped:
            c.alignment = wrap
        return c

    def head(ws: Any, names: list[str], widths: dict[str, int]) -> None:
        for i, name in enumerate(names, start=1):
            ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 30 if name.startswith("codes ") else 16)
        ws.freeze_panes = "A2"
        row = []
        for name in names:
            c = WriteOnlyCell(ws, value=name)
            c.font = bold
            row.append(c)
        ws.append(row)

    header, body = _table_rows(reader, tracker)
    head(sheet, header, XLSX_WIDTHS)
    wrapped = [name in WRAPPED or name.startswith("codes ") for name in header]
    count = 0
    for values in body:
        sheet.append([cell(v, sheet, w) for v, w in zip(values, wrapped, strict=True)])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    names = codebook.paths(reader.session, reader.rnd)
    book_header = ["code", "parent", "name", *codebook.FIELDS, "colour"]
    head(codes_sheet, book_header, {"code": 36, "parent": 30, "name": 26, "definition": 60, "inclusion": 40,
                                    "exclusion": 40, "example": 40, "colour": 9})
    rows = 0
    for code in codebook.codes(reader.session, reader.rnd):
        parent = names.get(code.parent_id, "") if code.parent_id is not None else ""
        codes_sheet.append([cell(v, codes_sheet, i >= 3) for i, v in enumerate((
            names.get(code.id or 0, code.name), parent, code.name, code.definition, code.inclusion, code.exclusion,
            code.example, code.colour))])
        rows += 1
    codes_sheet.auto_filter.ref = f"A1:{get_column_letter(len(book_header))}{rows + 1}"
    head(memo_sheet, ["coder", "item", "code", "memo", "written"], {"coder": 14, "item": 7, "code": 36, "memo": 80,
                                                                  "written": 20})
    memos = 0
    for m in reader.memos:
        item = research_repo.get_item(session=reader.session, item_id=m.item_id) if m.item_id else None
        if m.item_id is not None and (item is None or item.excluded_at is not None):
            continue  # a memo on a withdrawn reflection may quote it
        memo_sheet.append([reader.labels.get(m.coder_id, "?"), m.item_id,
                           names.get(m.code_id, "") if m.code_id else "", cell(m.text, memo_sheet, True),
                           m.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")])
        memos += 1
    memo_sheet.auto_filter.ref = f"A1:E{memos + 1}"
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    with _FixedTimeZip(out, stamp=stamp) as archive:
        ExcelWriter(book, archive).save()


def write_jsonl(reader: Reader, out: IO[bytes], tracker: Tracker) -> None:
    """Write one JSON object per line per reflection step, codings with their code-point offsets."""
    names = codebook.paths(reader.session, reader.rnd)

    def coded(entries: Sequence[Applied]) -> list[dict[str, Any]]:
        return [{"code": names.get(c, "?"), "start": s, "end": e} for c, s, e, _i, _a in entries]

    buffer: list[bytes] = []
    for row in reader.rows():
        tracker.saw(row)
        item = row.item
        turn = item.transcript_id is not None
        record = {"item": item.id, "pseudonym": row.pseudonym, "cohort": row.cohort, "week": item.week,
                  "step": item.step, "session": item.session if turn else None, "turn": item.turn if turn else None,
                  "speaker": row.pseudonym if turn else None, "role": item.role if turn else None,
                  "phase": item.phase if turn else None, "prompt": item.prompt, "text": item.text,
                  "codes": {label: coded(v) for label, v in row.codings.items()}, "finished_by": row.finished,
                  "agreed": None if row.agreed is None else coded(row.agreed), "status": row.status,
                  "settle_note": row.note, "memos": [{"by": label, "text": text} for label, text in row.memos]}
        buffer.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        if len(buffer) >= 500:
            out.write(b"".join(buffer))
            buffer.clear()
    out.write(b"".join(buffer))


WRITERS: dict[str, Callable[[Reader, IO[bytes], Tracker], None]] = {
    "csv": write_csv, "xlsx": write_xlsx, "jsonl": write_jsonl, "qdpx": write_qdpx_project,
}


def export(session: Session, env: Env, study: Study, fmt: str, out: IO[bytes], *, round_number: int | None = None,
           actor: str, filename: str | None = None, progress: Callable[[int], None] | None = None,
           documents: str = "week") -> ExportResult:
    """Write a round of a study in ``fmt`` to ``out`` and record the export; return what it held.

    ``documents`` (``.qdpx`` only): one source per week's reflection, per participant, or per step."""
    assert study.id is not None
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ResearchError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if documents not in DOCUMENTS:
        raise ResearchError(f"--documents {documents!r}: choose one of {', '.join(DOCUMENTS)}")
    rnd = codebook.round_by_number(session, study, round_number)
    hashing = _Hashing(out)
    tracker = Tracker(progress)
    if fmt == "qdc":
        tracker.rows = codebook_files.write_qdc_file(session, rnd, hashing)  # type: ignore[arg-type]
    else:
        buffered = io.BufferedWriter(hashing, buffer_size=1 << 16)
        if fmt == "qdpx":
            write_qdpx_project(Reader(session, study, rnd), buffered, tracker, documents)  # type: ignore[arg-type]
        else:
            WRITERS[fmt](Reader(session, study, rnd), buffered, tracker)  # type: ignore[arg-type]
        buffered.flush()
    out.flush()
    left_out = _left_out(rnd, tracker) if fmt != "qdc" else None
    record = research_repo.add_export(session=session, export=ResearchExport(
        study_id=study.id, round_number=rnd.number, format=fmt, actor=actor, at=env.clock.now(), rows=tracker.rows,
        bytes=hashing.count, sha256=hashing.sha.hexdigest(), filename=filename, items=tracker.ranges,
        left_out=left_out), participant_ids=sorted(tracker.participants))
    assert record.id is not None
    repo.audit(session=session, actor=actor, action="research.export", study_id=study.id, at=env.clock.now(),
               export=record.id, format=fmt, round=rnd.number, rows=tracker.rows, sha256=record.sha256,
               participants=len(tracker.participants), filename=filename)
    return ExportResult(export_id=record.id, format=fmt, study=study.name, round=rnd.number, rows=tracker.rows,
                        bytes=hashing.count, sha256=record.sha256, participants=len(tracker.participants),
                        left_out=int((left_out or {}).get("items", 0)))


def _left_out(rnd: CodingRound, tracker: Tracker) -> dict[str, Any] | None:
    """What a closed round's export left out of its frozen members (students who withdrew or were erased)."""
    if rnd.closed_at is None or not rnd.frozen:
        return None
    frozen: dict[str, int] = rnd.frozen.get("participants", {})
    gone = {p: n - tracker.per_pseudonym.get(p, 0) for p, n in frozen.items() if tracker.per_pseudonym.get(p, 0) < n}
    return {"items": sum(gone.values()), "participants": sorted(gone)}


def export_log(session: Session, study: Study) -> list[dict[str, Any]]:
    """Return a study's exports with what each held, for people and scripts."""
    assert study.id is not None
    out = []
    for e in research_repo.list_exports(session=session, study_id=study.id):
        held = session.exec(
            select(ResearchParticipant.number)
            .join(ExportParticipant, col(ExportParticipant.participant_id) == ResearchParticipant.id)
            .where(ExportParticipant.export_id == e.id).order_by(col(ResearchParticipant.number))).all()
        out.append({"export": e.id, "at": e.at.isoformat(timespec="seconds"), "by": e.actor, "format": e.format,
                    "round": e.round_number, "rows": e.rows, "bytes": e.bytes, "sha256": e.sha256,
                    "file": e.filename, "participants": [pseudonym_of(n) for n in held],
                    "items": sum(b - a + 1 for a, b in e.items), "left_out": e.left_out})
    return out
