"""Fold a message before any detector reads it, keeping a map back to the original offsets.

Invisible characters and look-alike letters defeat plain pattern matching: a zero-width space inside
"kill myself", a soft hyphen inside an NHS number, a Cyrillic "е" in "myself". ``fold(text)`` returns
the text a detector should read, with

* format characters removed (Unicode category Cf: zero-width spaces and joiners, the soft hyphen, the
  word joiner, bidi controls, the BOM) and variation selectors and the combining grapheme joiner;
* compatibility forms folded (NFKC per character: full-width letters and digits, ligatures, no-break
  spaces), and a base letter composed with its accents (NFC on each cluster: "José" however typed);
* typographic apostrophes made straight (’ ‘ ʼ ′ → ');
* Cyrillic and Greek letters that look like Latin ones folded to Latin, inside any word that also has a
  Latin letter or is made only of such look-alikes ("kіll" with a Cyrillic і). A word written in
  Cyrillic or Greek proper ("Ольга") is left as it is.

Case is kept; each detector lower-cases for itself. ``Folded.span(start, end)`` turns offsets into the
folded text back into offsets into the original, covering any characters that were removed inside the
span, so a redaction of the folded "9434765919" removes the original "943\u200b476\u200b5919" whole.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["Folded", "fold"]

# Cyrillic, Greek and a few other letters that render like a Latin letter in common fonts.
_CONFUSABLES = {
    # Cyrillic lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "к": "k", "м": "m", "н": "h", "т": "t", "ь": "b", "ɡ": "g",
    # Cyrillic upper case
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q",
    "Ԝ": "W", "Ӏ": "I",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "υ": "u", "χ": "x",
    "ε": "e", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\uff07": "'"}
_EXTRA_INVISIBLE = {"\u034f", "\u180e", "\u115f", "\u1160", "\u3164", "\uffa0"}


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f" or ch in _EXTRA_INVISIBLE


def _is_latin_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() or ("\u00c0" <= ch <= "\u024f" and ch.isalpha())


@dataclass(frozen=True)
class Folded:
    """The folded text and, for each of its characters, the original characters it came from."""

    original: str
    text: str
    _starts: tuple[int, ...] | None = None  # None: the text is the original, unchanged
    _ends: tuple[int, ...] | None = None

    @property
    def changed(self) -> bool:
        return self._starts is not None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets ``[start, end)`` into ``text`` as offsets into ``original`` (end exclusive)."""
        if self._starts is None or self._ends is None:
            return start, end
        if start >= end:
            at = self._starts[start] if start < len(self._starts) else len(self.original)
            return at, at
        return self._starts[start], self._ends[end - 1]


def fold(text: str) -> Folded:
    """Fold ``text`` for detection; see the module docstring for what changes."""
    if text.isascii():
        return Folded(text, text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _invisible(ch):
            i += 1
            continue
        # a cluster: this character and the combining marks (and invisible characters) after it
        j = i + 1
        marks = [ch]
        while j < n and (unicodedata.combining(text[j]) or _invisible(text[j])):
            if not _invisible(text[j]):
                marks.append(text[j])
            j += 1
        cluster = "".join(marks)
        folded = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", cluster))
        for piece in folded:
            out.append(_APOSTROPHES.get(piece, piece))
            starts.append(i)
            ends.append(j)
        i = j
    chars = _fold_confusables(out)
    result = "".join(chars)
    if result == text:
        return Folded(text, text)
    return Folded(text, result, tuple(starts), tuple(ends))


def _fold_confusables(chars: list[str]) -> list[str]:
    """Fold look-alike letters inside words that are Latin or made only of look-alikes."""
    if not any(c in _CONFUSABLES for c in chars):
        return chars
    result = list(chars)
    i, n = 0, len(chars)
    while i < n:
        if not chars[i].isalpha():
            i += 1
            continue
        j = i
        while j < n and (chars[j].isalpha() or chars[j] == "'"):
            j += 1
        word = chars[i:j]
        letters = [c for c in word if c.isalpha()]
        if any(c in _CONFUSABLES for c in letters) and (
            any(_is_latin_letter(c) for c in letters) or all(c in _CONFUSABLES for c in letters)
        ):
            for k in range(i, j):
                result[k] = _CONFUSABLES.get(chars[k], chars[k])
        i = j
    return result
