"""/exemplar in chat: mark the passage a coder coded last as an exemplar quote for the theme report.

``/exemplar`` marks the coder's latest coding in the open round (a quoted passage, or a whole-item code);
``/exemplar a note`` keeps a note with it; ``/exemplar undo`` takes the latest mark off again.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.templates import escape
from bot.research import chat, themes
from bot.research.codebook import paths
from storage import research_repo, theme_repo
from storage.research_models import ResearchCoding

MAX_QUOTE = 300


def exemplar_command(session: Session, env: Env, person: Person, args: str = "") -> list[Reply]:
    """/exemplar [note] marks the passage coded last as an exemplar; /exemplar undo takes the mark off."""
    desk = chat._desk(session, env, person)  # the same study choice as /memo and /code
    if isinstance(desk, list):
        return desk
    assert desk.round.id is not None and desk.coder.id is not None
    mine = theme_repo.codings_of_coder(session=session, round_id=desk.round.id, coder_id=desk.coder.id)
    if args.strip().lower() == "undo":
        marked = [c for c in mine if theme_repo.exemplar_of(session=session, coding_id=c.id or 0) is not None]
        if not marked:
            return [Reply("None of your passages in this round is marked as an exemplar.")]
        themes.unmark_exemplar(session, env, marked[0], actor=f"telegram:{person.telegram_id}")
        return [Reply(f"Exemplar mark taken off: {_describe(session, desk.round.id, marked[0])}")]
    if not mine:
        return [Reply("You haven't coded anything in this round yet. Code a passage (reply to an item quoting "
                      "it), then send /exemplar to mark it as an exemplar quote.")]
    latest = mine[0]
    themes.mark_exemplar(session, env, latest, desk.coder, note=args, actor=f"telegram:{person.telegram_id}")
    return [Reply(f"Marked as an exemplar quote: {_describe(session, desk.round.id, latest)}\n"
                  "It will appear in the theme report. <code>/exemplar undo</code> takes the mark off.")]


def _describe(session: Session, round_id: int, coding: ResearchCoding) -> str:
    from storage.research_models import Assignment, CodingRound

    assignment = session.get(Assignment, coding.assignment_id)
    rnd = session.get(CodingRound, round_id)
    item = research_repo.get_item(session=session, item_id=assignment.item_id) if assignment else None
    if item is None or rnd is None:
        return "(that item is no longer available)"
    quote = themes.quote_of(item, coding)
    if len(quote) > MAX_QUOTE:
        quote = quote[:MAX_QUOTE - 1] + "…"
    code = paths(session, rnd).get(coding.code_id, "?")
    return f"«{escape(quote)}» — <b>{escape(code)}</b>, item #{item.id}"
