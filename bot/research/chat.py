"""Coding in Telegram: /code, the code buttons, quoted passages, /memo, /skip, /progress.

The item message starts with ``Item #N``; the transport recognises a reply to it by that header, and
``bot.research.chat_quote`` codes the quoted passage. Every entry point checks ``can_research`` for the item's
study.

``/skip`` is shared with students: it skips the question of the person's open reflection when they have one;
otherwise, for a researcher with an item on screen, it puts the item aside (it comes back after the others).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.replies import Button, CallbackOutcome, Reply
from bot.core.roles import can_research
from bot.core.templates import escape
from bot.research import codebook, coding, compare
from bot.research.access import NOT_A_RESEARCHER, coder_of, studies_of
from bot.research.errors import ResearchError
from bot.research.export_rows import prompt_of
from storage import coding_repo, research_repo
from storage.models import Study
from storage.research_models import Assignment, Coder, CodingItem, CodingRound, ResearchCode, ResearchParticipant

ITEM_HEADER = re.compile(r"^Item #(\d+) ·")
MAX_LABEL = 40
CANCEL = 0  # the code id of the "Cancel" button under a quoted passage


@dataclass(frozen=True)
class CodingOutcome(CallbackOutcome):
    """A button answer that also replaces the pressed message's buttons (the code toggles)."""

    buttons: tuple[tuple[Button, ...], ...] | None = None


def step_title(step: str) -> str:
    """Return the short name of a step ("What I felt")."""
    prompt = prompt_of(step)
    head = prompt.split(".")[0] if "·" in prompt.split(".")[0] else ""
    return head.split("·", 1)[1].strip() if head else "Another moment" if step == "moment" else step


def question_of(step: str) -> str:
    """Return the question of a step without its numbered title (the header names the step already)."""
    prompt = prompt_of(step)
    head, dot, rest = prompt.partition(". ")
    if dot and "·" in head:
        return rest
    asked = [s for s in prompt.replace("? ", "?|").split("|") if s.endswith("?")]  # the short path's question
    return asked[0].split(". ")[-1] if step == "moment" and asked else prompt


# ------------------------------------------------------------------------------------------- context


@dataclass
class Desk:
    """What a coder works on: a study, its open round, and who they are in it."""

    study: Study
    round: CodingRound
    coder: Coder


def _desks(session: Session, env: Env, person: Person) -> list[Desk]:
    desks = []
    for study in studies_of(session, env, person):
        assert study.id is not None
        rnd = codebook.open_round(session, study.id)
        if rnd is not None:
            desks.append(Desk(study, rnd, coder_of(session, env, person, study)))
    return desks


def _desk(session: Session, env: Env, person: Person, args: str = "") -> Desk | list[Reply]:
    """Pick the study to work on: named in ``args``, or the only one, or the one with work waiting."""
    if not studies_of(session, env, person):
        return [Reply(NOT_A_RESEARCHER)]
    desks = _desks(session, env, person)
    if not desks:
        return [Reply("None of your studies has a coding round open yet. The study lead opens one by loading a "
                      "codebook (balint research codebook seed|import).")]
    if args.strip():
        named = [d for d in desks if d.study.name.lower() == args.strip().lower()]
        if not named:
            names = ", ".join(escape(d.study.name) for d in desks)
            return [Reply(f"You don't research a study called <b>{escape(args.strip()[:60])}</b> with an open "
                          f"round. Yours: {names}.")]
        return named[0]
    if len(desks) == 1:
        return desks[0]
    waiting = [d for d in desks if coding_repo.open_assignments(session=session, round_id=d.round.id or 0,
                                                                  coder_id=d.coder.id or 0)]
    if len(waiting) == 1:
        return waiting[0]
    names = "\n".join(f"<code>/code {escape(d.study.name)}</code>" for d in desks)
    return [Reply(f"You research several studies. Which one?\n{names}")]


def item_desk(session: Session, env: Env, person: Person, item_id: int) -> tuple[Desk, CodingItem, Assignment]:
    """Return the desk, item and this coder's assignment for a button or reply about ``item_id``."""
    item = research_repo.get_item(session=session, item_id=item_id)
    study = research_repo.get_study(session=session, study_id=item.study_id) if item else None
    if item is None or study is None or study.id is None:
        raise ResearchError("That item is no longer available.")
    if not can_research(session, env, person, study.id):
        raise ResearchError(NOT_A_RESEARCHER)
    coder = coding_repo.get_coder(session=session, study_id=study.id, telegram_id=person.telegram_id)
    if coder is None:
        raise ResearchError("This item isn't assigned to you.")
    rnd = codebook.open_round(session, study.id)
    if item.excluded_at is not None:
        raise ResearchError("This reflection has been withdrawn from the research, so it can't be coded.")
    if rnd is None or rnd.id is None:
        raise ResearchError("This round has been closed.")
    assignment = coding_repo.get_assignment(session=session, round_id=rnd.id, item_id=item_id,
                                              coder_id=coder.id or 0)
    if assignment is None:
        raise ResearchError("This item isn't assigned to you in the current round (it may be from a closed one).")
    return Desk(study, rnd, coder), item, assignment


