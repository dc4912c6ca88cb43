"""An export of the coding queue itself, for a team that codes elsewhere (NVivo, ATLAS.ti, a spreadsheet).

A study with no coding round yet still has consented, de-identified reflections: one row per reflection step (or
transcript turn, with its session, turn number, speaker, role and phase), with the participant's pseudonym, cohort,
week, the question and the redacted text, and no codings. The queue
is brought up to date first (intake), so what is exported is what research consent allows now. Like every
export it is recorded with its SHA-256 and the participants it held (``round_number`` is empty).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.core.context import Env
from bot.research.errors import ResearchError
from bot.research.export_rows import prompt_of
from bot.research.queue import intake
from storage import repo, research_repo
from storage.models import Study
from storage.research_models import CodingItem, ResearchExport, ResearchTranscript, pseudonym_of

QUEUE_FORMATS = ("csv", "jsonl")
HEADER = ("item", "pseudonym", "cohort", "week", "step", "session", "turn", "speaker", "role", "phase", "prompt",
          "text")  # session … phase: a transcript turn's (a circle week's post); empty for a private reflection
PAGE = 1000


@dataclass(frozen=True)
class QueueExport:
    export_id: int
    format: str
    study: str
    rows: int
    bytes: int
    sha256: str
    participants: int
    new_items: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "round": None}


def _ranges(ids: list[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for i in ids:
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges


def _rows(session: Session, study: Study, seen: set[int], ids: list[int]) -> Iterator[tuple[Any, ...]]:
    numbers = {p.id: p.number for p in research_repo.participants_by_id(session=session,
                                                                         study_id=study.id or 0).values()}
    cohorts = {c.id: c.name for c in research_repo.study_cohorts(session=session, study_id=study.id or 0)}
    last = 0
    while True:
        page = session.execute(
            sa_select(col(CodingItem.id), col(CodingItem.participant_id), col(CodingItem.cohort_id),
                      col(CodingItem.week), col(CodingItem.step), col(CodingItem.text),
                      col(CodingItem.transcript_id), col(ResearchTranscript.title), col(CodingItem.turn),
                      col(CodingItem.speaker_role), col(CodingItem.phase))
            .outerjoin(ResearchTranscript, col(ResearchTranscript.id) == col(CodingItem.transcript_id))
            .where(col(CodingItem.study_id) == study.id, col(CodingItem.excluded_at).is_(None),
                   col(CodingItem.id) > last).order_by(col(CodingItem.id)).limit(PAGE)).all()
        if not page:
            return
        for item_id, participant_id, cohort_id, week, step, text, transcript, title, turn, role, phase in page:
            seen.add(participant_id)
            ids.append(item_id)
            pseudonym = pseudonym_of(numbers[participant_id])
            spoken = (title, turn, pseudonym, role, phase) if transcript is not None else (None,) * 5
            yield (item_id, pseudonym, cohorts.get(cohort_id, ""), week, step, *spoken, prompt_of(step), text)
        last = page[-1][0]


def export_queue(session: Session, env: Env, study: Study, fmt: str, out: IO[bytes], *, actor: str,
                 filename: str | None = None) -> QueueExport:
    """Write the study's queue (no codings) as CSV or JSONL to ``out`` and record the export."""
    from bot.research.cells import safe_cell

    assert study.id is not None
    fmt = fmt.lower()
    if fmt not in QUEUE_FORMATS:
        raise ResearchError(f"{study.name} has no coding round yet, so only the queue can be exported, as csv or "
                            f"jsonl ({fmt} needs a codebook: balint research codebook seed|import)")
    new = intake(session, env, study, actor=actor).new
    sha, size, rows = hashlib.sha256(), 0, 0
    seen: set[int] = set()
    ids: list[int] = []
    text = io.StringIO()
    writer = csv.writer(text)

    def emit(chunk: str) -> None:
        nonlocal size
        data = chunk.encode("utf-8")
        sha.update(data)
        size += len(data)
        out.write(data)

    if fmt == "csv":
        emit("\ufeff")  # a BOM, so Excel reads the accents right
        writer.writerow(HEADER)
    for row in _rows(session, study, seen, ids):
        rows += 1
        if fmt == "csv":
            writer.writerow([safe_cell(v) for v in row])
        else:
            text.write(json.dumps(dict(zip(HEADER, row, strict=True)), ensure_ascii=False) + "\n")
        if text.tell() > 1 << 16:
            emit(text.getvalue())
            text.seek(0)
            text.truncate()
    emit(text.getvalue())
    out.flush()
    record = research_repo.add_export(session=session, export=ResearchExport(
        study_id=study.id, round_number=None, format=fmt, actor=actor, at=env.clock.now(), rows=rows, bytes=size,
        sha256=sha.hexdigest(), filename=filename, items=_ranges(ids)), participant_ids=sorted(seen))
    assert record.id is not None
    repo.audit(session=session, actor=actor, action="research.export", study_id=study.id, at=env.clock.now(),
               export=record.id, format=fmt, round=None, rows=rows, sha256=record.sha256, participants=len(seen),
               filename=filename)
    return QueueExport(export_id=record.id, format=fmt, study=study.name, rows=rows, bytes=size,
                       sha256=record.sha256, participants=len(seen), new_items=new)
