"""Run a pattern only where one of its first words starts, instead of over the whole text.

Most redaction rules are a regex whose every match begins with a word from a short list ("man", "woman",
"patient"... or a month name).  ``rx.finditer(text)`` still tries the pattern at almost every position of the
text, so on a 4 KB message each such rule costs about half a millisecond.  :class:`WordStarts` lists where each
word of the text starts (built once per text and shared by the rules), and :func:`scan` tries the pattern only
at the starts of the words it can begin with, giving exactly the matches ``finditer`` would: it skips a start
inside the previous match, as ``finditer`` resumes after it.

A word here is a run of letters (``[^\\W\\d_]+``), keyed in lower case.  A word that is not all ASCII is tried
by every scan (its start is in :attr:`WordStarts.other`), because the regex engine's case-insensitive matching
and ``str.casefold`` disagree on a few letters (the Kelvin sign, dotted capital I).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["WordStarts", "first_words", "scan"]

_WORD = re.compile(r"[^\W\d_]+")


class WordStarts:
    """Where each word of ``text`` starts: ``at["may"] == [12, 480]``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at: dict[str, list[int]] = {}
        self.other: list[int] = []  # starts of words with a non-ASCII letter: every scan tries them
        for m in _WORD.finditer(text):
            word = m.group()
            if word.isascii():
                self.at.setdefault(word.lower(), []).append(m.start())
            else:
                self.other.append(m.start())

    def starts(self, words: frozenset[str]) -> list[int]:
        """The sorted start positions of the text's words that are in ``words`` (lower case)."""
        found = [self.at[w] for w in words.intersection(self.at)]
        if self.other:
            found.append(self.other)
        if len(found) == 1:
            return found[0]
        return sorted(pos for positions in found for pos in positions)


def first_words(*phrases: Iterable[str]) -> frozenset[str]:
    """The first word (letters only, lower case) of each phrase: a :func:`scan` of a pattern built from
    these phrases tries the starts of these words.  Every phrase must begin with a letter."""
    out: set[str] = set()
    for group in phrases:
        for phrase in group:
            m = _WORD.match(phrase)
            if m is None:
                raise ValueError(f"{phrase!r} does not begin with a letter")
            out.add(m.group().lower())
    return frozenset(out)


def scan(rx: re.Pattern[str], text: str, starts: WordStarts, words: frozenset[str]) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)``, for a pattern that can match only at the start of one of ``words`` and never
    matches the empty string."""
    assert starts.text is text
    resume = 0
    for pos in starts.starts(words):
        if pos < resume:
            continue
        m = rx.match(text, pos)
        if m is not None:
            resume = m.end()
            yield m
