"""Double coding: coders, assignment, blind coding, disagreements and their settlement.

* Every item of a round is coded by at least two coders, one of them marked independent: a coder flagged
  ``independent`` (outside the study team) when the study has one, otherwise the second coder of the item.
* Blind: while a coder works on an item they see only their own codes; the others' appear once every coder
  of the item is done. A finished assignment is frozen, so nobody changes their coding after seeing another's.
* Disagreements (coders finished, different codes applied) wait in a queue until settled into an agreed
  coding; each coder's original codings stay as they were (``bot.research.compare``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.core.context import Env
from bot.research import deidentify
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo
from storage.models import Study
from storage.research_models import (
    Assignment,
    Coder,
    CodingItem,
    CodingRound,
    Memo,
    ResearchCode,
    ResearchCoding,
)

PER_ITEM = 2

# ---------------------------------------------------------------------------------------------- coders


def ensure_coder(session: Session, env: Env, study: Study, telegram_id: int, *, label: str | None = None,
                 independent: bool | None = None) -> Coder:
    """Return the study's coder for this account, adding one (labelled C1, C2 … unless given) if new."""
    assert study.id is not None
    coder = coding_repo.get_coder(session=session, study_id=study.id, telegram_id=telegram_id)
    if label is not None:
        label = " ".join(label.split())
        if not label or len(label) > 40 or "/" in label:
            raise ResearchError("a coder label needs 1 to 40 characters and no '/'")
        other = coding_repo.get_coder_by_label(session=session, study_id=study.id, label=label)
        if other is not None and other.telegram_id != telegram_id:
            raise ResearchError(f"another coder of {study.name} is already called {label!r}")
    if coder is None:
        if label is None:
            n = len(coding_repo.coders_of(session=session, study_id=study.id)) + 1
            while coding_repo.get_coder_by_label(session=session, study_id=study.id, label=f"C{n}"):
                n += 1
            label = f"C{n}"
        coder = research_repo.add(session=session, row=Coder(study_id=study.id, telegram_id=telegram_id, label=label,
                                                             independent=bool(independent),
                                                             created_at=env.clock.now()))
        return coder
    if label is not None:
        coder.label = label
    if independent is not None:
        coder.independent = independent
    session.add(coder)
    return coder


# ------------------------------------------------------------------------------------------ assignment


@dataclass
class AssignResult:
    items: int = 0
    assignments: int = 0
    per_coder: dict[str, int] = field(default_factory=dict)
    waiting_review: int = 0
    coded_before: int = 0  # left out: coded in an earlier round (name them with ``items`` to code them again)


