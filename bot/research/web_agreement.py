"""The workbench's Agreement page: agreement per code and overall for every round, the open disagreements side
by side (each coder's passages highlighted in the item's text, in the code's colour), and settling one with a note.

The figures are ``compute_agreement`` over the same input as ``balint research agreement`` (finished assignments
on queued items, and their codings). Reading that input is most of the work with thousands of items, so the
transport keeps it between requests (``cache``, read ahead at start-up by ``warm``): when only more assignments
have been finished since, just those are read (and when their count does not add up, everything is); anything
else that could change it (an assignment, a codebook change, an item leaving, coming back or changing) reads it
afresh. The figures themselves are kept under the round's whole fingerprint.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, compare
from bot.research.agreement import Coding, compute_agreement, report_to_rows
from bot.research.errors import ResearchError
from bot.research.web_views import Ctx, _item, _placeholders, pieces, viewed
from storage import coding_repo, research_repo, web_repo
from storage.research_models import CodingRound

DISAGREEMENTS_SHOWN = 25
CACHE_LIMIT = 64
GREY = "#888888"  # a code no longer in the codebook
_READING = threading.Lock()  # pages run in a thread pool: one brings a kept input up to date at a time


@dataclass
class RoundInput:
    """A round's agreement input as read from the database, kept so that later reads can add to it."""

    base: tuple[Any, ...]  # the fingerprint's part that only a full read catches up with
    done: tuple[Any, ...]  # (finished assignments, last finish) when read
    assigned: dict[int, int] = field(default_factory=dict)  # item -> coders assigned, of items with a finished one
    finished: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # assignment -> item, coder, length
    codings: dict[int, list[Coding]] = field(default_factory=dict)  # finished assignment -> its codings
    code_ids: dict[int, list[int]] = field(default_factory=dict)  # finished assignment -> its codings' code ids
    # every Coding made, by its fields: a full read takes most over from the input it replaces (a frozen
    # dataclass costs 3 µs to make, most of a full read of 17,000 codings)
    made: dict[tuple[Any, ...], Coding] = field(default_factory=dict)

    def item_codes(self) -> dict[int, set[int]]:
        """Return item -> the codes any coder who finished it applied (what the theme report counts)."""
        applied: dict[int, set[int]] = {}
        with _READING:  # another page may be adding to it
            for aid, (item, _label, _length) in self.finished.items():
                applied.setdefault(int(item), set()).update(self.code_ids.get(aid, ()))
        return applied


def _add(session: Session, rnd: CodingRound, into: RoundInput, since: Any = None) -> None:
    """Read a round's finished assignments (those finished after ``since``) and their codings into ``into``.

    Two coders finishing within the same instant as ``since`` are caught by ``round_input``'s count check."""
    assert rnd.id is not None
    names = codebook.paths(session, rnd)
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=rnd.study_id)}
    new: set[int] = set()
    for aid, item, coder, length in web_repo.finished_assignment_rows(session=session, round_id=rnd.id,
                                                                       done_since=since):
        if aid not in into.finished:
            into.finished[aid] = (str(item), labels.get(coder, "?"), length or 0)
            new.add(aid)
    if since is None:
        into.assigned = web_repo.coders_assigned(session=session, round_id=rnd.id)
    else:  # assignments made since a full read change the fingerprint's base: only these items are new here
        items = sorted({int(into.finished[aid][0]) for aid in new} - into.assigned.keys())
        if items:
            into.assigned.update(web_repo.coders_assigned(session=session, round_id=rnd.id, item_ids=items))
    made = into.made
    for aid, code, start, end in web_repo.finished_coding_rows(session=session, round_id=rnd.id, done_since=since):
        if aid in new:
            item_key, label, _length = into.finished[aid]
            key = (item_key, label, names.get(code, "?"), start, end)
            coding = made.get(key)
            if coding is None:
                coding = made[key] = Coding(*key)
            into.codings.setdefault(aid, []).append(coding)
            into.code_ids.setdefault(aid, []).append(code)


def round_input(session: Session, rnd: CodingRound, fingerprint: tuple[Any, ...],
                cache: dict[Any, Any] | None) -> RoundInput:
    """Return the round's agreement input, from ``cache`` brought up to date when it can be."""
    with _READING:
        return _round_input(session, rnd, fingerprint, cache)


def _round_input(session: Session, rnd: CodingRound, fingerprint: tuple[Any, ...],
                 cache: dict[Any, Any] | None) -> RoundInput:
    base, done = fingerprint[:4], fingerprint[4:6]
    kept = cache.get(("input", rnd.id)) if cache is not None else None
    if isinstance(kept, RoundInput) and kept.base == base and kept.done[1] is not None and done[1] is not None \
            and done[0] >= kept.done[0]:
        if kept.done != done:
            _add(session, rnd, kept, since=kept.done[1])
            kept.done = done
        if len(kept.finished) == done[0]:
            return kept
    fresh = RoundInput(base=base, done=done)
    if isinstance(kept, RoundInput) and len(kept.made) <= 2 * sum(map(len, kept.codings.values())) + 1_000:
        fresh.made = kept.made  # unless mostly stale (codings deleted, codes renamed)
    _add(session, rnd, fresh)
    if cache is not None:
        cache[("input", rnd.id)] = fresh
    return fresh


