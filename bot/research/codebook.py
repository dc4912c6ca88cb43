"""Codebook rounds: hierarchical codes with definitions, versioned per round, with their history.

Each round has its own copy of the codebook. Closing a round freezes its copy and opens the next round with
the codes carried over (same ``lineage``, ``derived_from`` pointing back). Between rounds a code can be
renamed, edited, merged or split in the open round; every change is a ``research_code_history`` row.
Seeding, import and export (REFI-QDA ``.qdc`` and CSV) are in ``bot.research.codebook_files``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo
from storage.models import Study
from storage.research_models import CodeEvent, CodingRound, ResearchCode

FIELDS = ("definition", "inclusion", "exclusion", "example")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
PALETTE = ("#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F",
           "#BAB0AC")


@dataclass
class CodeIn:
    """A code as written in a file: fields, and its children."""

    name: str
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""
    colour: str | None = None
    key: str | None = None  # a GUID from a .qdc, kept as the lineage
    children: list[CodeIn] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- rounds


def open_round(session: Session, study_id: int) -> CodingRound | None:
    """Return the study's open round (None before the first)."""
    rounds = coding_repo.rounds_of(session=session, study_id=study_id)
    return rounds[-1] if rounds and rounds[-1].closed_at is None else None


def ensure_round(session: Session, env: Env, study: Study) -> CodingRound:
    """Return the open round, opening round 1 when the study has none."""
    assert study.id is not None
    current = open_round(session, study.id)
    if current is not None:
        return current
    if coding_repo.rounds_of(session=session, study_id=study.id):
        raise ResearchError(f"every round of {study.name} is closed")  # cannot happen: closing opens the next
    first: CodingRound = research_repo.add(session=session, row=CodingRound(study_id=study.id, number=1,
                                                                            opened_at=env.clock.now()))
    return first


def round_by_number(session: Session, study: Study, number: int | None) -> CodingRound:
    """Return round ``number`` (the open or latest round when None), or say there is no such round."""
    assert study.id is not None
    rounds = coding_repo.rounds_of(session=session, study_id=study.id)
    if not rounds:
        raise ResearchError(f"{study.name} has no coding round yet: load a codebook first "
                            "(balint research codebook seed|import)")
    if number is None:
        return rounds[-1]
    for r in rounds:
        if r.number == number:
            return r
    raise ResearchError(f"{study.name} has no round {number} (rounds: {', '.join(str(r.number) for r in rounds)})")


def next_round(session: Session, env: Env, study: Study, current: CodingRound, *,
               actor: str) -> tuple[CodingRound, CodingRound]:
    """Mark the open round closed and open the next with the codebook carried over; return (closed, opened).

    ``bot.research.rounds.close_round`` checks and freezes the round first; call that.
    """
    assert study.id is not None and current.id is not None
    now = env.clock.now()
    current.closed_at, current.closed_by = now, actor
    session.add(current)
    nxt: CodingRound = research_repo.add(session=session, row=CodingRound(
        study_id=study.id, number=current.number + 1, opened_at=now))
    assert nxt.id is not None
    new_ids: dict[int, int] = {}
    for code in coding_repo.codes_of_round(session=session, round_id=current.id):
        assert code.id is not None
        copy: ResearchCode = research_repo.add(session=session, row=ResearchCode(
            study_id=study.id, round_id=nxt.id, lineage=code.lineage, name=code.name, definition=code.definition,
            inclusion=code.inclusion, exclusion=code.exclusion, example=code.example, colour=code.colour,
            position=code.position, derived_from=[code.id]))
        assert copy.id is not None
        new_ids[code.id] = copy.id
    for old_id, new_id in new_ids.items():
        old = session.get(ResearchCode, old_id)
        child = session.get(ResearchCode, new_id)
        if old is not None and child is not None and old.parent_id in new_ids:
            child.parent_id = new_ids[old.parent_id]
            session.add(child)
    _event(session, env, nxt, actor, "carry", list(new_ids.values()), from_round=current.number,
           carried=len(new_ids))
    repo.audit(session=session, actor=actor, action="research.close_round", study_id=study.id, at=now,
               closed=current.number, opened=nxt.number)
    return current, nxt