def assign(session: Session, env: Env, study: Study, rnd: CodingRound, *, coders: Sequence[Coder] | None = None,
           per_item: int = PER_ITEM, limit: int | None = None, reviewed_only: bool = True,
           items: Sequence[int] | None = None, actor: str) -> AssignResult:
    """Add queued items to the round, each with ``per_item`` coders, one independent, balancing the load.

    This is the only way an item joins a round: a round is the set of items assigned to it. Without ``items``,
    only items no earlier round assigned are taken (at most ``limit`` of them); ``items`` names them explicitly,
    e.g. to code an item again with the new codebook.
    """
    assert study.id is not None and rnd.id is not None
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed")
    if per_item < 2:
        raise ResearchError("each item needs at least two coders")
    if limit is not None and limit < 1:
        raise ResearchError("--limit needs a number of items, 1 or more")
    pool = list(coders if coders is not None else coding_repo.coders_of(session=session, study_id=study.id))
    if len(pool) < per_item:
        raise ResearchError(f"{study.name} has {len(pool)} coder(s); {per_item} are needed per item. Add researchers "
                            "with: balint role grant researcher --telegram-id N --study NAME")
    existing: dict[int, list[Assignment]] = defaultdict(list)
    load: dict[int, int] = dict.fromkeys((c.id or 0 for c in pool), 0)
    for a in coding_repo.round_assignments(session=session, round_id=rnd.id):
        existing[a.item_id].append(a)
        if a.coder_id in load:
            load[a.coder_id] += 1
    earlier = coding_repo.items_assigned_before(session=session, study_id=study.id, round_number=rnd.number)
    queued = list(research_repo.queued_items(session=session, study_id=study.id, reviewed_only=False))
    if items is not None:
        wanted = dict.fromkeys(items)
        by_id = {i.id: i for i in queued}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise ResearchError(f"item {missing[0]} is not in the queue of {study.name}")
        queued = [by_id[i] for i in wanted]
    has_independent = any(c.independent for c in pool)
    result = AssignResult()
    for item in queued:
        assert item.id is not None
        if reviewed_only and item.reviewed_at is None:
            result.waiting_review += 1
            continue
        have = existing.get(item.id, [])
        if len(have) >= per_item:
            continue
        if items is None and not have and item.id in earlier:
            result.coded_before += 1
            continue
        if limit is not None and result.items >= limit:
            break
        taken = {a.coder_id for a in have}
        independent_done = any(a.independent for a in have)
        picks: list[tuple[Coder, bool]] = []
        candidates = sorted((c for c in pool if c.id not in taken), key=lambda c: (load[c.id or 0], c.id or 0))
        if not independent_done and has_independent:
            first = next((c for c in candidates if c.independent), None)
            if first is not None:
                picks.append((first, True))
                candidates.remove(first)
                independent_done = True
        while len(have) + len(picks) < per_item and candidates:
            c = candidates.pop(0)
            last = len(have) + len(picks) == per_item - 1
            picks.append((c, not independent_done and last))
            independent_done = independent_done or last
        if len(have) + len(picks) < per_item:
            continue
        for coder, independent in picks:
            assert coder.id is not None
            session.add(Assignment(round_id=rnd.id, item_id=item.id, coder_id=coder.id, independent=independent,
                                   assigned_at=env.clock.now()))
            load[coder.id] += 1
            result.per_coder[coder.label] = result.per_coder.get(coder.label, 0) + 1
            result.assignments += 1
        result.items += 1
    session.flush()
    repo.audit(session=session, actor=actor, action="research.assign", study_id=study.id, at=env.clock.now(),
               round=rnd.number, items=result.items, assignments=result.assignments)
    return result


# ----------------------------------------------------------------------------------------------- coding


def my_codings(session: Session, assignment: Assignment) -> list[ResearchCoding]:
    """Return a coder's own codings on an assigned item."""
    assert assignment.id is not None
    return list(coding_repo.codings_of_assignment(session=session, assignment_id=assignment.id))


def check_open(assignment: Assignment) -> None:
    if assignment.done_at is not None:
        raise ResearchError("You've finished this item, so its codes are fixed (that keeps double coding blind).")


def toggle(session: Session, env: Env, assignment: Assignment, code: ResearchCode) -> bool:
    """Apply or remove a whole-item code; return whether it is now applied."""
    check_open(assignment)
    assert assignment.id is not None and code.id is not None
    for c in my_codings(session, assignment):
        if c.code_id == code.id and c.start is None:
            coding_repo.delete_row(session=session, row=c)
            return False
    session.add(ResearchCoding(assignment_id=assignment.id, code_id=code.id, created_at=env.clock.now()))
    return True


def add_segment(session: Session, env: Env, assignment: Assignment, item: CodingItem, code: ResearchCode,
                start: int, end: int) -> ResearchCoding:
    """Code the passage [start, end) of the item's redacted text."""
    check_open(assignment)
    assert assignment.id is not None and code.id is not None
    if not 0 <= start < end <= len(item.text):
        raise ResearchError(f"the passage {start}:{end} is outside the item (length {len(item.text)})")
    for c in my_codings(session, assignment):
        if c.code_id == code.id and c.start == start and c.end == end:
            return c
    coding = ResearchCoding(assignment_id=assignment.id, code_id=code.id, start=start, end=end,
                            created_at=env.clock.now())
    session.add(coding)
    session.flush()
    return coding