# ---------------------------------------------------------------------------------------------- views


def labels(session: Session, rnd: CodingRound) -> tuple[list[ResearchCode], dict[int, int]]:
    ordered = codebook.codes(session, rnd)
    by_id = {c.id: c for c in ordered}
    return ordered, {c.id or 0: codebook.depth(c, by_id) for c in ordered}  # type: ignore[arg-type]


def _buttons(session: Session, desk: Desk, item: CodingItem, assignment: Assignment) -> tuple[tuple[Button, ...], ...]:
    ordered, _depth = labels(session, desk.round)
    mine = coding.my_codings(session, assignment)
    whole = {c.code_id for c in mine if c.start is None}
    passages: dict[int, int] = {}
    for c in mine:
        if c.start is not None:
            passages[c.code_id] = passages.get(c.code_id, 0) + 1
    assert item.id is not None
    flat = []
    for code in ordered:
        assert code.id is not None
        mark = "☑" if code.id in whole else "☐"
        name = code.name if len(code.name) <= MAX_LABEL else code.name[:MAX_LABEL - 1] + "…"
        extra = f" ✂{passages[code.id]}" if code.id in passages else ""
        flat.append(Button(f"{mark} {name}{extra}",
                           actions.encode(Action.CODE_TOGGLE, item.id, code.id)))
    rows = [tuple(flat[i:i + 2]) for i in range(0, len(flat), 2)]
    rows.append((Button("✓ Done with this item", actions.encode(Action.CODE_DONE, item.id)),))
    return tuple(rows)


def _header(session: Session, item: CodingItem) -> str:
    participant = session.get(ResearchParticipant, item.participant_id)
    who = participant.pseudonym if participant else "P?"
    return f"Item #{item.id} · {who} · week {item.week} · {step_title(item.step)}"


def item_text(session: Session, item: CodingItem) -> str:
    """Return the item message: header, the question answered, then the redacted text exactly."""
    return (f"<b>{escape(_header(session, item))}</b>\n<i>{escape(question_of(item.step))}</i>\n\n"
            f"{escape(item.text)}")


def item_view(session: Session, env: Env, desk: Desk, item: CodingItem, assignment: Assignment) -> Reply:
    """Show an item with this coder's codes as toggle buttons (nobody else's: coding is blind)."""
    assignment.shown_at = env.clock.now()
    session.add(assignment)
    return Reply(item_text(session, item), buttons=_buttons(session, desk, item, assignment))


def _names(session: Session, rnd: CodingRound, codings: list[tuple[int, int | None, int | None]],
           text: str) -> str:
    paths = codebook.paths(session, rnd)
    parts = []
    for code_id, start, end in codings:
        name = escape(paths.get(code_id, "?"))
        if start is None or end is None:
            parts.append(name)
        else:
            passage = text[start:end]
            short = passage if len(passage) <= 40 else passage[:39] + "…"
            parts.append(f"{name} (“{escape(short)}”)")
    return "; ".join(parts) or "no codes"


# ----------------------------------------------------------------------------------------- commands


ITEM_NUMBER = re.compile(r"^#?\s*(\d{1,9})$")


def code_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/code: the next item assigned to this coder (put-aside ones last); /code 7 or /code #7: item 7."""
    wanted = ITEM_NUMBER.match(args.strip())
    if wanted is not None:
        return open_numbered(session, env, person, int(wanted.group(1)))
    desk = _desk(session, env, person, args)
    if isinstance(desk, list):
        return desk
    assert desk.round.id is not None and desk.coder.id is not None
    if not codebook.codes(session, desk.round):
        return [Reply(f"Round {desk.round.number} of <b>{escape(desk.study.name)}</b> has no codebook yet.")]
    waiting = list(coding_repo.open_assignments(session=session, round_id=desk.round.id, coder_id=desk.coder.id))
    if not waiting:
        return [_nothing_left(session, desk)]
    assignment = waiting[0]  # not put aside first, then the put-aside ones in the order they were put aside
    item = research_repo.get_item(session=session, item_id=assignment.item_id)
    assert item is not None
    return [Reply(_intro(desk, len(waiting))), item_view(session, env, desk, item, assignment)]