# ---------------------------------------------------------------------------------------------- codes


def _event(session: Session, env: Env, rnd: CodingRound, actor: str, action: str, code_ids: list[int],
           **detail: Any) -> None:
    assert rnd.id is not None
    session.add(CodeEvent(study_id=rnd.study_id, round_id=rnd.id, at=env.clock.now(), actor=actor, action=action,
                          code_ids=code_ids, detail=detail))


def codes(session: Session, rnd: CodingRound) -> list[ResearchCode]:
    """Return a round's codes in codebook order: each parent followed by its children."""
    assert rnd.id is not None
    flat = list(coding_repo.codes_of_round(session=session, round_id=rnd.id))
    children: dict[int | None, list[ResearchCode]] = {}
    for c in flat:
        children.setdefault(c.parent_id, []).append(c)
    ordered: list[ResearchCode] = []

    def walk(parent: int | None) -> None:
        for c in children.get(parent, []):
            ordered.append(c)
            walk(c.id)

    walk(None)
    return ordered


def paths(session: Session, rnd: CodingRound) -> dict[int, str]:
    """Return code id -> path ("Theme/Sub-theme") for a round, retired codes included."""
    assert rnd.id is not None
    everything = {c.id: c for c in coding_repo.codes_of_round(session=session, round_id=rnd.id, retired=True)}

    def path(code: ResearchCode) -> str:
        parts = [code.name]
        seen = {code.id}
        while code.parent_id is not None and code.parent_id in everything and code.parent_id not in seen:
            code = everything[code.parent_id]
            seen.add(code.id)
            parts.append(code.name)
        return "/".join(reversed(parts))

    return {cid: path(c) for cid, c in everything.items() if cid is not None}


def depth(code: ResearchCode, by_id: dict[int, ResearchCode]) -> int:
    """Return how deep a code sits (0 for a theme)."""
    d, seen = 0, set()
    while code.parent_id is not None and code.parent_id in by_id and code.parent_id not in seen:
        seen.add(code.parent_id)
        code = by_id[code.parent_id]
        d += 1
    return d


def find_code(session: Session, rnd: CodingRound, ref: str) -> ResearchCode:
    """Find a code of the round by id, path or name; say clearly when it is missing or ambiguous.

    Marks copied from a button ("☐ ", "☑ ", an older "· ") are ignored."""
    ref = ref.strip().lstrip("☐☑·↳ ").strip()
    all_paths = paths(session, rnd)
    active = {c.id: c for c in codes(session, rnd)}
    if ref.isdigit() and int(ref) in active:
        return active[int(ref)]
    by_path = [cid for cid, p in all_paths.items() if p.lower() == ref.lower() and cid in active]
    if len(by_path) == 1:
        return active[by_path[0]]
    by_name = [c for c in active.values() if c.name.lower() == ref.lower()]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise ResearchError(f"several codes are called {ref!r}; give the path, e.g. "
                            f"{all_paths[by_name[0].id or 0]!r}")
    raise ResearchError(f"round {rnd.number} has no code {ref!r}{did_you_mean(ref, all_paths, active)}")


def did_you_mean(ref: str, all_paths: dict[int, str], active: dict[int | None, ResearchCode]) -> str:
    """Suggest the nearest code names or paths to a reference that matched none ("" when none is close)."""
    import difflib

    wanted = ref.strip().lower()
    candidates: dict[str, str] = {}
    for cid, code in active.items():
        candidates.setdefault(code.name.lower(), all_paths.get(cid or 0, code.name))
        if cid in all_paths:
            candidates.setdefault(all_paths[cid].lower(), all_paths[cid])
    close = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.6)
    # a wrong last word of a path ("Identity in the hierarchy" for "Identity in the team"): match on words too
    close += [key for key in candidates if key not in close and len(wanted) >= 4 and (wanted in key or key in wanted)]
    shown = list(dict.fromkeys(candidates[key] for key in close))[:3]
    return f"; did you mean {' or '.join(repr(s) for s in shown)}?" if shown else ""


