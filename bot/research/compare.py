"""Comparing coders: where each item of a round stands, the disagreements queue, settling, agreement input.

Settling records the agreed coding of an item beside the coders' own, which are never changed. An item whose
coders applied the same codes counts as agreed without settling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research.agreement import AgreementReport, Coding, compute_agreement
from bot.research.codebook import codes, paths
from bot.research.coding import my_codings
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo
from storage.research_models import AgreedCoding, Coder, CodingItem, CodingRound, ResearchCoding, Settlement


def presence(codings: Sequence[ResearchCoding]) -> frozenset[int]:
    """Return the codes a coder applied to an item (whole-item or on any passage)."""
    return frozenset(c.code_id for c in codings)


@dataclass
class ItemState:
    item_id: int
    coders: dict[str, frozenset[int]]  # label -> codes applied (finished coders only)
    assigned: int
    done: int
    settlement: Settlement | None

    @property
    def complete(self) -> bool:
        return self.assigned >= 2 and self.done == self.assigned

    @property
    def agreed(self) -> bool:
        return self.complete and len(set(self.coders.values())) == 1

    @property
    def disagreement(self) -> bool:
        """Finished, different codes, nobody settled it yet."""
        return self.complete and not self.agreed and self.settlement is None

    @property
    def settled(self) -> bool:
        """Finished, different codes, settled (an agreed item cannot be settled)."""
        return self.complete and not self.agreed and self.settlement is not None

    @property
    def in_progress(self) -> bool:
        return not self.complete


def tally(states: dict[int, ItemState]) -> dict[str, int]:
    """Count a round's items by where they stand; ``assigned`` is always the sum of the other four."""
    values = list(states.values())
    counts = {"assigned": len(values), "in_progress": sum(s.in_progress for s in values),
              "agreed": sum(s.agreed for s in values), "disagreements": sum(s.disagreement for s in values),
              "settled": sum(s.settled for s in values)}
    counts["double_coded"] = counts["agreed"] + counts["disagreements"] + counts["settled"]
    return counts


def item_states(session: Session, rnd: CodingRound) -> dict[int, ItemState]:
    """Return, per item of the round, who finished and what each applied."""
    assert rnd.id is not None
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=rnd.study_id)}
    settlements = {s.item_id: s for s in coding_repo.settlements_of_round(session=session, round_id=rnd.id)}
    states: dict[int, ItemState] = {}
    applied: dict[tuple[int, int], set[int]] = defaultdict(set)  # (item, coder) -> codes
    for item_id, coder_id, code_id, _start, _end in coding_repo.finished_codings(session=session, round_id=rnd.id):
        applied[item_id, coder_id].add(code_id)
    for a in coding_repo.round_assignments(session=session, round_id=rnd.id):
        st = states.setdefault(a.item_id, ItemState(a.item_id, {}, 0, 0, settlements.get(a.item_id)))
        st.assigned += 1
        if a.done_at is not None:
            st.done += 1
            st.coders[labels.get(a.coder_id, "?")] = frozenset(applied.get((a.item_id, a.coder_id), set()))
    return states


def disagreements(session: Session, rnd: CodingRound, *, include_settled: bool = False) -> list[dict[str, Any]]:
    """Return the items whose coders finished with different codes that nobody has settled yet (or all)."""
    names = paths(session, rnd)
    out: list[dict[str, Any]] = []
    for st in item_states(session, rnd).values():
        if not (st.disagreement or (include_settled and st.complete and not st.agreed)):
            continue
        item = research_repo.get_item(session=session, item_id=st.item_id)
        union = set().union(*st.coders.values())
        common = set.intersection(*(set(v) for v in st.coders.values())) if st.coders else set()
        settled = None
        if st.settlement is not None and st.settlement.id is not None:
            settled = sorted(names.get(g.code_id, "?") for g in coding_repo.agreed_codings(
                session=session, settlement_id=st.settlement.id))
        out.append({
            "item": st.item_id, "week": item.week if item else None, "step": item.step if item else None,
            "agreed": sorted(names.get(c, "?") for c in common),
            "by_coder": {label: sorted(names.get(c, "?") for c in v) for label, v in sorted(st.coders.items())},
            "differing": sorted(names.get(c, "?") for c in union - common),
            "settled": settled, "note": st.settlement.note if st.settlement is not None else None,
        })
    return sorted(out, key=lambda r: int(r["item"]))


