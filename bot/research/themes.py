"""Themes: a name, a definition and the codes that make a theme up, kept per coding round with their history.

Themes follow the codebook's rounds. A round's themes can be edited while the round is open; closing the round
freezes them. The next round starts from a copy (same ``lineage``, ``derived_from`` pointing back), made the
first time that round's themes are asked for, with each link moved to the codes the carried codebook derived
from the old ones, so a merge or a split between rounds keeps its theme. Every change is a history row.
Exemplars (a coding marked as a quote for the report) are here too.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, codebook_files
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo, theme_repo
from storage.models import Study
from storage.research_models import Coder, CodingItem, CodingRound, ResearchCode, ResearchCoding
from storage.theme_models import Exemplar, Theme, ThemeCode, ThemeEvent


@dataclass
class ThemeIn:
    """A theme as written in the seed file: its example codes go under the top-level code of the same name."""

    name: str
    definition: str = ""
    colour: str | None = None
    codes: list[codebook.CodeIn] = field(default_factory=list)


def _event(session: Session, env: Env, rnd: CodingRound, actor: str, action: str, theme_ids: list[int],
           **detail: Any) -> None:
    assert rnd.id is not None
    session.add(ThemeEvent(study_id=rnd.study_id, round_id=rnd.id, at=env.clock.now(), actor=actor, action=action,
                           theme_ids=theme_ids, detail=detail))


def _check_open(rnd: CodingRound) -> None:
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its themes are frozen")


# --------------------------------------------------------------------------------------------- reading


def themes(session: Session, env: Env, rnd: CodingRound, *, actor: str = "system") -> list[Theme]:
    """Return a round's themes in order, carrying the previous round's over the first time they are asked for."""
    assert rnd.id is not None
    _carry(session, env, rnd, actor)
    return list(theme_repo.themes_of_round(session=session, round_id=rnd.id))


def codes_of(session: Session, theme: Theme) -> list[ResearchCode]:
    """Return a theme's codes (still in the codebook), in the order they were linked."""
    assert theme.id is not None
    found = [session.get(ResearchCode, cid) for cid in theme_repo.code_ids_of_theme(session=session,
                                                                                     theme_id=theme.id)]
    return [c for c in found if c is not None and c.retired_at is None]


def find_theme(session: Session, env: Env, rnd: CodingRound, ref: str) -> Theme:
    """Find a theme of the round by id or name; say clearly when it is missing."""
    ref = " ".join(ref.split())
    mine = themes(session, env, rnd)
    for t in mine:
        if (ref.isdigit() and t.id == int(ref)) or t.name.lower() == ref.lower():
            return t
    known = ", ".join(repr(t.name) for t in mine) or "none yet"
    raise ResearchError(f"round {rnd.number} has no theme {ref!r} (themes: {known})")


def history(session: Session, study: Study) -> list[dict[str, Any]]:
    """Return the themes' history as rows for people and scripts."""
    assert study.id is not None
    numbers = {r.id: r.number for r in coding_repo.rounds_of(session=session, study_id=study.id)}
    return [{"round": numbers.get(e.round_id), "at": e.at.isoformat(timespec="seconds"), "by": e.actor,
             "action": e.action, "themes": e.theme_ids, **e.detail}
            for e in theme_repo.history(session=session, study_id=study.id)]


# --------------------------------------------------------------------------------------------- changes


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ResearchError("a theme needs a name")
    if len(name) > 120:
        raise ResearchError(f"{name[:40]!r}…: a theme name can have at most 120 characters")
    return name


def add_theme(session: Session, env: Env, rnd: CodingRound, name: str, *, definition: str = "",
              colour: str | None = None, actor: str) -> Theme:
    """Add a theme to an open round."""
    _check_open(rnd)
    assert rnd.id is not None
    name = _check_name(name)
    existing = themes(session, env, rnd, actor=actor)
    if any(t.name.lower() == name.lower() for t in existing):
        raise ResearchError(f"round {rnd.number} already has a theme {name!r}")
    position = len(theme_repo.themes_of_round(session=session, round_id=rnd.id, retired=True))
    colour = colour or codebook.PALETTE[position % len(codebook.PALETTE)]
    if not codebook._COLOUR.match(colour):
        raise ResearchError(f"colour {colour!r} must look like #4E79A7")
    theme: Theme = research_repo.add(session=session, row=Theme(
        study_id=rnd.study_id, round_id=rnd.id, lineage=str(uuid.uuid4()).upper(), name=name,
        definition=definition.strip(), colour=colour.upper(), position=position))
    assert theme.id is not None
    _event(session, env, rnd, actor, "create", [theme.id], name=name)
    return theme