def _round_figures(session: Session, rnd: CodingRound, data: RoundInput) -> dict[str, Any]:
    """Agreement of one round and its unsettled disagreements (item ids with each coder's codes)."""
    assert rnd.id is not None
    reviewed: dict[str, list[str]] = defaultdict(list)
    lengths: dict[str, int] = {}
    codings: list[Coding] = []
    for aid in sorted(data.finished):
        item, label, length = data.finished[aid]
        reviewed[item].append(label)
        lengths[item] = length
        codings += data.codings.get(aid, ())
    names = codebook.paths(session, rnd)
    codes = [names[c.id] for c in codebook.codes(session, rnd) if c.id is not None]
    coders = sorted({label for labels in reviewed.values() for label in labels})
    items = [i for i in sorted(reviewed, key=int) if len(reviewed[i]) >= 2]
    report = compute_agreement(codings, items=items, coders=coders, codes=codes, item_lengths=lengths,
                               reviewed=reviewed)
    applied: dict[str, dict[str, set[str]]] = {i: {label: set() for label in reviewed[i]} for i in items}
    for c in codings:
        if c.item in applied:
            applied[c.item].setdefault(c.coder, set()).add(c.code)
    settled = web_repo.settled_items(session=session, round_id=rnd.id)
    waiting = [(int(i), by) for i, by in applied.items()
               if len(by) == data.assigned.get(int(i), 0) and int(i) not in settled
               and len({frozenset(v) for v in by.values()}) > 1]
    return {"number": rnd.number, "open": rnd.closed_at is None, "items": report.items,
            "coders": list(report.coders), "rows": report_to_rows(report), "waiting": sorted(waiting),
            "settled": len(settled),
            # what the theme report takes (``theme_report.Agreement``): no figures before an item is double coded
            "per_code": ({row.code: row for row in report.codes} if items else {}, coders)}


def _side_by_side(session: Session, item_id: int, by: dict[str, set[str]], mine: dict[str, list[Coding]],
                  colour: dict[str, str]) -> dict[str, Any]:
    """One disagreement as the page shows it: the item's text once per coder, their passages highlighted."""
    item = research_repo.get_item(session=session, item_id=item_id)
    columns = []
    for label in sorted(by):
        spans = [(c.start, c.end, c.code, colour.get(c.code, GREY)) for c in mine.get(label, [])
                 if c.start is not None and c.end is not None]
        columns.append({"coder": label, "codes": sorted(by[label]),
                        "whole": sorted({c.code for c in mine.get(label, []) if c.start is None}),
                        "legend": sorted({(c.code, colour.get(c.code, GREY)) for c in mine.get(label, [])}),
                        "pieces": pieces(item.text, _placeholders(item), spans) if item else []})
    return {"item": item_id, "week": item.week if item else None, "step": item.step if item else None,
            "agreed": sorted(set.intersection(*by.values())), "by_coder": {k: sorted(v) for k, v in sorted(by.items())},
            "columns": columns}


def _disagreements(session: Session, rnd: CodingRound, data: RoundInput,
                   waiting: list[tuple[int, dict[str, set[str]]]]) -> list[dict[str, Any]]:
    """The first disagreements of a round, side by side."""
    if not waiting:
        return []
    names = codebook.paths(session, rnd)
    colour = {names.get(c.id or 0, c.name): c.colour for c in codebook.codes(session, rnd)}
    shown = {str(item_id) for item_id, _by in waiting}
    codings: dict[str, dict[str, list[Coding]]] = defaultdict(lambda: defaultdict(list))
    for aid, (item, label, _length) in data.finished.items():
        if item in shown:
            codings[item][label] += data.codings.get(aid, ())
    return [_side_by_side(session, item_id, by, codings[str(item_id)], colour) for item_id, by in waiting]


def round_figures(session: Session, rnd: CodingRound, cache: dict[Any, Any] | None
                  ) -> tuple[RoundInput, tuple[Any, ...], dict[str, Any]]:
    """Return a round's agreement input, its fingerprint and its figures, from ``cache`` when they are kept."""
    fingerprint = web_repo.agreement_fingerprint(session=session, round_id=rnd.id or 0, study_id=rnd.study_id)
    key = (rnd.id, fingerprint)
    data = round_input(session, rnd, fingerprint, cache)
    figures = cache.get(key) if cache is not None else None
    if figures is None:
        figures = _round_figures(session, rnd, data)
        if cache is not None:
            cache[key] = figures
    return data, fingerprint, figures


def agreement(session: Session, env: Env, ctx: Ctx, cache: dict[Any, Any] | None = None) -> dict[str, Any]:
    """Return agreement per code and overall for every round (open first), and each round's open disagreements.

    ``cache`` (kept by the transport) holds each round's input and figures (see the module's docstring).
    """
    assert ctx.study.id is not None
    rounds = []
    if cache is not None and len(cache) > CACHE_LIMIT:
        cache.clear()
    for rnd in reversed(coding_repo.rounds_of(session=session, study_id=ctx.study.id)):
        data, _fingerprint, figures = round_figures(session, rnd, cache)
        shown = _disagreements(session, rnd, data, figures["waiting"][:DISAGREEMENTS_SHOWN])
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


def warm(session: Session, env: Env, cache: dict[Any, Any]) -> int:
    """Read every study's rounds into ``cache`` (at start-up), so the first Agreement page needs no full read;
    return how many rounds were read."""
    rounds = 0
    for study in research_repo.list_studies(session=session):
        assert study.id is not None
        for rnd in coding_repo.rounds_of(session=session, study_id=study.id):
            fingerprint = web_repo.agreement_fingerprint(session=session, round_id=rnd.id or 0, study_id=study.id)
            cache[(rnd.id, fingerprint)] = _round_figures(session, rnd, round_input(session, rnd, fingerprint, cache))
            rounds += 1
    return rounds
