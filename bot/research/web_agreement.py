"""The workbench's Agreement page: agreement per code and overall for every round, the open disagreements side
by side (each coder's passages highlighted in the item's text), and settling one with a note."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, compare
from bot.research.agreement import compute_agreement, report_to_rows
from bot.research.errors import ResearchError
from bot.research.web_views import Ctx, _item, viewed
from storage import coding_repo, research_repo, web_repo
from storage.research_models import CodingRound

DISAGREEMENTS_SHOWN = 25


def _round_figures(session: Session, rnd: CodingRound) -> dict[str, Any]:
    """Agreement of one round and its unsettled disagreements (item ids with each coder's codes)."""
    assert rnd.id is not None
    codings, lengths, reviewed, codes, coders = compare.round_agreement_input(session, rnd)
    items = [i for i in sorted(reviewed, key=int) if len(reviewed[i]) >= 2]
    report = compute_agreement(codings, items=items, coders=coders, codes=codes, item_lengths=lengths,
                               reviewed=reviewed)
    applied: dict[str, dict[str, set[str]]] = {i: {label: set() for label in reviewed[i]} for i in items}
    for c in codings:
        if c.item in applied:
            applied[c.item].setdefault(c.coder, set()).add(c.code)
    assigned = web_repo.assignment_counts(session=session, round_id=rnd.id)
    settled = web_repo.settled_items(session=session, round_id=rnd.id)
    waiting = [(int(i), by) for i, by in applied.items()
               if len(by) == assigned.get(int(i), 0) and int(i) not in settled
               and len({frozenset(v) for v in by.values()}) > 1]
    return {"number": rnd.number, "open": rnd.closed_at is None, "items": report.items,
            "coders": list(report.coders), "rows": report_to_rows(report), "waiting": sorted(waiting),
            "settled": len(settled)}


def agreement(session: Session, env: Env, ctx: Ctx, cache: dict[Any, Any] | None = None) -> dict[str, Any]:
    """Return agreement per code and overall for every round (open first), and each round's open disagreements.

    ``cache`` (kept by the transport) holds each round's figures under a fingerprint of what they depend on, so
    they are computed again only after a coder finishes, a settlement, a withdrawal or a text change.
    """
    assert ctx.study.id is not None
    rounds = []
    for rnd in reversed(coding_repo.rounds_of(session=session, study_id=ctx.study.id)):
        key = (rnd.id, web_repo.agreement_fingerprint(session=session, round_id=rnd.id or 0, study_id=ctx.study.id))
        figures = cache.get(key) if cache is not None else None
        if figures is None:
            figures = _round_figures(session, rnd)
            if cache is not None:
                if len(cache) > 64:
                    cache.clear()
                cache[key] = figures
        shown = []
        for item_id, by in figures["waiting"][:DISAGREEMENTS_SHOWN]:
            item = research_repo.get_item(session=session, item_id=item_id)
            shown.append({"item": item_id, "week": item.week if item else None, "step": item.step if item else None,
                          "agreed": sorted(set.intersection(*by.values())),
                          "by_coder": {label: sorted(v) for label, v in sorted(by.items())}})
        rounds.append({**figures, "disagreements": shown, "waiting": len(figures["waiting"])})
    viewed(session, env, ctx, "agreement")
    return {"rounds": rounds}


def settle(session: Session, env: Env, ctx: Ctx, round_number: int, item_id: int, *, accept: str | None,
           note: str | None) -> None:
    """Settle a disagreement by accepting one coder's coding as the agreed one, with a note."""
    item = _item(session, ctx, item_id)
    rnd = codebook.round_by_number(session, ctx.study, round_number)
    assert ctx.study.id is not None
    coder = coding_repo.get_coder_by_label(session=session, study_id=ctx.study.id, label=accept or "")
    if coder is None:
        raise ResearchError("Choose whose coding becomes the agreed one.")
    compare.settle(session, env, rnd, item, accept=coder, actor=ctx.actor, note=(note or "").strip() or None)