def edit_theme(session: Session, env: Env, rnd: CodingRound, theme: Theme, *, name: str | None = None,
               definition: str | None = None, actor: str) -> Theme:
    """Rename a theme or change its definition (the history keeps the old ones)."""
    _check_open(rnd)
    assert theme.id is not None
    before: dict[str, str] = {}
    if name is not None:
        name = _check_name(name)
        if any(t.name.lower() == name.lower() and t.id != theme.id for t in themes(session, env, rnd)):
            raise ResearchError(f"round {rnd.number} already has a theme {name!r}")
        before["name"], theme.name = theme.name, name
    if definition is not None:
        before["definition"], theme.definition = theme.definition, definition.strip()
    session.add(theme)
    if before:
        _event(session, env, rnd, actor, "rename" if set(before) == {"name"} else "edit", [theme.id],
               before=before, after={k: getattr(theme, k) for k in before})
    return theme


def link(session: Session, env: Env, rnd: CodingRound, theme: Theme, codes: Sequence[ResearchCode], *,
         actor: str) -> list[str]:
    """Make codes part of a theme; return the names newly linked."""
    _check_open(rnd)
    assert theme.id is not None
    added = []
    for code in codes:
        assert code.id is not None
        if code.round_id != rnd.id:
            raise ResearchError(f"{code.name!r} is not a code of round {rnd.number}")
        if theme_repo.get_link(session=session, theme_id=theme.id, code_id=code.id) is None:
            session.add(ThemeCode(theme_id=theme.id, code_id=code.id))
            added.append(code.name)
    if added:
        session.flush()
        _event(session, env, rnd, actor, "link", [theme.id], theme=theme.name, codes=added)
    return added


def unlink(session: Session, env: Env, rnd: CodingRound, theme: Theme, codes: Sequence[ResearchCode], *,
           actor: str) -> list[str]:
    """Take codes out of a theme (the codes stay in the codebook); return the names taken out."""
    _check_open(rnd)
    assert theme.id is not None
    removed = []
    for code in codes:
        row = theme_repo.get_link(session=session, theme_id=theme.id, code_id=code.id or 0)
        if row is not None:
            session.delete(row)
            removed.append(code.name)
    if not removed:
        raise ResearchError(f"none of those codes is part of the theme {theme.name!r}")
    _event(session, env, rnd, actor, "unlink", [theme.id], theme=theme.name, codes=removed)
    return removed


def remove_theme(session: Session, env: Env, rnd: CodingRound, theme: Theme, *, actor: str) -> None:
    """Remove a theme from an open round (earlier rounds keep theirs; the history keeps it)."""
    _check_open(rnd)
    assert theme.id is not None
    theme.retired_at = env.clock.now()
    session.add(theme)
    _event(session, env, rnd, actor, "remove", [theme.id], theme=theme.name)


def _carry(session: Session, env: Env, rnd: CodingRound, actor: str) -> None:
    """Copy the previous round's themes into this round, once, mapping each code to what it became."""
    assert rnd.id is not None
    if rnd.number <= 1 or theme_repo.themes_of_round(session=session, round_id=rnd.id, retired=True):
        return
    if theme_repo.events_of_round(session=session, round_id=rnd.id, action="carry"):
        return  # carried already, and every theme was removed since
    prev = coding_repo.get_round(session=session, study_id=rnd.study_id, number=rnd.number - 1)
    if prev is None or prev.id is None:
        return
    old = theme_repo.themes_of_round(session=session, round_id=prev.id)
    if not old:
        return
    became: dict[int, list[int]] = {}
    for code in coding_repo.codes_of_round(session=session, round_id=rnd.id):
        for source in code.derived_from:
            became.setdefault(source, []).append(code.id or 0)
    made = []
    for theme in old:
        assert theme.id is not None
        copy: Theme = research_repo.add(session=session, row=Theme(
            study_id=rnd.study_id, round_id=rnd.id, lineage=theme.lineage, name=theme.name,
            definition=theme.definition, colour=theme.colour, position=theme.position, derived_from=[theme.id]))
        assert copy.id is not None
        linked: set[int] = set()
        for cid in theme_repo.code_ids_of_theme(session=session, theme_id=theme.id):
            for new_id in became.get(cid, []):
                if new_id not in linked:
                    linked.add(new_id)
                    session.add(ThemeCode(theme_id=copy.id, code_id=new_id))
        made.append(copy.id)
    session.flush()
    _event(session, env, rnd, actor, "carry", made, from_round=prev.number, carried=len(made))


