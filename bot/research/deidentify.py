"""Pure helpers between a raw reflection and what researchers see: compose, redact, map offsets.

Offsets are code points (Python ``str`` indices), end exclusive, as everywhere in the research pipeline.
Nothing here touches the database; ``bot.research.queue`` stores the results.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from bot.core.privacy.redaction import Redactor, default_redactor

# Characters XML 1.0 cannot carry (REFI-QDA exports are XML) and a leading byte-order mark: dropped before
# redaction, so every offset computed afterwards refers to text every format can hold unchanged.
_UNSAFE = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Spans = list[dict[str, Any]]


def normalise(text: str) -> str:
    """Return text with LF line endings and without characters an export format could not hold."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return _UNSAFE.sub("", text)


def compose(messages: Sequence[str]) -> str:
    """Join what a student wrote at one step (several messages, latest versions) into one text."""
    return "\n\n".join(normalise(m).strip() for m in messages if m.strip())


def source_digest(raw: str) -> str:
    """Return a fingerprint of the raw text, to notice an edit without keeping the words."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Redacted:
    text: str
    spans: Spans  # start/end in the raw text, at/to of the placeholder in ``text``, type, rule


def redact(raw: str, marks: Iterable[tuple[int, int, str]] = (), redactor: Redactor | None = None) -> Redacted:
    """Redact with the configured rules plus researcher marks; record where each placeholder landed."""
    result = (redactor or default_redactor()).redact(raw, extra_spans=list(marks))
    spans: Spans = []
    shift = 0
    for s in result.spans:
        at = s.start + shift
        placeholder = (redactor or default_redactor()).config.placeholder.format(type=s.type)
        spans.append({"start": s.start, "end": s.end, "at": at, "to": at + len(placeholder), "type": s.type,
                      "rule": s.rule})
        shift += len(placeholder) - (s.end - s.start)
    return Redacted(result.text, spans)


def raw_position(spans: Spans, position: int, *, end: bool) -> int:
    """Map an offset in the redacted text to the raw text; inside a placeholder, to the whole of it."""
    offset = 0
    for sp in spans:
        if end:
            if position <= sp["at"]:
                break
            if position <= sp["to"]:
                return int(sp["end"])
        else:
            if position < sp["at"]:
                break
            if position < sp["to"]:
                return int(sp["start"])
        offset = int(sp["end"]) - int(sp["to"])
    return position + offset


def redacted_position(spans: Spans, position: int, *, end: bool) -> int:
    """Map an offset in the raw text to the redacted text; inside a redacted stretch, to its placeholder."""
    offset = 0
    for sp in spans:
        if end:
            if position <= sp["start"]:
                break
            if position <= sp["end"]:
                return int(sp["to"])
        else:
            if position < sp["start"]:
                break
            if position < sp["end"]:
                return int(sp["at"])
        offset = int(sp["to"]) - int(sp["end"])
    return position + offset


class Remap:
    """Carry offsets from an old version of a text to a new one (an edit, a new mark, changed rules).

    Unchanged stretches map exactly; a boundary inside a changed stretch widens to cover the whole
    replacement, so a coded passage keeps covering what replaced its words.
    """

    def __init__(self, old: str, new: str) -> None:
        self.new_length = len(new)
        self.ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()

    def position(self, p: int, *, end: bool) -> int:
        for tag, i1, i2, j1, j2 in self.ops:
            if tag == "equal" and i1 <= p <= i2:
                return j1 + (p - i1)
            if tag != "equal" and i1 <= p < i2:
                return j2 if end else j1
            if tag == "insert" and p == i1:
                return j1 if end else j2
        return self.new_length

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Return the new span, or None when its words are gone."""
        a, b = self.position(start, end=False), self.position(end, end=True)
        return (a, b) if a < b else None


_WORD = re.compile(r"\w")


def find_all(text: str, snippet: str) -> list[tuple[int, int]]:
    """Every occurrence of ``snippet`` in ``text`` that does not start or end inside a word."""
    found: list[tuple[int, int]] = []
    if not snippet:
        return found
    start = text.find(snippet)
    while start >= 0:
        end = start + len(snippet)
        inside_before = start > 0 and _WORD.match(text[start - 1]) and _WORD.match(snippet[0])
        inside_after = end < len(text) and _WORD.match(text[end]) and _WORD.match(snippet[-1])
        if not inside_before and not inside_after:
            found.append((start, end))
        start = text.find(snippet, start + 1)
    return found


def utf16_to_code_points(text: str, utf16_offset: int) -> int:
    """Convert a UTF-16 offset (as Telegram counts) into a code-point offset into ``text``."""
    units = 0
    for index, char in enumerate(text):
        if units >= utf16_offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)