def finish(session: Session, env: Env, assignment: Assignment) -> None:
    """Mark an assignment done; its codes are fixed from now on."""
    assignment.done_at = env.clock.now()
    assignment.pending_start = assignment.pending_end = None
    session.add(assignment)


def put_aside(session: Session, env: Env, assignment: Assignment) -> None:
    """Put an unfinished item aside: it waits after the coder's other items until they come back to it."""
    check_open(assignment)
    assignment.skipped_at = env.clock.now()
    session.add(assignment)
    session.flush()


def everyone_done(session: Session, assignment: Assignment) -> bool:
    """Say whether every coder of this item in this round has finished (so codes may be compared)."""
    others = coding_repo.assignments_of_item(session=session, item_id=assignment.item_id,
                                               round_id=assignment.round_id)
    return len(others) >= 2 and all(a.done_at is not None for a in others)


def others_codes(session: Session, assignment: Assignment) -> dict[str, list[ResearchCoding]]:
    """Return the other coders' codings on the item — only once everyone is done (blind otherwise)."""
    if not everyone_done(session, assignment):
        return {}
    out: dict[str, list[ResearchCoding]] = {}
    for a in coding_repo.assignments_of_item(session=session, item_id=assignment.item_id,
                                               round_id=assignment.round_id):
        if a.id == assignment.id:
            continue
        coder = session.get(Coder, a.coder_id)
        out[coder.label if coder else "?"] = my_codings(session, a)
    return out


def add_memo(session: Session, env: Env, rnd: CodingRound, coder: Coder, text: str, *, item: CodingItem | None,
             code: ResearchCode | None) -> Memo:
    """Keep a coder's memo on an item and/or a code."""
    assert rnd.id is not None and coder.id is not None
    text = deidentify.normalise(text).strip()
    if not text:
        raise ResearchError("The memo is empty. Write it after the command, e.g. /memo She never mentions the team.")
    memo: Memo = research_repo.add(session=session, row=Memo(
        study_id=rnd.study_id, round_id=rnd.id, coder_id=coder.id, item_id=item.id if item else None,
        code_id=code.id if code else None, text=text, created_at=env.clock.now()))
    return memo


# -------------------------------------------------------------------------------- keeping codings valid


def carry_codings(session: Session, item: CodingItem, remap: deidentify.Remap) -> None:
    """Move every coded passage of an item to its new text (after an edit or a review mark)."""
    assert item.id is not None
    for c in coding_repo.codings_of_item(session=session, item_id=item.id):
        if c.start is None or c.end is None:
            continue
        moved = remap.span(c.start, c.end)
        if moved is None:
            coding_repo.delete_row(session=session, row=c)
        else:
            c.start, c.end = moved
            session.add(c)
    for a in coding_repo.assignments_of_item(session=session, item_id=item.id):
        if a.pending_start is not None and a.pending_end is not None:
            moved = remap.span(a.pending_start, a.pending_end)
            a.pending_start, a.pending_end = moved if moved else (None, None)
            session.add(a)
    for g in coding_repo.agreed_of_item(session=session, item_id=item.id):
        if g.start is not None and g.end is not None:
            moved = remap.span(g.start, g.end)
            if moved is None:
                coding_repo.delete_row(session=session, row=g)
            else:
                g.start, g.end = moved
                session.add(g)


def dedupe_codings(session: Session, code: ResearchCode) -> None:
    """Drop codings made identical by a merge (the same coder, item and span twice)."""
    from sqlmodel import select

    assert code.id is not None
    seen: set[tuple[int, int | None, int | None]] = set()
    for c in session.exec(select(ResearchCoding).where(ResearchCoding.code_id == code.id)).all():
        key = (c.assignment_id, c.start, c.end)
        if key in seen:
            coding_repo.delete_row(session=session, row=c)
        seen.add(key)