def check_name(name: str) -> str:
    """Return a code name tidied (spaces), or say what is wrong with it."""
    name = " ".join(name.split())
    if not name:
        raise ResearchError("a code needs a name")
    if "/" in name:
        raise ResearchError(f"{name!r}: a code name cannot contain '/', which separates levels in a path")
    if len(name) > 120:
        raise ResearchError(f"{name[:40]!r}…: a code name can have at most 120 characters")
    return name


def _check_colour(colour: str | None, position: int) -> str:
    """Return a colour as #RRGGBB: given so, or as a CSS colour name ("red", "teal"); the palette when none."""
    if not colour:
        return PALETTE[position % len(PALETTE)]
    colour = colour.strip()
    if _COLOUR.match(colour):
        return colour.upper()
    from matplotlib.colors import CSS4_COLORS  # the 148 CSS colour names; imported only when a name is given

    named = CSS4_COLORS.get(colour.lower().replace(" ", ""))
    if named is None:
        raise ResearchError(f"colour {colour!r}: give #RRGGBB (e.g. #4E79A7) or a CSS colour name (e.g. red, teal)")
    return str(named).upper()


def _sibling_clash(session: Session, rnd: CodingRound, parent_id: int | None, name: str,
                   skip: int | None = None) -> None:
    """Refuse a name a sibling already has (importers such as NVivo merge equal names)."""
    for c in codes(session, rnd):
        if c.parent_id == parent_id and c.name.lower() == name.lower() and c.id != skip:
            raise ResearchError(f"round {rnd.number} already has a code {c.name!r} there")


def add_code(session: Session, env: Env, rnd: CodingRound, data: CodeIn, *, parent: ResearchCode | None = None,
             actor: str) -> ResearchCode:
    """Add a code (and its children) to a round's codebook."""
    assert rnd.id is not None
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    name = check_name(data.name)
    parent_id = parent.id if parent else None
    _sibling_clash(session, rnd, parent_id, name)
    position = len(coding_repo.codes_of_round(session=session, round_id=rnd.id, retired=True))
    code: ResearchCode = research_repo.add(session=session, row=ResearchCode(
        study_id=rnd.study_id, round_id=rnd.id, lineage=data.key or str(uuid.uuid4()).upper(), parent_id=parent_id,
        name=name, definition=data.definition.strip(), inclusion=data.inclusion.strip(),
        exclusion=data.exclusion.strip(), example=data.example.strip(), colour=_check_colour(data.colour, position),
        position=position))
    assert code.id is not None
    _event(session, env, rnd, actor, "create", [code.id], name=name, parent=parent.name if parent else None)
    for child in data.children:
        add_code(session, env, rnd, child, parent=code, actor=actor)
    return code


def edit_code(session: Session, env: Env, rnd: CodingRound, code: ResearchCode, *, actor: str,
              **changes: str | None) -> ResearchCode:
    """Change a code's name, definition, criteria, example or colour (None leaves a field as it is)."""
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    assert code.id is not None
    before: dict[str, str] = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key == "name":
            value = check_name(value)
            _sibling_clash(session, rnd, code.parent_id, value, skip=code.id)
        elif key == "colour":
            value = _check_colour(value, code.position)
        elif key not in FIELDS:
            raise ResearchError(f"a code has no field {key!r}")
        before[key] = getattr(code, key)
        setattr(code, key, value.strip())
    session.add(code)
    if before:
        action = "rename" if set(before) == {"name"} else "edit"
        _event(session, env, rnd, actor, action, [code.id], before=before,
               after={k: getattr(code, k) for k in before})
    return code