def _intro(desk: Desk, left: int) -> str:
    return (f"Round {desk.round.number} of <b>{escape(desk.study.name)}</b> · {left} item(s) waiting for you.\n"
            "Tap the codes that apply to the whole text. To code a passage: select it in the item, choose "
            "<i>Reply</i> (quote), and send the code's name — or anything, then pick the code.")


def _nothing_left(session: Session, desk: Desk) -> Reply:
    assert desk.round.id is not None and desk.coder.id is not None
    mine = coding_repo.assignments_of_coder(session=session, round_id=desk.round.id, coder_id=desk.coder.id)
    where = f"round {desk.round.number} of <b>{escape(desk.study.name)}</b>"
    if not mine:
        return Reply(f"No items are assigned to you in {where} yet. The study lead assigns them "
                     "(balint research assign); you'll find them here with /code.")
    return Reply(f"You've finished every item assigned to you in {where}: nothing is waiting for you. Thank you! "
                 "/progress shows where the round stands.")


def open_numbered(session: Session, env: Env, person: Person, item_id: int) -> list[Reply]:
    """/code 7: open item 7 when it is assigned to this coder in the open round."""
    if not studies_of(session, env, person):
        return [Reply(NOT_A_RESEARCHER)]
    try:
        desk, item, assignment = item_desk(session, env, person, item_id)
    except ResearchError:
        return [Reply(f"Item #{item_id} isn't one of yours in an open round. /code shows the next item waiting "
                      "for you.")]
    if assignment.done_at is not None:
        mine = [(c.code_id, c.start, c.end) for c in coding.my_codings(session, assignment)]
        return [Reply(f"You've finished item #{item_id} already, so its codes are fixed. Your codes: "
                      f"{_names(session, desk.round, mine, item.text)}")]
    left = len(coding_repo.open_assignments(session=session, round_id=desk.round.id or 0,
                                            coder_id=desk.coder.id or 0))
    return [Reply(_intro(desk, left)), item_view(session, env, desk, item, assignment)]


def open_item(session: Session, env: Env, person: Person) -> tuple[Desk, CodingItem, Assignment] | None:
    """Return the item this person last opened and has not finished, if any."""
    best: tuple[Desk, Assignment] | None = None
    for desk in _desks(session, env, person):
        for a in coding_repo.open_assignments(session=session, round_id=desk.round.id or 0,
                                                coder_id=desk.coder.id or 0):
            if a.shown_at is not None and (a.skipped_at is None or a.skipped_at < a.shown_at) and (
                    best is None or a.shown_at > (best[1].shown_at or a.shown_at)):
                best = (desk, a)
    if best is None:
        return None
    item = research_repo.get_item(session=session, item_id=best[1].item_id)
    return (best[0], item, best[1]) if item is not None else None


def put_aside(session: Session, env: Env, person: Person) -> list[Reply] | None:
    """Put the coding item on screen aside and show the next one; None when no item is open."""
    current = open_item(session, env, person)
    if current is None:
        return None
    desk, item, assignment = current
    coding.put_aside(session, env, assignment)
    return [Reply(f"Item #{item.id} put aside; it comes back after the others."),
            *code_command(session, env, person, desk.study.name)]


def memo_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/memo text (on the item on screen) or /memo Code name: text (on a code)."""
    desk = _desk(session, env, person)
    if isinstance(desk, list):
        return desk
    text = args.strip()
    if not text:
        return [Reply("Write the memo after the command: <code>/memo your note</code> keeps it on the item in front "
                      "of you; <code>/memo Code name: your note</code> keeps it on a code.")]
    head, sep, rest = text.partition(":")
    if sep and rest.strip():
        try:
            code = codebook.find_code(session, desk.round, head)
        except ResearchError:
            code = None
        if code is not None:
            coding.add_memo(session, env, desk.round, desk.coder, rest, item=None, code=code)
            return [Reply(f"Memo kept on the code <b>{escape(code.name)}</b>.")]
    current = open_item(session, env, person)
    if current is None:
        return [Reply("There's no item open to attach the memo to. Open one with /code, or start the memo with a "
                      "code's name and a colon.")]
    cdesk, item, _ = current
    coding.add_memo(session, env, cdesk.round, cdesk.coder, text, item=item, code=None)
    return [Reply(f"Memo kept on item #{item.id}.")]


def progress_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/progress: this coder's and the round's progress, per study."""
    if not studies_of(session, env, person):
        return [Reply(NOT_A_RESEARCHER)]
    desks = _desks(session, env, person)
    if not desks:
        return [Reply("None of your studies has a coding round open yet.")]
    lines = []
    for desk in desks:
        assert desk.round.id is not None
        mine = [a for a in coding_repo.round_assignments(session=session, round_id=desk.round.id)
                if a.coder_id == desk.coder.id]  # on queued items only: withdrawn ones no longer count
        done = sum(a.done_at is not None for a in mine)
        skipped = sum(a.done_at is None and a.skipped_at is not None for a in mine)
        states = compare.item_states(session, desk.round)
        complete = sum(s.complete for s in states.values())
        open_disagreements = sum(s.disagreement for s in states.values())
        queued = research_repo.count_items(session=session, study_id=desk.study.id or 0, excluded=False)
        lines.append(
            f"<b>{escape(desk.study.name)}</b>, round {desk.round.number} (you are {escape(desk.coder.label)})\n"
            f"• You: {done} of {len(mine)} item(s) finished" + (f", {skipped} put aside" if skipped else "") + ".\n"
            f"• Round: {complete} of {len(states)} assigned item(s) double-coded; {queued} in the queue.\n"
            f"• Disagreements waiting to be settled: {open_disagreements}.")
    return [Reply("\n\n".join(lines))]