# ------------------------------------------------------------------------------------------------ seed

def read_seed(path: Path = codebook_files.SEED) -> list[ThemeIn]:
    """Read the seed study's themes and their example codes (``[[themes]]`` of the seed codebook file)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data.get("themes", []):
        if not isinstance(entry.get("name"), str):
            raise ResearchError(f"{path.name}: every theme needs a name")
        out.append(ThemeIn(name=entry["name"], definition=str(entry.get("definition", "")),
                           colour=entry.get("colour"),
                           codes=[codebook.CodeIn(name=c["name"], definition=str(c.get("definition", "")),
                                                  example=str(c.get("example", "")))
                                  for c in entry.get("codes", [])]))
    return out


def seed(session: Session, env: Env, study: Study, *, actor: str) -> tuple[CodingRound, int, int]:
    """Load the seed themes into the open round (seeding the codebook first); return (round, themes, codes) added.

    Each theme is made of the top-level code of the same name and its example codes, added under it when missing.
    Loading again changes nothing.
    """
    codebook_files.load(session, env, study, codebook_files.read_seed(), actor=actor, source="seed")
    rnd = codebook.ensure_round(session, env, study)
    added_themes = added_codes = 0
    for spec in read_seed():
        existing = [t for t in themes(session, env, rnd, actor=actor) if t.name.lower() == spec.name.lower()]
        if existing:
            theme = existing[0]
        else:
            theme = add_theme(session, env, rnd, spec.name, definition=spec.definition, colour=spec.colour,
                              actor=actor)
            added_themes += 1
        top = [c for c in codebook.codes(session, rnd) if c.parent_id is None and c.name.lower() == spec.name.lower()]
        members = list(top)
        for code_in in spec.codes:
            parent = top[0] if top else None
            parent_id = parent.id if parent else None
            found = [c for c in codebook.codes(session, rnd)
                     if c.parent_id == parent_id and c.name.lower() == code_in.name.lower()]
            if not found:
                found = [codebook.add_code(session, env, rnd, code_in, parent=parent, actor=actor)]
                added_codes += 1
            members.append(found[0])
        link(session, env, rnd, theme, members, actor=actor)
    repo.audit(session=session, actor=actor, action="research.themes_seed", study_id=study.id, at=env.clock.now(),
               round=rnd.number, themes=added_themes, codes=added_codes)
    return rnd, added_themes, added_codes


# ------------------------------------------------------------------------------------------- exemplars


def quote_of(item: CodingItem, coding: ResearchCoding) -> str:
    """Return the words a coding covers (the whole item for a whole-item coding), already redacted."""
    if coding.start is None or coding.end is None:
        return item.text
    return item.text[coding.start:coding.end]


def mark_exemplar(session: Session, env: Env, coding: ResearchCoding, coder: Coder, *, note: str | None = None,
                  actor: str) -> Exemplar:
    """Mark a coding as an exemplar quote (marking it again keeps the first mark)."""
    assert coding.id is not None
    existing = theme_repo.exemplar_of(session=session, coding_id=coding.id)
    if existing is not None:
        return existing
    row: Exemplar = research_repo.add(session=session, row=Exemplar(
        coding_id=coding.id, coder_id=coder.id or 0, note=(note or "").strip() or None, marked_at=env.clock.now()))
    repo.audit(session=session, actor=actor, action="research.exemplar", study_id=coder.study_id,
               at=env.clock.now(), coding=coding.id)
    return row


def unmark_exemplar(session: Session, env: Env, coding: ResearchCoding, *, actor: str) -> bool:
    """Take the exemplar mark off a coding; say whether it had one."""
    existing = theme_repo.exemplar_of(session=session, coding_id=coding.id or 0)
    if existing is None:
        return False
    session.delete(existing)
    return True