def move_code(session: Session, env: Env, rnd: CodingRound, code: ResearchCode, parent: ResearchCode | None, *,
              actor: str) -> ResearchCode:
    """Put a code under another code (``None``: at the top, as a theme); its children move with it."""
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    assert code.id is not None
    by_id = {c.id: c for c in codes(session, rnd)}
    above: ResearchCode | None = parent
    while above is not None:
        if above.id == code.id:
            raise ResearchError(f"{code.name!r} cannot go under itself or under one of its own sub-codes")
        above = by_id.get(above.parent_id) if above.parent_id is not None else None
    parent_id = parent.id if parent else None
    if parent_id == code.parent_id:
        return code
    _sibling_clash(session, rnd, parent_id, code.name, skip=code.id)
    before = by_id[code.parent_id].name if code.parent_id in by_id else None
    code.parent_id = parent_id
    session.add(code)
    _event(session, env, rnd, actor, "move", [code.id], code=code.name, before=before,
           parent=parent.name if parent else None)
    return code


def merge_codes(session: Session, env: Env, rnd: CodingRound, keep: ResearchCode, others: Sequence[ResearchCode],
                *, name: str | None = None, actor: str) -> ResearchCode:
    """Merge ``others`` into ``keep`` (optionally renamed): their codings move to it, they are retired."""
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    assert keep.id is not None
    now = env.clock.now()
    for other in others:
        assert other.id is not None
        if other.id == keep.id:
            raise ResearchError("a code cannot be merged into itself")
        for child in codes(session, rnd):
            if child.parent_id == other.id:
                child.parent_id = keep.id
                session.add(child)
        coding_repo.move_codings(session=session, from_code=other.id, to_code=keep.id)
        keep.derived_from = sorted({*keep.derived_from, *other.derived_from})
        other.retired_at = now
        session.add(other)
    session.add(keep)
    if name:
        edit_code(session, env, rnd, keep, name=name, actor=actor)
    _event(session, env, rnd, actor, "merge", [keep.id, *(o.id or 0 for o in others)], into=keep.name,
           merged=[o.name for o in others])
    from bot.research.coding import dedupe_codings  # late import: coding builds on the codebook

    dedupe_codings(session, keep)
    return keep


def split_code(session: Session, env: Env, rnd: CodingRound, code: ResearchCode, into: Sequence[str], *,
               actor: str) -> list[ResearchCode]:
    """Split a code into new codes (same place in the tree, same definition to start from); it is retired."""
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its codebook is frozen")
    assert code.id is not None
    if len(into) < 2:
        raise ResearchError("a split needs at least two new names")
    if coding_repo.count_codings_of_code(session=session, code_id=code.id):
        raise ResearchError(f"{code.name!r} already has codings in round {rnd.number}; split it after closing "
                            "the round, so each coding keeps the code it was made with")
    parent = session.get(ResearchCode, code.parent_id) if code.parent_id else None
    code.retired_at = env.clock.now()
    session.add(code)
    made = [add_code(session, env, rnd, CodeIn(name=n, definition=code.definition, inclusion=code.inclusion,
                                               exclusion=code.exclusion, example=code.example), parent=parent,
                     actor=actor) for n in into]
    for m in made:
        m.derived_from = list(code.derived_from)
        session.add(m)
    for child in codes(session, rnd):
        if child.parent_id == code.id:
            child.parent_id = made[0].id
            session.add(child)
    _event(session, env, rnd, actor, "split", [code.id, *(m.id or 0 for m in made)], code=code.name,
           into=[m.name for m in made])
    return made


def history(session: Session, study: Study) -> list[dict[str, Any]]:
    """Return the codebook's history as rows for people and scripts."""
    assert study.id is not None
    numbers = {r.id: r.number for r in coding_repo.rounds_of(session=session, study_id=study.id)}
    return [{"round": numbers.get(e.round_id), "at": e.at.isoformat(timespec="seconds"), "by": e.actor,
             "action": e.action, "codes": e.code_ids, **e.detail}
            for e in coding_repo.code_history(session=session, study_id=study.id)
            if e.action != "checkpoint"]  # undo's bookkeeping (bot.research.codebook_undo)


