"""One entry for every change to the open round's codebook, for the CLI and the web workbench alike.

``change`` finds the codes named (id, path or name), runs the operation inside ``codebook_undo.undoable`` (so
``undo_last`` can take it back) and returns what was done; the history row is written by the operation itself
(``bot.research.codebook``). ``balint research codebook add|edit|rename|merge|split|move|delete|undo`` and the
workbench's Codebook page both call these two functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook
from bot.research.codebook_undo import delete_code, undo, undoable
from bot.research.errors import ResearchError
from storage.models import Study
from storage.research_models import CodingRound

OPERATIONS = ("add", "edit", "merge", "split", "move", "delete")


def _open(session: Session, study: Study) -> CodingRound:
    assert study.id is not None
    rnd = codebook.open_round(session, study.id)
    if rnd is None:
        raise ResearchError(f"{study.name} has no open round: codebook seed or import opens round 1")
    return rnd


def _refs(kw: dict[str, Any], *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        value = kw.get(name)
        out += [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)] if value else []
    return out


def change(session: Session, env: Env, study: Study, op: str, *, actor: str, **kw: Any) -> dict[str, Any]:
    """Change the open round's codebook; return ``{study, round, action, codes}`` (the names involved).

    ``op`` and its fields: ``add`` (name, parent, definition, inclusion, exclusion, example, colour), ``edit``
    (code, and any of name, definition, inclusion, exclusion, example, colour; reported as ``rename`` when only
    the name changed), ``merge`` (keep, others, name), ``split`` (code, into), ``move`` (code, parent: None for
    the top level), ``delete`` (code, move_to).
    """
    if op not in OPERATIONS:
        raise ResearchError(f"no codebook operation {op!r} (one of: {', '.join(OPERATIONS)})")
    rnd = _open(session, study)
    touching: list[int] = []
    if op in ("merge", "delete"):
        touching = [codebook.find_code(session, rnd, ref).id or 0 for ref in _refs(kw, "keep", "others", "move_to",
                                                                                       "code")]
    with undoable(session, env, rnd, actor=actor, what=op, touching=touching):
        names = _apply(session, env, rnd, op, actor, kw)
    if op == "edit" and len(names) == 2:
        op = "rename"
    return {"study": study.name, "round": rnd.number, "action": op, "codes": names}


def _apply(session: Session, env: Env, rnd: CodingRound, op: str, who: str, kw: dict[str, Any]) -> list[str]:
    find = codebook.find_code
    if op == "delete":
        code = find(session, rnd, str(kw["code"]))
        target = find(session, rnd, str(kw["move_to"])) if kw.get("move_to") else None
        delete_code(session, env, rnd, code, move_to=target, actor=who)
        return [code.name, *([target.name] if target else [])]
    if op == "add":
        parent = find(session, rnd, str(kw["parent"])) if kw.get("parent") else None
        made = codebook.add_code(session, env, rnd, codebook.CodeIn(
            name=str(kw.get("name") or ""), definition=kw.get("definition") or "",
            inclusion=kw.get("inclusion") or "", exclusion=kw.get("exclusion") or "",
            example=kw.get("example") or "", colour=kw.get("colour")), parent=parent, actor=who)
        return [made.name]
    if op == "edit":
        changes = {k: v for k, v in kw.items() if k != "code"}
        code = find(session, rnd, str(kw["code"]))
        before = code.name
        codebook.edit_code(session, env, rnd, code, actor=who, **changes)
        return [code.name] if code.name == before else [before, code.name]
    if op == "merge":
        keep = find(session, rnd, str(kw["keep"]))
        others = [find(session, rnd, o) for o in _refs(kw, "others")]
        if not others:
            raise ResearchError("name the code(s) to merge into it")
        merged = [o.name for o in others]
        codebook.merge_codes(session, env, rnd, keep, others, name=kw.get("name") or None, actor=who)
        return [keep.name, *merged]
    if op == "move":
        code = find(session, rnd, str(kw["code"]))
        parent = find(session, rnd, str(kw["parent"])) if kw.get("parent") else None
        codebook.move_code(session, env, rnd, code, parent, actor=who)
        return [code.name, *([parent.name] if parent else [])]
    code = find(session, rnd, str(kw["code"]))
    into: Sequence[str] = kw.get("into") or []
    return [code.name, *(m.name for m in codebook.split_code(session, env, rnd, code, into, actor=who))]


def undo_last(session: Session, env: Env, study: Study, *, actor: str) -> dict[str, Any]:
    """Take back the last change to the open round's codebook; return ``{study, round, undid}``."""
    rnd = _open(session, study)
    return {"study": study.name, "round": rnd.number, "undid": undo(session, env, study, rnd, actor=actor)}
