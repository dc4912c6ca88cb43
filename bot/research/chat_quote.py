"""Coding a passage in Telegram: a reply to an item message that quotes part of it (Bot API ``quote``).

Telegram gives the quote's text and its ``position`` in UTF-16 code units of the replied message; the item text
sits in that message exactly (after the header), so the passage is found in code points of the item. The reply's
own text may name the code (coded at once); otherwise the coder picks it from buttons. A reply without a quote
is kept as a memo on the item.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Env, Person
from bot.core.replies import Button, Reply
from bot.core.templates import escape
from bot.research import codebook, coding, deidentify
from bot.research.chat import CANCEL, ITEM_HEADER, MAX_LABEL, item_desk, labels, open_item
from bot.research.errors import ResearchError


def locate(item_text_plain: str, message_text: str, quote: str, position_utf16: int | None) -> tuple[int, int] | None:
    """Find a quoted passage in the item text (code points), using the quote's position in the message."""
    spots = []
    start = item_text_plain.find(quote)
    while start >= 0 and quote:
        spots.append(start)
        start = item_text_plain.find(quote, start + 1)
    if not spots:
        return None
    expected: int | None = None
    if position_utf16 is not None:
        in_message = deidentify.utf16_to_code_points(message_text, position_utf16)
        offset: int | None = message_text.find(item_text_plain)
        if offset is not None and offset < 0:  # a long item arrived in parts: this message is one stretch of it
            part = message_text.strip()
            offset = -item_text_plain.find(part) if part and part in item_text_plain else None
        if offset is not None:
            expected = in_message - offset
    if expected is not None and expected in spots:
        return expected, expected + len(quote)
    if len(spots) == 1:
        return spots[0], spots[0] + len(quote)
    if expected is not None:
        best = min(spots, key=lambda s: abs(s - expected))
        return best, best + len(quote)
    return None


def reply_to_item(session: Session, env: Env, person: Person, *, replied_text: str, body: str,
                  quote: str | None, quote_position: int | None) -> list[Reply]:
    """A reply to an item message: with a quote, code that passage; without one, keep the text as a memo."""
    found = ITEM_HEADER.match(replied_text)
    try:
        if found is not None:
            desk, item, assignment = item_desk(session, env, person, int(found.group(1)))
        else:
            current = open_item(session, env, person)
            if current is None:
                raise ResearchError("I couldn't tell which item that was. Open it again with /code.")
            desk, item, assignment = current
        if not quote:
            coding.add_memo(session, env, desk.round, desk.coder, body, item=item, code=None)
            return [Reply(f"Kept as a memo on item #{item.id}. (To code a passage instead, select it in the item "
                          "and reply with a quote.)")]
        span = locate(item.text, replied_text, quote, quote_position)
        if span is None:
            return [Reply("I couldn't find that passage in the item — please quote a longer stretch of it.")]
        start, end = span
        try:
            code = codebook.find_code(session, desk.round, body)
        except ResearchError:
            code = None
        if code is not None:
            coding.add_segment(session, env, assignment, item, code, start, end)
            return [Reply(f"✓ “{escape(item.text[start:end])}” coded as <b>{escape(code.name)}</b> "
                          f"(characters {start}–{end} of item #{item.id}).")]
        coding.check_open(assignment)
        assignment.pending_start, assignment.pending_end = start, end
        session.add(assignment)
    except ResearchError as exc:
        return [Reply(escape(str(exc)))]
    ordered, _depth = labels(session, desk.round)
    assert item.id is not None
    flat = [Button(c.name[:MAX_LABEL],
                   actions.encode(Action.CODE_SEGMENT, item.id, c.id or 0)) for c in ordered]
    rows = [tuple(flat[i:i + 2]) for i in range(0, len(flat), 2)]
    rows.append((Button("Cancel", actions.encode(Action.CODE_SEGMENT, item.id, CANCEL)),))
    return [Reply(f"Which code for “{escape(item.text[start:end])}”?", buttons=tuple(rows))]
