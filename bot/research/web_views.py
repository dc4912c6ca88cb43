"""What the web workbench's pages show and do, on top of the same domain functions as the chat and the CLI.

Every function takes the signed-in ``Person`` and a study id and first checks, with ``bot.core.roles``, that the
person researches that study (``Refused`` otherwise, the same answer whether the study or item exists or not).
Pages carry pseudonyms, coder labels and redacted text only. Each page of research data and each change is
written to the audit log (``web.view``, ``web.*``) beside what the domain functions audit themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.roles import can_research
from bot.research import access, codebook, coding, exports, queue
from bot.research.errors import ResearchError
from storage import coding_repo, repo, research_repo, web_repo
from storage.models import Study
from storage.research_models import Assignment, CodingItem, CodingRound, ResearchParticipant

PAGE_SIZE = 20
REFUSED = "This page is not part of a study you research."


class Refused(Exception):
    """The person may not see this (not a researcher of the study, or no such study or item)."""


@dataclass(frozen=True)
class Piece:
    """A run of an item's text with the same highlighting: placeholder, codes (names and colour), or none."""

    text: str
    placeholder: bool = False
    codes: tuple[str, ...] = ()
    colour: str | None = None


@dataclass
class Ctx:
    """Who is acting on which study, as the pages need it."""

    study: Study
    person: Person
    label: str  # the person's coder label in this study (what pages and the register show)

    @property
    def actor(self) -> str:
        return f"web:{self.label}"


def studies(session: Session, env: Env, person: Person) -> list[dict[str, Any]]:
    """Return the studies the person may open, with how much waits in each."""
    out = []
    for s in access.studies_of(session, env, person):
        assert s.id is not None
        out.append({"id": s.id, "name": s.name,
                    "to_review": research_repo.count_items(session=session, study_id=s.id, excluded=False,
                                                           reviewed=False)})
    return out


def enter(session: Session, env: Env, person: Person, study_id: int) -> Ctx:
    """Check that the person researches the study; return the context the other functions take."""
    study = research_repo.get_study(session=session, study_id=study_id)
    if study is None or study.id is None or not can_research(session, env, person, study.id):
        raise Refused(REFUSED)
    coder = access.coder_of(session, env, person, study)
    return Ctx(study=study, person=person, label=coder.label)


def viewed(session: Session, env: Env, ctx: Ctx, what: str, **detail: Any) -> None:
    """Audit a page view of research data, like an export."""
    repo.audit(session=session, actor=ctx.actor, action="web.view", study_id=ctx.study.id, at=env.clock.now(),
               what=what, **detail)


def _item(session: Session, ctx: Ctx, item_id: int) -> CodingItem:
    item = research_repo.get_item(session=session, item_id=item_id)
    if item is None or item.study_id != ctx.study.id or item.excluded_at is not None:
        raise Refused(REFUSED)
    return item


def _pseudonym(session: Session, item: CodingItem) -> str:
    p = session.get(ResearchParticipant, item.participant_id)
    return p.pseudonym if p else "P?"


def pieces(text: str, placeholders: Iterable[tuple[int, int]],
           codings: Iterable[tuple[int, int, str, str]] = ()) -> list[Piece]:
    """Cut text at every placeholder and coded passage, so each piece is highlighted one way."""
    ph = [(a, b) for a, b in placeholders if 0 <= a < b <= len(text)]
    cs = [(a, b, n, c) for a, b, n, c in codings if 0 <= a < b <= len(text)]
    cuts = sorted({0, len(text), *(x for a, b in ph for x in (a, b)), *(x for a, b, _n, _c in cs for x in (a, b))})
    out: list[Piece] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        on = [(n, c) for s, e, n, c in cs if s <= a and b <= e]
        out.append(Piece(text=text[a:b], placeholder=any(s <= a and b <= e for s, e in ph),
                         codes=tuple(dict.fromkeys(n for n, _ in on)), colour=on[0][1] if on else None))
    return out


def _placeholders(item: CodingItem) -> list[tuple[int, int]]:
    return [(int(s["at"]), int(s["to"])) for s in item.spans]


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a selection to whole words (and trim the spaces a double-click takes with it)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return start, start  # nothing (or only spaces) selected: nothing to widen
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'’-_") and text[start].isalnum():
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] in "'’-_") and text[end - 1].isalnum():
        end += 1
    return start, end


# ---------------------------------------------------------------------------------------------- review


