"""Exports of a coding round: CSV, XLSX, JSONL (one row per reflection step), REFI-QDA .qdpx and .qdc.

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
from typing import IO, Any, BinaryIO, cast

from sqlmodel import Session, col, select

from bot.core.context import Env
from bot.research import codebook, codebook_files
from bot.research.agreement.input import ITEMS_VARIABLE
from bot.research.cells import DANGEROUS, safe_cell
from bot.research.errors import ResearchError
from bot.research.export_rows import Applied, Reader, Row, Tracker
from bot.research.refi_qda import QdaCase, QdaNote, QdaSelection, QdaSource, QdaUser, QdaVariable, write_qdpx
from storage import coding_repo, repo, research_repo
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
ITEMS_KEY = "balintbot_items"
AGREED_USER = "agreed"
FINISHED_BY = "finished by"  # who finished each item: a coder who applied no code finished it too


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


def _table_rows(reader: Reader, tracker: Tracker) -> tuple[list[str], Iterator[list[Any]]]:
    names = codebook.paths(reader.session, reader.rnd)
    labels = [c.label for c in reader.coders()]
    header = ["item", "pseudonym", "cohort", "week", "step", "prompt", "text",
              *(f"codes {label}" for label in labels), FINISHED_BY, "agreed codes", "status", "settle note", "memos"]

    def body() -> Iterator[list[Any]]:
        for row in reader.rows():
            tracker.saw(row)
            item = row.item
            yield [item.id, row.pseudonym, row.cohort, item.week, item.step, item.prompt, item.text,
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


XLSX_WIDTHS = {"item": 7, "pseudonym": 10, "cohort": 22, "week": 6, "step": 11, "prompt": 40, "text": 80,
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
        record = {"item": item.id, "pseudonym": row.pseudonym, "cohort": row.cohort, "week": item.week,
                  "step": item.step, "prompt": item.prompt, "text": item.text,
                  "codes": {label: coded(v) for label, v in row.codings.items()}, "finished_by": row.finished,
                  "agreed": None if row.agreed is None else coded(row.agreed), "status": row.status,
                  "settle_note": row.note, "memos": [{"by": label, "text": text} for label, text in row.memos]}
        buffer.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
        if len(buffer) >= 500:
            out.write(b"".join(buffer))
            buffer.clear()
    out.write(b"".join(buffer))


def _section_title(row: Row, *, with_week: bool) -> str:
    """The heading of a step's section in a week's or participant's document ("1 · The encounter")."""
    head = row.item.prompt.split(". ")[0] if "·" in row.item.prompt.split(". ")[0] else row.item.step
    return f"Week {row.item.week} · {head}" if with_week else head


def _group_key(row: Row, documents: str) -> tuple[int, ...]:
    return (row.item.participant_id, row.item.week) if documents == "week" else (row.item.participant_id,)


