"""Codebook files: the seed study's themes, import and export as REFI-QDA ``.qdc`` and CSV.

CSV columns: ``name,parent,definition,inclusion,exclusion,example,colour`` (``parent`` is the parent's path, such
as ``Theme/Sub-theme``, defined on an earlier line). In a ``.qdc`` the definition, criteria and example travel in
the code's ``Description``, labelled so they come back apart.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from sqlmodel import Session

from bot.core.context import Env
from bot.core.paths import PROMPTS
from bot.research.codebook import FIELDS, CodeIn, add_code, check_name, codes, edit_code, ensure_round, paths
from bot.research.errors import ResearchError
from bot.research.refi_qda import QdaCode, RefiQdaError, read_qdc, write_qdc
from storage import coding_repo, repo
from storage.models import Study
from storage.research_models import CodingRound, ResearchCode

SEED = PROMPTS / "research" / "seed_codebook.toml"
CSV_COLUMNS = ("name", "parent", "definition", "inclusion", "exclusion", "example", "colour")
_LABELS = {"definition": "Definition", "inclusion": "Include when", "exclusion": "Exclude when",
           "example": "Example"}


def _from_mapping(entry: dict[str, Any]) -> CodeIn:
    if not isinstance(entry.get("name"), str):
        raise ResearchError("every code needs a name")
    return CodeIn(name=entry["name"], definition=str(entry.get("definition", "")),
                  inclusion=str(entry.get("inclusion", "")), exclusion=str(entry.get("exclusion", "")),
                  example=str(entry.get("example", "")), colour=entry.get("colour"),
                  children=[_from_mapping(c) for c in entry.get("children", [])])


def read_seed(path: Path = SEED) -> list[CodeIn]:
    """Read the starting codebook of the seed study."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [_from_mapping(c) for c in data.get("codes", [])]


def load(session: Session, env: Env, study: Study, book: Iterable[CodeIn], *, actor: str,
         source: str) -> tuple[CodingRound, int, int]:
    """Load codes into the open round: new ones added, ones with the same GUID or path updated; return counts.

    A code whose GUID (a .qdc keeps each code's) is that of a code merged, split or deleted in this round is
    skipped: importing an earlier round's codebook does not bring back what this round retired.
    """
    rnd = ensure_round(session, env, study)
    added = updated = 0
    everything = coding_repo.codes_of_round(session=session, round_id=rnd.id or 0, retired=True)
    retired = {c.lineage.upper() for c in everything if c.retired_at is not None}

    def place(entry: CodeIn, parent: ResearchCode | None) -> None:
        nonlocal added, updated
        name = check_name(entry.name)
        parent_id = parent.id if parent else None
        key = (entry.key or "").upper()
        existing = next((c for c in codes(session, rnd) if key and c.lineage.upper() == key), None)
        if existing is None and key in retired:
            for child in entry.children:
                place(child, parent)
            return
        existing = existing or next((c for c in codes(session, rnd) if c.parent_id == parent_id
                                     and c.name.lower() == name.lower()), None)
        if existing is None:
            existing = add_code(session, env, rnd, CodeIn(name=name, definition=entry.definition,
                                                          inclusion=entry.inclusion, exclusion=entry.exclusion,
                                                          example=entry.example, colour=entry.colour, key=entry.key),
                                parent=parent, actor=actor)
            added += 1
        else:
            changes = {k: getattr(entry, k) for k in FIELDS if getattr(entry, k) and getattr(entry, k) !=
                       getattr(existing, k)}
            if entry.colour and entry.colour.upper() != existing.colour:
                changes["colour"] = entry.colour
            if changes:
                edit_code(session, env, rnd, existing, actor=actor, **changes)
                updated += 1
        for child in entry.children:
            place(child, existing)

    for entry in book:
        place(entry, None)
    repo.audit(session=session, actor=actor, action="research.codebook_load", study_id=study.id,
               at=env.clock.now(), round=rnd.number, source=source, added=added, updated=updated)
    return rnd, added, updated


def describe(code: ResearchCode) -> str:
    """Compose the definition fields into one description (as .qdc files carry them)."""
    parts = [f"{_LABELS[k]}: {getattr(code, k)}" for k in FIELDS if getattr(code, k)]
    return "\n\n".join(parts)