def review_page(session: Session, env: Env, ctx: Ctx, *, reviewed: bool = False, page: int = 1) -> dict[str, Any]:
    """Return one page of the review queue (waiting, or already reviewed), each item with its marks."""
    assert ctx.study.id is not None
    page = max(1, page)
    rows = web_repo.queue_page(session=session, study_id=ctx.study.id, reviewed=reviewed,
                               offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    marks = web_repo.marks_of_items(session=session, item_ids=[i.id for i in rows if i.id is not None])
    items = []
    for item in rows:
        assert item.id is not None
        items.append({
            "id": item.id, "pseudonym": _pseudonym(session, item), "week": item.week, "step": item.step,
            "pieces": pieces(item.text, _placeholders(item)),
            "marks": [{"id": m.id, "type": m.type, "seen": m.seen}
                      for m in marks[item.id]],
            "reviewed": item.reviewed_at is not None,
            "changed": item.reviewed_at is not None and item.updated_at > item.reviewed_at,
        })
    waiting = research_repo.count_items(session=session, study_id=ctx.study.id, excluded=False, reviewed=False)
    done = research_repo.count_items(session=session, study_id=ctx.study.id, excluded=False, reviewed=True)
    viewed(session, env, ctx, "review", items=[i["id"] for i in items])
    return {"items": items, "waiting": waiting, "done": done, "page": page, "reviewed": reviewed,
            "more": len(rows) == PAGE_SIZE}


def mark(session: Session, env: Env, ctx: Ctx, item_id: int, start: int, end: int, kind: str) -> None:
    """Redact a selected stretch of an item (snapped to whole words) as ``[KIND]``."""
    item = _item(session, ctx, item_id)
    start, end = snap(item.text, start, end)
    if start >= end:
        raise ResearchError("Select some words of the text first, then choose what they are.")
    queue.mark(session, env, item, start, end, kind, actor=ctx.actor)


def unmark(session: Session, env: Env, ctx: Ctx, item_id: int, mark_id: int) -> None:
    """Undo a review mark: the item is redacted again without it; codings move with the text."""
    item = _item(session, ctx, item_id)
    found = next((m for m in research_repo.marks_of(session=session, item_id=item_id) if m.id == mark_id), None)
    if found is None:
        raise ResearchError("That mark has already been undone.")
    coding_repo.delete_row(session=session, row=found)
    session.flush()
    queue.rebuild(session, env, item)
    repo.audit(session=session, actor=ctx.actor, action="research.unmark", study_id=item.study_id,
               at=env.clock.now(), item=item.id, type=found.type)


def set_reviewed(session: Session, env: Env, ctx: Ctx, item_ids: Iterable[int]) -> int:
    """Record that these items were read and are ready for coding; return how many."""
    ids = list(dict.fromkeys(item_ids))
    for item_id in ids:
        queue.set_reviewed(session, env, _item(session, ctx, item_id), actor=ctx.actor)
    repo.audit(session=session, actor=ctx.actor, action="web.reviewed", study_id=ctx.study.id, at=env.clock.now(),
               items=ids)
    return len(ids)


# ---------------------------------------------------------------------------------------------- coding

FILTERS = ("open", "aside", "done", "all")
LIST_SIZE = 50


def _round(session: Session, ctx: Ctx) -> CodingRound:
    assert ctx.study.id is not None
    rnd = codebook.open_round(session, ctx.study.id)
    if rnd is None:
        raise ResearchError(f"{ctx.study.name} has no open coding round yet: the study lead loads a codebook first.")
    return rnd


def _state(a: Assignment) -> str:
    return "done" if a.done_at else "aside" if a.skipped_at else "open"


def coding_list(session: Session, env: Env, ctx: Ctx, *, show: str = "open", page: int = 1) -> dict[str, Any]:
    """Return a page of the coder's assigned items of the open round: not started, put aside, done, or all."""
    rnd = _round(session, ctx)
    assert rnd.id is not None
    coder = access.coder_of(session, env, ctx.person, ctx.study)
    assert coder.id is not None
    show = show if show in FILTERS else "open"
    page = max(1, page)
    found = web_repo.assigned_page(session=session, round_id=rnd.id, coder_id=coder.id, state=show,
                                   offset=(page - 1) * LIST_SIZE, limit=LIST_SIZE)
    rows = [{"id": item.id, "pseudonym": _pseudonym(session, item), "week": item.week, "step": item.step,
             "state": _state(a), "preview": item.text[:140]} for a, item in found]
    counts = web_repo.assigned_counts(session=session, round_id=rnd.id, coder_id=coder.id)
    viewed(session, env, ctx, "coding", show=show, page=page, items=[r["id"] for r in rows])
    assert ctx.study.id is not None
    coders = [c.label for c in coding_repo.coders_of(session=session, study_id=ctx.study.id)]
    return {"round": rnd.number, "rows": rows, "counts": counts, "show": show, "page": page,
            "more": len(found) == LIST_SIZE, "coders": coders}


def _mine(session: Session, env: Env, ctx: Ctx, item_id: int) -> tuple[CodingItem, CodingRound, Assignment]:
    item = _item(session, ctx, item_id)
    rnd = _round(session, ctx)
    coder = access.coder_of(session, env, ctx.person, ctx.study)
    assignment = coding_repo.get_assignment(session=session, round_id=rnd.id or 0, item_id=item_id,
                                            coder_id=coder.id or 0)
    if assignment is None:
        raise ResearchError(f"Item #{item_id} is not assigned to you in round {rnd.number}.")
    return item, rnd, assignment


@dataclass
class CodingView:
    item: dict[str, Any]
    round: int
    state: str
    codes: list[dict[str, Any]]
    whole: set[int] = field(default_factory=set)
    passages: list[dict[str, Any]] = field(default_factory=list)
    others: dict[str, list[str]] | None = None  # None: blind (someone has not finished yet)
    memos: list[str] = field(default_factory=list)


def coding_item(session: Session, env: Env, ctx: Ctx, item_id: int) -> CodingView:
    """Return an assigned item as its coder sees it: their own codes only, the others' once all are done."""
    item, rnd, a = _mine(session, env, ctx, item_id)
    book = codebook.codes(session, rnd)
    names = codebook.paths(session, rnd)
    colour = {c.id: c.colour for c in book}
    mine = coding.my_codings(session, a)
    spans = [(c.start, c.end, names.get(c.code_id, "?"), colour.get(c.code_id, "#888888"))
             for c in mine if c.start is not None and c.end is not None]
    others: dict[str, list[str]] | None = None
    if coding.everyone_done(session, a):
        others = {}
        for label, cs in sorted(coding.others_codes(session, a).items()):
            others[label] = [names.get(c.code_id, "?") + ("" if c.start is None else f" — “{item.text[c.start:c.end]}”")
                             for c in cs]
    view = CodingView(
        item={"id": item.id, "pseudonym": _pseudonym(session, item), "week": item.week, "step": item.step,
              "pieces": pieces(item.text, _placeholders(item), spans)},
        round=rnd.number, state=_state(a),
        codes=[{"id": c.id, "name": names.get(c.id or 0, c.name), "colour": c.colour,
                "depth": codebook.depth(c, {x.id: x for x in book if x.id is not None}),
                "definition": c.definition} for c in book],
        whole={c.code_id for c in mine if c.start is None},
        passages=[{"id": c.id, "code": names.get(c.code_id, "?"), "text": item.text[c.start:c.end]}
                  for c in mine if c.start is not None and c.end is not None],
        others=others,
        memos=[m.text for m in web_repo.memos_on_item(session=session, item_id=item_id, coder_id=a.coder_id)])
    viewed(session, env, ctx, "code", item=item.id)
    return view


def _code(session: Session, rnd: CodingRound, code_id: int) -> Any:
    found = next((c for c in codebook.codes(session, rnd) if c.id == code_id), None)
    if found is None:
        raise ResearchError("That code is not in the codebook of the open round.")
    return found


def code_passage(session: Session, env: Env, ctx: Ctx, item_id: int, code_id: int, start: int, end: int) -> None:
    """Apply a code to the selected passage (snapped to whole words)."""
    item, rnd, a = _mine(session, env, ctx, item_id)
    start, end = snap(item.text, start, end)
    if start >= end:
        raise ResearchError("Select a passage of the text first, then pick its code.")
    coding.add_segment(session, env, a, item, _code(session, rnd, code_id), start, end)
    repo.audit(session=session, actor=ctx.actor, action="web.code", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id, code=code_id, start=start, end=end)


def toggle_code(session: Session, env: Env, ctx: Ctx, item_id: int, code_id: int) -> bool:
    """Tick or untick a code for the whole item; return whether it is now applied."""
    _item_, rnd, a = _mine(session, env, ctx, item_id)
    on = coding.toggle(session, env, a, _code(session, rnd, code_id))
    repo.audit(session=session, actor=ctx.actor, action="web.toggle", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id, code=code_id, applied=on)
    return on


def uncode(session: Session, env: Env, ctx: Ctx, item_id: int, coding_id: int) -> None:
    """Remove one of the coder's own coded passages (while the item is not done)."""
    _item_, _rnd, a = _mine(session, env, ctx, item_id)
    coding.check_open(a)
    found = next((c for c in coding.my_codings(session, a) if c.id == coding_id), None)
    if found is None:
        raise ResearchError("That passage is no longer coded.")
    coding_repo.delete_row(session=session, row=found)
    repo.audit(session=session, actor=ctx.actor, action="web.uncode", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id, code=found.code_id)


def memo(session: Session, env: Env, ctx: Ctx, item_id: int, text: str) -> None:
    """Keep the coder's memo on the item."""
    item, rnd, a = _mine(session, env, ctx, item_id)
    coder = access.coder_of(session, env, ctx.person, ctx.study)
    coding.add_memo(session, env, rnd, coder, str(text or ""), item=item, code=None)
    repo.audit(session=session, actor=ctx.actor, action="web.memo", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id)


def done(session: Session, env: Env, ctx: Ctx, item_id: int) -> None:
    """Finish the coder's work on the item; their codes are fixed from now on."""
    _item_, _rnd, a = _mine(session, env, ctx, item_id)
    coding.check_open(a)
    coding.finish(session, env, a)
    repo.audit(session=session, actor=ctx.actor, action="web.done", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id)


def put_aside(session: Session, env: Env, ctx: Ctx, item_id: int) -> None:
    """Put one of the coder's unfinished items aside (the *Put aside* filter lists it), as /skip does in chat."""
    _item_, _rnd, a = _mine(session, env, ctx, item_id)
    coding.put_aside(session, env, a)
    repo.audit(session=session, actor=ctx.actor, action="web.aside", study_id=ctx.study.id, at=env.clock.now(),
               item=item_id)


def assign(session: Session, env: Env, ctx: Ctx, *, coders: list[str], per_item: int, limit: int | None,
           include_unreviewed: bool) -> coding.AssignResult:
    """Add queued items to the open round for these coders (labels; all when none), as ``balint research assign``."""
    rnd = _round(session, ctx)
    assert ctx.study.id is not None
    known = {c.label: c for c in coding_repo.coders_of(session=session, study_id=ctx.study.id)}
    unknown = [label for label in coders if label not in known]
    if unknown:
        raise ResearchError(f"{ctx.study.name} has no coder {unknown[0]!r}.")
    return coding.assign(session, env, ctx.study, rnd, coders=[known[c] for c in coders] or None, per_item=per_item,
                         limit=limit, reviewed_only=not include_unreviewed, actor=ctx.actor)


# --------------------------------------------------------------------------------------------- exports


def who(actor: str, labels: dict[int, str]) -> str:
    """Show who exported without a Telegram id: their coder label, or the kind of account."""
    kind, _, rest = actor.partition(":")
    if kind == "telegram":
        return labels.get(int(rest), "a researcher") if rest.isdigit() else "a researcher"
    if kind == "web":
        return rest
    return kind or "?"


def exports_page(session: Session, env: Env, ctx: Ctx) -> dict[str, Any]:
    """Return the formats and rounds to download, the register of exports and the withdrawals."""
    assert ctx.study.id is not None
    labels = {c.telegram_id: c.label for c in coding_repo.coders_of(session=session, study_id=ctx.study.id)}
    register = exports.export_log(session, ctx.study)
    for row in register:
        row["by"] = who(str(row["by"]), labels)
    rounds = [r.number for r in coding_repo.rounds_of(session=session, study_id=ctx.study.id)]
    viewed(session, env, ctx, "exports")
    return {"formats": exports.FORMATS, "rounds": rounds, "register": register,
            "withdrawals": queue.withdrawals(session, ctx.study)}


def export_file(session: Session, env: Env, ctx: Ctx, fmt: str, round_number: int | None,
                out: IO[bytes]) -> exports.ExportResult:
    """Write an export to ``out`` and record it in the register, as ``balint export`` does."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in ctx.study.name.lower()).strip("-")
    rnd = codebook.round_by_number(session, ctx.study, round_number)
    return exports.export(session, env, ctx.study, fmt, out, round_number=rnd.number, actor=ctx.actor,
                          filename=f"{slug}-round{rnd.number}.{fmt.lower()}")


# ------------------------------------------------------------------------------------------------ case


def case(session: Session, env: Env, ctx: Ctx, item_id: int) -> dict[str, Any]:
    """Return one participant's weeks in order, as context for an item; only items assigned to the person are
    marked codable (the others are there to read)."""
    item = _item(session, ctx, item_id)
    assert ctx.study.id is not None
    rnd = codebook.open_round(session, ctx.study.id)
    coder = access.coder_of(session, env, ctx.person, ctx.study)
    mine = set()
    if rnd is not None and rnd.id is not None and coder.id is not None:
        mine = {a.item_id for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id,
                                                                      coder_id=coder.id)}
    rows = [{"id": i.id, "week": i.week, "step": i.step, "pieces": pieces(i.text, _placeholders(i)),
             "codable": i.id in mine, "current": i.id == item.id}
            for i in web_repo.items_of_participant(session=session, study_id=ctx.study.id,
                                                   participant_id=item.participant_id)]
    viewed(session, env, ctx, "case", item=item.id, items=[r["id"] for r in rows])
    return {"pseudonym": _pseudonym(session, item), "rows": rows}

