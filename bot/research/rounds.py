"""Closing a round: what is unfinished, and freezing what the round holds.

A round is the set of items assigned to it. Closing it records each member as it stands (redacted text,
pseudonym, cohort, step, question) in ``research_round_items``; its codebook and codings are frozen from then on
(edits, merges and a student's later edit touch only open rounds). So every export of a closed round is the same
bytes for ever, except that members whose student withdrew or was erased since are left out, and the export
says how many.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, compare
from bot.research.errors import ResearchError
from bot.research.export_rows import prompt_of
from storage import coding_repo, research_repo
from storage.models import Study
from storage.research_models import CodingRound, RoundItem, pseudonym_of


@dataclass
class Unfinished:
    """What stands open in a round: items, and (item, coder) pairs."""

    disagreements: list[int] = field(default_factory=list)
    codings: list[tuple[int, str]] = field(default_factory=list)
    unreviewed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.disagreements or self.codings or self.unreviewed)

    def lines(self) -> list[str]:
        out = []
        if self.disagreements:
            out.append(f"{len(self.disagreements)} disagreement(s) waiting to be settled: "
                       + ", ".join(f"#{i}" for i in self.disagreements))
        if self.codings:
            out.append(f"{len(self.codings)} coding(s) not finished: "
                       + ", ".join(f"#{i} ({label})" for i, label in self.codings))
        if self.unreviewed:
            out.append(f"{len(self.unreviewed)} item(s) not reviewed: " + ", ".join(f"#{i}" for i in self.unreviewed))
        return out

    def as_dict(self) -> dict[str, object]:
        return {"disagreements": self.disagreements, "unfinished_codings": [
            {"item": i, "coder": label} for i, label in self.codings], "unreviewed": self.unreviewed}


def unfinished(session: Session, rnd: CodingRound) -> Unfinished:
    """Say what stands open in a round (items withdrawn from the research do not count)."""
    assert rnd.id is not None
    labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=rnd.study_id)}
    out = Unfinished()
    states = compare.item_states(session, rnd)
    out.disagreements = sorted(i for i, st in states.items() if st.disagreement)
    out.codings = sorted((a.item_id, labels.get(a.coder_id, "?"))
                         for a in coding_repo.round_assignments(session=session, round_id=rnd.id) if a.done_at is None)
    for item_id in sorted(states):
        item = research_repo.get_item(session=session, item_id=item_id)
        if item is not None and item.reviewed_at is None:
            out.unreviewed.append(item_id)
    return out


class RoundNotFinished(ResearchError):
    """Closing was asked while something stands open; the message lists it."""

    def __init__(self, rnd: CodingRound, study: Study, report: Unfinished) -> None:
        self.report = report
        listed = "\n".join(f"  - {line}" for line in report.lines())
        super().__init__(f"round {rnd.number} of {study.name} is not finished:\n{listed}\n"
                         "Settle or finish them first, or close the round as it stands with --force.")


def freeze(session: Session, rnd: CodingRound) -> int:
    """Record the round's members as they stand now; return how many."""
    assert rnd.id is not None
    numbers = {p.id: p.number for p in research_repo.participants_by_id(session=session,
                                                                          study_id=rnd.study_id).values()}
    cohorts = {c.id: c.name for c in research_repo.study_cohorts(session=session, study_id=rnd.study_id)}
    rows: list[RoundItem] = []
    per_participant: Counter[str] = Counter()
    for item_id in coding_repo.round_member_ids(session=session, round_id=rnd.id):
        item = research_repo.get_item(session=session, item_id=item_id)
        if item is None:
            continue
        rows.append(RoundItem(round_id=rnd.id, item_id=item_id, participant_id=item.participant_id,
                              cohort=cohorts.get(item.cohort_id, ""), week=item.week, step=item.step,
                              prompt=prompt_of(item.step), text=item.text, entered_at=item.entered_at))
        per_participant[pseudonym_of(numbers.get(item.participant_id, 0))] += 1
    coding_repo.add_round_items(session=session, rows=rows)
    rnd.frozen = {"items": len(rows), "participants": dict(sorted(per_participant.items()))}
    session.add(rnd)
    return len(rows)


@dataclass
class Closed:
    closed: CodingRound
    opened: CodingRound
    members: int
    forced: Unfinished


def close_round(session: Session, env: Env, study: Study, *, actor: str, force: bool = False) -> Closed:
    """Close the open round (refused while something stands open, unless ``force``), freeze it, open the next."""
    assert study.id is not None
    current = codebook.open_round(session, study.id)
    if current is None or current.id is None:
        raise ResearchError(f"{study.name} has no open round to close")
    report = unfinished(session, current)
    if report and not force:
        raise RoundNotFinished(current, study, report)
    members = freeze(session, current)
    closed, opened = codebook.next_round(session, env, study, current, actor=actor)
    return Closed(closed, opened, members, report)