def settle(session: Session, env: Env, rnd: CodingRound, item: CodingItem, *, code_ids: Sequence[int] | None = None,
           accept: Coder | None = None, actor: str, note: str | None = None) -> Settlement:
    """Record the agreed coding of an item: the listed whole-item codes, or one coder's coding as it stands.

    Each coder's own codings stay untouched. Settling again replaces the earlier agreement.
    """
    assert rnd.id is not None and item.id is not None
    assignments = coding_repo.assignments_of_item(session=session, item_id=item.id, round_id=rnd.id)
    if len(assignments) < 2 or any(a.done_at is None for a in assignments):
        raise ResearchError(f"item {item.id} can be settled once all its coders have finished it")
    if rnd.closed_at is not None:
        raise ResearchError(f"round {rnd.number} is closed; its settlements are frozen")
    state = item_states(session, rnd).get(item.id)
    if state is not None and state.agreed:
        names = paths(session, rnd)
        applied = ", ".join(sorted(names.get(c, "?") for c in next(iter(state.coders.values())))) or "no codes"
        raise ResearchError(f"item {item.id} needs no settling: its coders agree already ({applied})")
    old = coding_repo.get_settlement(session=session, round_id=rnd.id, item_id=item.id)
    if old is not None:
        for g in coding_repo.agreed_codings(session=session, settlement_id=old.id or 0):
            coding_repo.delete_row(session=session, row=g)
        coding_repo.delete_row(session=session, row=old)
        session.flush()
    settlement: Settlement = research_repo.add(session=session, row=Settlement(
        round_id=rnd.id, item_id=item.id, actor=actor, at=env.clock.now(), note=note))
    assert settlement.id is not None
    active = {c.id for c in codes(session, rnd)}
    if accept is not None:
        mine = next((a for a in assignments if a.coder_id == accept.id), None)
        if mine is None:
            raise ResearchError(f"{accept.label} did not code item {item.id} in round {rnd.number}")
        for c in my_codings(session, mine):
            session.add(AgreedCoding(settlement_id=settlement.id, code_id=c.code_id, start=c.start, end=c.end))
    else:
        for code_id in dict.fromkeys(code_ids or ()):
            if code_id not in active:
                raise ResearchError(f"code {code_id} is not in the codebook of round {rnd.number}")
            session.add(AgreedCoding(settlement_id=settlement.id, code_id=code_id))
    repo.audit(session=session, actor=actor, action="research.settle", study_id=rnd.study_id, at=env.clock.now(),
               round=rnd.number, item=item.id, accepted=accept.label if accept else None)
    return settlement


def round_agreement_input(session: Session, rnd: CodingRound) -> tuple[list[Coding], dict[str, int],
                                                                        dict[str, list[str]], list[str], list[str]]:
    """Return codings, item lengths, who reviewed what, the codes and coders of a round, for agreement.

    Only finished assignments count (a coder part-way through an item has not decided yet), and only items still
    in the queue (a withdrawn student's reflections leave the statistics too).
    """
    assert rnd.id is not None
    names = paths(session, rnd)
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=rnd.study_id)}
    reviewed: dict[str, list[str]] = defaultdict(list)
    lengths: dict[str, int] = {}
    coders: dict[str, None] = {}
    for item_id, coder_id, length in coding_repo.finished_assignments(session=session, round_id=rnd.id):
        label = labels.get(coder_id, "?")
        reviewed[str(item_id)].append(label)
        lengths[str(item_id)] = length
        coders[label] = None
    codings = [Coding(str(item_id), labels.get(coder_id, "?"), names.get(code_id, "?"), start, end)
               for item_id, coder_id, code_id, start, end in coding_repo.finished_codings(session=session,
                                                                                           round_id=rnd.id)]
    code_names = [names[c.id] for c in codes(session, rnd) if c.id is not None]
    return codings, lengths, dict(reviewed), code_names, sorted(coders)


def compared_items(session: Session, rnd: CodingRound) -> list[str]:
    """Return the items of a round that count for agreement: every coder assigned to them finished them."""
    return [str(i) for i, st in sorted(item_states(session, rnd).items()) if st.complete]


def round_agreement(session: Session, rnd: CodingRound) -> AgreementReport:
    """Agreement of a round as ``balint research agreement --round N`` reports it.

    Items count only when every coder assigned to them finished them; a coder who finished with no code counts
    as applying none. Our own exports carry the same information, so agreement from them is the same.
    """
    codings, lengths, reviewed, codes, coders = round_agreement_input(session, rnd)
    return compute_agreement(codings, items=compared_items(session, rnd), coders=coders, codes=codes,
                             item_lengths=lengths, reviewed=reviewed)
