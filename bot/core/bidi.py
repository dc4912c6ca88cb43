"""Bidirectional-text controls removed from names and other user text shown to someone else.

U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates) reorder the text that follows them: a
first name ending in U+202E turns the rest of an alert line around ("Anna<RLO>gnp.exe" shows as "Annaexe.png").
The plain direction marks (U+200E, U+200F, U+061C) cannot reorder anything and are kept, as names in
right-to-left scripts need them.
"""

from __future__ import annotations

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROP = dict.fromkeys(map(ord, CONTROLS))


def without_bidi_controls(text: str) -> str:
    """Return the text without bidi embedding, override and isolate characters."""
    return text.translate(_DROP)
