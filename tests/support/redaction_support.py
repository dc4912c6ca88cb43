"""What the redaction tests share: the spans found in a text, their types, and whether a part of a text ends up
hidden or shown."""

from __future__ import annotations

from bot.core.privacy.redaction import Redactor


def found(r: Redactor, text: str) -> list[tuple[str, str]]:
    """The text and type of each span found in ``text``, in order."""
    return [(s.text, s.type) for s in r.find(text)]


def types_of(r: Redactor, text: str) -> set[str]:
    """The types of the spans found in ``text``."""
    return {s.type for s in r.find(text)}


def hidden(r: Redactor, text: str, part: str) -> bool:
    """``part`` (its first occurrence) lies wholly inside one redacted span."""
    start = text.index(part)
    end = start + len(part)
    return any(s.start <= start and s.end >= end for s in r.find(text))


def shown(r: Redactor, text: str, part: str) -> bool:
    """``part`` is still readable in the redacted text."""
    return part in r.redact(text).text
