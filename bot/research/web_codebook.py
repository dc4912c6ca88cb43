"""The workbench's Codebook page: the tree with its history, and every change the CLI can make to it.

Changes go through ``bot.research.codebook_change`` (the same function as ``balint research codebook …``), so
they keep the same history and can be undone the same way; each is also audited as ``web.codebook``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, codebook_change
from bot.research.errors import ResearchError
from bot.research.web_views import Ctx, viewed, who
from storage import coding_repo, repo

TEXT_FIELDS = ("name", "definition", "inclusion", "exclusion", "example")


def _what(h: dict[str, Any]) -> str:
    """Say in a few words what a history row changed."""
    action = h["action"]
    if action == "create":
        return f"added {h.get('name')}" + (f" under {h['parent']}" if h.get("parent") else "")
    if action == "rename":
        return f"renamed {h['before'].get('name')} to {h['after'].get('name')}"
    if action == "edit":
        name = h["after"].get("name") or h["before"].get("name") or ""
        return f"changed {', '.join(sorted(h['before']))}" + (f" of {name}" if name else "")
    if action == "merge":
        return f"merged {', '.join(h.get('merged', []))} into {h.get('into')}"
    if action == "split":
        return f"split {h.get('code')} into {', '.join(h.get('into', []))}"
    if action == "move":
        return f"moved {h.get('code')} " + (f"under {h['parent']}" if h.get("parent") else "to the top level")
    if action == "delete":
        return f"deleted {h.get('code')}" + (f" (codings moved to {h['moved_to']})" if h.get("moved_to") else "")
    if action == "undo":
        return f"undid the last change ({h.get('undid')})"
    if action == "carry":
        return f"carried {h.get('carried')} code(s) over from round {h.get('from_round')}"
    return str(action)


def codebook_page(session: Session, env: Env, ctx: Ctx) -> dict[str, Any]:
    """Return the open (or latest) round's codebook as a tree, with definitions, and its history."""
    rnd = codebook.round_by_number(session, ctx.study, None)
    book = codebook.codes(session, rnd)
    by_id = {c.id: c for c in book if c.id is not None}
    names = codebook.paths(session, rnd)
    codes = [{"id": c.id, "name": c.name, "path": names.get(c.id or 0, c.name), "depth": codebook.depth(c, by_id),
              "parent": c.parent_id, "colour": c.colour, "definition": c.definition, "inclusion": c.inclusion,
              "exclusion": c.exclusion, "example": c.example} for c in book]
    assert ctx.study.id is not None
    labels = {c.telegram_id: c.label for c in coding_repo.coders_of(session=session, study_id=ctx.study.id)}
    history = [{"round": h["round"], "at": h["at"], "by": who(str(h["by"]), labels), "action": h["action"],
                "what": _what(h)} for h in codebook.history(session, ctx.study)[-50:]]
    viewed(session, env, ctx, "codebook", round=rnd.number)
    return {"round": rnd.number, "open": rnd.closed_at is None, "codes": codes, "history": history}


def _kw(session: Session, ctx: Ctx, op: str, form: dict[str, str]) -> dict[str, Any]:
    """Turn a Codebook page form into the fields of ``codebook_change.change``."""
    f = {k: v.strip() for k, v in form.items()}
    if op == "add":
        return {k: f.get(k) or None for k in (*TEXT_FIELDS, "colour", "parent")}
    if op == "edit":
        assert ctx.study.id is not None
        rnd = codebook.open_round(session, ctx.study.id)
        code = codebook.find_code(session, rnd, f.get("code", "")) if rnd else None
        if code is None:
            raise ResearchError("That code is not in the codebook of the open round.")
        changed: dict[str, Any] = {k: f[k] for k in TEXT_FIELDS if k in f and f[k] != getattr(code, k)}
        if f.get("colour") and f["colour"].upper() != code.colour.upper():
            changed["colour"] = f["colour"]
        if not changed:
            raise ResearchError(f"Nothing was changed in {code.name!r}.")
        return {"code": str(code.id), **changed}
    if op == "merge":
        return {"keep": f.get("into"), "others": [f.get("code", "")]}
    if op == "split":
        into = [n.strip() for n in f.get("into", "").replace(",", "\n").splitlines() if n.strip()]
        return {"code": f.get("code"), "into": into}
    if op == "move":
        return {"code": f.get("code"), "parent": f.get("parent") or None}
    if op == "delete":
        return {"code": f.get("code"), "move_to": f.get("move_to") or None}
    raise ResearchError("That is not a change the codebook page knows.")


def change(session: Session, env: Env, ctx: Ctx, op: str, form: dict[str, str]) -> dict[str, Any]:
    """Make one change to the open round's codebook, as ``balint research codebook OP`` would; audited."""
    done = codebook_change.change(session, env, ctx.study, op, actor=ctx.actor, **_kw(session, ctx, op, form))
    repo.audit(session=session, actor=ctx.actor, action="web.codebook", study_id=ctx.study.id, at=env.clock.now(),
               op=done["action"], codes=done["codes"], round=done["round"])
    return done


def undo(session: Session, env: Env, ctx: Ctx) -> dict[str, Any]:
    """Take back the last change to the open round's codebook, as ``balint research codebook undo``."""
    done = codebook_change.undo_last(session, env, ctx.study, actor=ctx.actor)
    repo.audit(session=session, actor=ctx.actor, action="web.codebook", study_id=ctx.study.id, at=env.clock.now(),
               op="undo", undid=done["undid"], round=done["round"])
    return done
