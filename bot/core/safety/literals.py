"""Which plain strings a regular expression cannot match without: a cheap filter before running it.

``required(pattern)`` gives a set of strings such that every match of the pattern contains at least one of them,
or ``None`` when no such set can be read off. A text that contains none of the strings cannot match, so a caller
may skip the pattern: ``str.__contains__`` is far cheaper than a regex with look-arounds at every position.
It reads the parsed pattern (``re._parser``) and only ever answers conservatively: the result is exact for
literals, alternatives, groups and repeats of at least one; anything else (classes, look-arounds, anchors,
back-references, optional parts) contributes nothing.
"""

from __future__ import annotations

import re
import re._constants as C  # noqa: N812 - the regex engine's own opcode names
import re._parser as P  # noqa: N812
from typing import Any, Protocol


class Compiled(Protocol):
    """What ``required`` reads of a pattern: a compiled ``re.Pattern`` or anything with the same two attributes."""

    @property
    def pattern(self) -> str: ...

    @property
    def flags(self) -> int: ...


_SMALL_CLASS = 6  # [abc]: treat as three one-character alternatives up to this size


def required(pattern: Compiled) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains; ``None`` if nothing useful can be said."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _sequence(P.parse(pattern.pattern, pattern.flags))
    if not found or "" in found:
        return None
    return frozenset(_minimal(found))


def _minimal(options: set[str]) -> set[str]:
    """Drop every string that contains another one: {"cutting", "cuts", "cut"} needs no more than {"cut"}.

    A text holding "cutting" holds "cut", so the filter lets through exactly the same texts, with fewer
    strings to look for (word families in the safeguarding rules list every inflection)."""
    kept: list[str] = []
    for s in sorted(options, key=len):
        if not any(k in s for k in kept):
            kept.append(s)
    return set(kept)


def _score(options: set[str]) -> tuple[int, int]:
    # the shortest string decides how often the filter lets a text through; then fewer strings is better
    return min(len(s) for s in options), -len(options)


def _sequence(items: Any) -> set[str] | None:
    """A sequence needs all its items: any one item's requirement holds for the whole; keep the best."""
    best: set[str] | None = None
    run = ""

    def offer(options: set[str] | None) -> None:
        nonlocal best
        if options and "" not in options and (best is None or _score(options) > _score(best)):
            best = options

    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)
            continue
        if run:
            offer({run})
            run = ""
        offer(_item(op, av))
    if run:
        offer({run})
    return best


def _item(op: Any, av: Any) -> set[str] | None:
    if op is C.IN:
        if len(av) <= _SMALL_CLASS and all(kind is C.LITERAL for kind, _ in av):
            return {chr(ch) for _, ch in av}
        return None
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        if add_flags & (re.IGNORECASE | re.VERBOSE):
            return None
        return _sequence(body)
    if op is C.ATOMIC_GROUP:
        return _sequence(av)
    if op is C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            options = _sequence(branch)
            if not options:
                return None  # this alternative needs nothing in particular
            union |= options
        return union
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, body = av
        return _sequence(body) if low >= 1 else None
    return None