def write_qdpx_project(reader: Reader, out: IO[bytes], tracker: Tracker, documents: str = "week") -> None:
    """Write a REFI-QDA project: coders as users, the codebook, memos as notes, and one text source per week's
    reflection (``documents="week"``, each step a section), per participant, or per step.

    Each source carries a ``balintbot items`` variable (JSON: each item's offsets in the text, status and who
    finished it), so agreement from the file is the database's, item by item."""
    session, rnd, study = reader.session, reader.rnd, reader.study
    coders = reader.coders(with_memos=True)
    users = [QdaUser(key=f"coder-{c.id}", name=c.label) for c in coders]
    users.append(QdaUser(key=AGREED_USER, name="Agreed"))  # settled, or what every coder applied alike
    user_of = {c.label: f"coder-{c.id}" for c in coders}
    qda_codes = codebook_files.qda_codes(session, rnd)
    lineage = {c.id: c.lineage for c in coding_repo.codes_of_round(session=session, round_id=rnd.id or 0,
                                                                      retired=True)}
    variables = [QdaVariable("cohort", "Cohort", "Text", "The cohort (placement group) of the participant"),
                 QdaVariable("week", "Week", "Integer", "Week of the placement the reflection was written in"),
                 QdaVariable("step", "Step", "Text", "Step of the Balint conversation the text answers"),
                 QdaVariable("finished_by", "Finished by", "Text", "The coders who finished the item, separated by "
                             "'; ' (one who applied no code finished it too)"),
                 QdaVariable("status", "Status", "Text", "in progress, agreed, disagreement or settled"),
                 QdaVariable(ITEMS_KEY, ITEMS_VARIABLE, "Text", "For balintbot: the items (steps) in this document "
                             "as JSON, with their offsets, status and the coders who finished them")]
    cases = [QdaCase(key=f"participant-{pid}", name=pseudonym_of(reader.participants.get(pid, 0)),
                     variables={"cohort": cohort}) for pid, cohort in reader.participant_cohorts().items()]
    notes = _notes(session, rnd, reader)
    round_start = rnd.opened_at

    names = codebook.paths(session, rnd)

    def section(row: Row, offset: int) -> tuple[list[QdaSelection], dict[str, Any]]:
        """The selections of one item placed at ``offset`` in its document, and its entry in ITEMS."""
        item = row.item
        a, b = offset, offset + len(item.text)
        selections: list[QdaSelection] = []
        whole: dict[str, list[str]] = {}
        for label, entries in row.codings.items():
            for code, start, end, cid, at in entries:
                if start is None:
                    whole.setdefault(label, []).append(names.get(code, "?"))
                selections.append(QdaSelection(
                    key=f"coding-{cid}", start=a if start is None else a + start,
                    end=b if end is None else a + (end or 0), code_key=lineage[code], coder_key=user_of[label],
                    created=at or round_start, name=item.step))
        for code, start, end, gid, at in row.agreed or []:
            selections.append(QdaSelection(
                key=f"agreed-{gid}" if gid else f"agreed-{item.id}-{code}", start=a if start is None else a + start,
                end=b if end is None else a + (end or 0), code_key=lineage[code], coder_key=AGREED_USER,
                created=at or round_start, name=f"{item.step} (agreed)"))
        entry = {"item": item.id, "step": item.step, "start": a, "end": b, "status": row.status,
                 "finished_by": row.finished, "whole": whole}
        return selections, entry

    def one(group: list[Row]) -> QdaSource:
        first = group[0]
        text, selections, entries, notes_of = "", [], [], []
        for row in group:
            tracker.saw(row)
            if documents != "step":
                title = _section_title(row, with_week=documents == "participant")
                text += ("\n\n" if text else "") + title + "\n"
            placed, entry = section(row, len(text))
            text += row.item.text
            selections.extend(placed)
            entries.append(entry)
            notes_of.extend([*row.memo_keys, *([f"settle-{row.item.id}"] if row.note else [])])
        item = first.item
        variables: dict[str, Any] = {"cohort": first.cohort, ITEMS_KEY: json.dumps(entries, ensure_ascii=False)}
        if documents == "step":
            key, name = f"item-{item.id}", f"{first.pseudonym} week {item.week} {item.step} #{item.id}"
            variables.update(week=item.week, step=item.step, finished_by="; ".join(first.finished) or None,
                             status=first.status)
        elif documents == "week":
            key, name = f"week-{item.participant_id}-{item.week}", f"{first.pseudonym} week {item.week}"
            variables.update(week=item.week)
        else:
            key, name = f"participant-{item.participant_id}", first.pseudonym
        return QdaSource(key=key, name=name, text=text, created=min(r.item.entered_at for r in group),
                         selections=selections, case_key=f"participant-{item.participant_id}", note_keys=notes_of,
                         variables=variables)

    def sources() -> Iterator[QdaSource]:
        # a week's steps enter the queue together (one intake, one after another), so in item order they are
        # neighbours: only a participant's documents need the rows sorted by participant
        order = "participant" if documents == "participant" else "item"
        group: list[Row] = []
        for row in reader.rows(order):
            if group and (documents == "step" or _group_key(row, documents) != _group_key(group[0], documents)):
                yield one(group)
                group = []
            group.append(row)
        if group:
            yield one(group)

    write_qdpx(cast(BinaryIO, out), project_name=f"{study.name} — round {rnd.number}", users=users, codes=qda_codes,
               variables=variables, cases=cases, sources=sources(), notes=notes, created=round_start,
               description=f"De-identified reflections of {study.name}, coding round {rnd.number}, exported by "
                           "balintbot. Texts are redacted; participants are pseudonyms.")


def _notes(session: Session, rnd: CodingRound, reader: Reader) -> list[QdaNote]:
    names = codebook.paths(session, rnd)
    notes = []
    for m in reader.memos:
        item = research_repo.get_item(session=session, item_id=m.item_id) if m.item_id else None
        if item is not None and item.excluded_at is not None:
            continue  # a memo on a withdrawn reflection may quote it
        about = []
        if m.item_id is not None:
            about.append(f"item #{m.item_id}")
        if m.code_id is not None:
            about.append(f"code {names.get(m.code_id, '?')}")
        label = reader.labels.get(m.coder_id, "?")
        notes.append(QdaNote(key=f"memo-{m.id}", name=f"Memo by {label} on {' and '.join(about) or 'the round'}",
                             text=m.text, created=m.created_at, creator_key=f"coder-{m.coder_id}"))
    for st in coding_repo.settlements_of_round(session=session, round_id=rnd.id or 0):
        item = research_repo.get_item(session=session, item_id=st.item_id)
        if st.note and item is not None and item.excluded_at is None:
            notes.append(QdaNote(key=f"settle-{st.item_id}", name=f"Settle note on item #{st.item_id}", text=st.note,
                                 created=st.at))
    return notes


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