# ------------------------------------------------------------------------------------------ buttons


def _fail(exc: ResearchError) -> CallbackOutcome:
    return CallbackOutcome(toast=str(exc)[:190])


def toggle(session: Session, env: Env, person: Person, item_id: int, code_id: int) -> CallbackOutcome:
    """A code button on an item: apply or remove the code for the whole text."""
    try:
        desk, item, assignment = item_desk(session, env, person, item_id)
        code = session.get(ResearchCode, code_id)
        if code is None or code.round_id != desk.round.id or code.retired_at is not None:
            raise ResearchError("That code is not in this round's codebook any more. /code shows the item again.")
        applied = coding.toggle(session, env, assignment, code)
    except ResearchError as exc:
        return _fail(exc)
    session.flush()
    return CodingOutcome(toast=f"{'☑' if applied else '☐'} {code.name}"[:190], keep_buttons=True,
                         buttons=_buttons(session, desk, item, assignment))


def done(session: Session, env: Env, person: Person, item_id: int) -> CallbackOutcome:
    """The item's Done button: fix this coder's codes, reveal the others' if everyone is done, show the next."""
    try:
        desk, item, assignment = item_desk(session, env, person, item_id)
        coding.finish(session, env, assignment)
    except ResearchError as exc:
        return _fail(exc)
    session.flush()
    mine = [(c.code_id, c.start, c.end) for c in coding.my_codings(session, assignment)]
    footer = f"\n\n✓ <b>Finished.</b> Your codes: {_names(session, desk.round, mine, item.text)}"
    replies = []
    others = coding.others_codes(session, assignment)
    if others:
        lines = [f"Everyone has finished item #{item.id}, so you can now compare:"]
        lines.append(f"• You ({escape(desk.coder.label)}): {_names(session, desk.round, mine, item.text)}")
        for label, theirs in sorted(others.items()):
            lines.append(f"• {escape(label)}: "
                         f"{_names(session, desk.round, [(c.code_id, c.start, c.end) for c in theirs], item.text)}")
        replies.append(Reply("\n".join(lines)))
    else:
        replies.append(Reply(f"Thank you. You'll see the other coder's codes on item #{item.id} once they've "
                             "finished it too."))
    replies.extend(code_command(session, env, person, desk.study.name))
    finished = item_text(session, item) + footer
    if len(finished) > 4000:  # a long item: keep the edit within Telegram's limit, the header says which item
        finished = f"<b>{escape(_header(session, item))}</b>" + footer
    return CallbackOutcome(toast="Finished", edit_text=finished, replies=replies)


def segment(session: Session, env: Env, person: Person, item_id: int, code_id: int) -> CallbackOutcome:
    """A code button under a quoted passage: code the passage (or cancel)."""
    try:
        desk, item, assignment = item_desk(session, env, person, item_id)
        start, end = assignment.pending_start, assignment.pending_end
        if start is None or end is None:
            raise ResearchError("That passage has been dealt with already. Quote it again to code it.")
        passage = item.text[start:end]
        assignment.pending_start = assignment.pending_end = None
        session.add(assignment)
        if code_id == CANCEL:
            return CallbackOutcome(toast="Cancelled", edit_text=f"Not coded: “{escape(passage)}”")
        code = session.get(ResearchCode, code_id)
        if code is None or code.round_id != desk.round.id or code.retired_at is not None:
            raise ResearchError("That code is not in this round's codebook any more.")
        coding.add_segment(session, env, assignment, item, code, start, end)
    except ResearchError as exc:
        return _fail(exc)
    return CallbackOutcome(toast=f"Coded as {code.name}"[:190],
                           edit_text=f"✓ “{escape(passage)}” coded as <b>{escape(code.name)}</b> "
                                     f"(characters {start}–{end} of item #{item.id}).")
