"""What the redaction round tests share: whether a part of a text ends up hidden or shown."""

from __future__ import annotations

from bot.core.privacy.redaction import Redactor


def hidden(r: Redactor, text: str, part: str) -> bool:
    """``part`` (its first occurrence) lies wholly inside one redacted span."""
    start = text.index(part)
    end = start + len(part)
    return any(s.start <= start and s.end >= end for s in r.find(text))


def shown(r: Redactor, text: str, part: str) -> bool:
    """``part`` is still readable in the redacted text."""
    return part in r.redact(text).text