def parse_description(text: str | None) -> dict[str, str]:
    """Split a description written by ``describe`` back into fields; any other text is the definition."""
    out = dict.fromkeys(FIELDS, "")
    if not text:
        return out
    labels = {v: k for k, v in _LABELS.items()}
    pattern = re.compile(r"^(" + "|".join(re.escape(v) for v in _LABELS.values()) + r"): ", re.M)
    pieces = pattern.split(text)
    if len(pieces) == 1 or pieces[0].strip():
        out["definition"] = text.strip()
        return out
    for label, value in zip(pieces[1::2], pieces[2::2], strict=True):
        out[labels[label]] = value.strip()
    return out


def read_qdc_file(path: Path) -> list[CodeIn]:
    """Read a REFI-QDA codebook (.qdc) into codes."""
    try:
        flat = read_qdc(path)
    except (RefiQdaError, OSError) as exc:
        raise ResearchError(f"{path}: {exc}") from None
    return _tree(flat)


def _tree(flat: Sequence[QdaCode]) -> list[CodeIn]:
    made: dict[str, CodeIn] = {}
    roots: list[CodeIn] = []
    for c in flat:
        f = parse_description(c.description)
        made[c.key] = CodeIn(name=c.name, colour=c.color, key=c.key, definition=f["definition"],
                             inclusion=f["inclusion"], exclusion=f["exclusion"], example=f["example"])
    for c in flat:
        if c.parent_key and c.parent_key in made:
            made[c.parent_key].children.append(made[c.key])
        else:
            roots.append(made[c.key])
    return roots


def read_csv_file(path: Path) -> list[CodeIn]:
    """Read a codebook CSV (columns ``name,parent,definition,inclusion,exclusion,example,colour``)."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResearchError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(raw))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header:
        raise ResearchError(f"{path}: the first row must name the columns, including 'name' "
                            f"(expected {','.join(CSV_COLUMNS)})")
    by_path: dict[str, CodeIn] = {}
    roots: list[CodeIn] = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): _unneutralise((v or "").strip()) for k, v in row.items()}
        if not row.get("name"):
            raise ResearchError(f"{path}, line {line}: the code has no name")
        entry = CodeIn(name=row["name"], definition=row.get("definition", ""), inclusion=row.get("inclusion", ""),
                       exclusion=row.get("exclusion", ""), example=row.get("example", ""),
                       colour=row.get("colour") or None)
        parent = row.get("parent", "")
        if parent:
            if parent.lower() not in by_path:
                raise ResearchError(f"{path}, line {line}: parent {parent!r} is not defined on an earlier line")
            by_path[parent.lower()].children.append(entry)
            by_path[f"{parent}/{entry.name}".lower()] = entry
        else:
            roots.append(entry)
            by_path[entry.name.lower()] = entry
    if not roots:
        raise ResearchError(f"{path}: no codes in the file")
    return roots


def _unneutralise(value: str) -> str:
    """Undo the apostrophe our CSV exports put before a leading = + - @ (formula-injection guard)."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def qda_codes(session: Session, rnd: CodingRound) -> list[QdaCode]:
    """Return a round's codebook as REFI-QDA codes (keys are the lineages, so GUIDs stay across rounds)."""
    ordered = codes(session, rnd)
    by_id = {c.id: c for c in ordered}
    return [QdaCode(key=c.lineage, name=c.name, color=c.colour, description=describe(c) or None,
                    parent_key=by_id[c.parent_id].lineage if c.parent_id in by_id else None) for c in ordered]


def write_qdc_file(session: Session, rnd: CodingRound, out: IO[bytes]) -> int:
    """Write a round's codebook as .qdc; return the number of codes."""
    book = qda_codes(session, rnd)
    if not book:
        raise ResearchError(f"round {rnd.number} has no codes to export")
    write_qdc(cast(BinaryIO, out), codes=book)
    return len(book)


def write_csv(session: Session, rnd: CodingRound, out: IO[str]) -> int:
    """Write a round's codebook as CSV (cells neutralised against formula injection); return the count."""
    from bot.research.cells import safe_cell

    all_paths = paths(session, rnd)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    ordered = codes(session, rnd)
    for c in ordered:
        parent = all_paths.get(c.parent_id or -1, "")
        writer.writerow([safe_cell(v) for v in (c.name, parent, c.definition, c.inclusion, c.exclusion, c.example,
                                                 c.colour)])
    return len(ordered)
