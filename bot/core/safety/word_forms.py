"""Word families for the safeguarding rules: ``{=cut|burn}`` in a pattern means every form of each word.

A rule writer names the lemma once and the pattern matches its inflections: ``{=cut}`` is
``cuts|cutting|cut``, ``{=take}`` is ``takes|taking|taken|took|take``, ``{=tablet}`` is ``tablets|tablet``.
A phrase inflects its first word (``{=tell off}``: told off, telling off, ...). Forms are made by English
suffix rules (-s/-es/-ies, -ed/-d/-ied, -ing with a dropped e, doubled final
consonants in both British and American spelling) and an irregular table. Over-generating is harmless:
a form nobody writes never matches.
"""

from __future__ import annotations

import functools
import re

__all__ = ["expand_families", "forms"]

_IRREGULAR: dict[str, tuple[str, ...]] = {
    "be": ("am", "is", "are", "was", "were", "been", "being"),
    "beat": ("beaten",),
    "bite": ("bit", "bitten"),
    "break": ("broke", "broken"),
    "bring": ("brought",),
    "burn": ("burnt",),
    "buy": ("bought",),
    "catch": ("caught",),
    "choose": ("chose", "chosen"),
    "come": ("came",),
    "cut": ("cut",),
    "do": ("did", "done", "does"),
    "drink": ("drank", "drunk"),
    "drive": ("drove", "driven"),
    "eat": ("ate", "eaten"),
    "fall": ("fell", "fallen"),
    "feel": ("felt",),
    "find": ("found",),
    "forget": ("forgot", "forgotten"),
    "get": ("got", "gotten"),
    "give": ("gave", "given"),
    "go": ("went", "gone", "goes"),
    "hang": ("hung",),
    "have": ("had", "has"),
    "hide": ("hid", "hidden"),
    "hit": ("hit",),
    "hold": ("held",),
    "hurt": ("hurt",),
    "keep": ("kept",),
    "know": ("knew", "known"),
    "leave": ("left",),
    "lose": ("lost",),
    "make": ("made",),
    "put": ("put",),
    "read": ("read",),
    "run": ("ran",),
    "say": ("said",),
    "see": ("saw", "seen"),
    "sell": ("sold",),
    "send": ("sent",),
    "shoot": ("shot",),
    "sleep": ("slept",),
    "slide": ("slid",),
    "speak": ("spoke", "spoken"),
    "spend": ("spent",),
    "stand": ("stood",),
    "steal": ("stole", "stolen"),
    "stick": ("stuck",),
    "swear": ("swore", "sworn"),
    "take": ("took", "taken"),
    "teach": ("taught",),
    "tear": ("tore", "torn"),
    "tell": ("told",),
    "think": ("thought",),
    "throw": ("threw", "thrown"),
    "wake": ("woke", "woken"),
    "wear": ("wore", "worn"),
    "write": ("wrote", "written"),
    "knife": ("knives",),
    "life": ("lives",),
    "wife": ("wives",),
}
_VOWELS = "aeiou"
_FAMILY_RE = re.compile(r"\{=([a-z' |-]+)\}")


def _syllables(word: str) -> int:
    return len(re.findall(r"[aeiouy]+", word))


def _doubles(word: str) -> bool:
    """stop -> stopped, travel -> travelled: a final consonant after a single vowel."""
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS + "wxy"
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
        and (_syllables(word) == 1 or word.endswith("l"))
    )


@functools.lru_cache(maxsize=4096)
def forms(word: str) -> tuple[str, ...]:
    """The word and its inflections, longest first (so an alternation prefers the longest)."""
    w = word.lower()
    out = {w, *_IRREGULAR.get(w, ())}
    if " " in w:  # a phrasal verb: inflect the verb, keep the rest ("go through" -> "went through")
        first, rest = w.split(" ", 1)
        return tuple(sorted({f"{f} {rest}" for f in forms(first)}, key=lambda s: (-len(s), s)))
    # -s / -es / -ies
    if re.search(r"(?:s|x|z|ch|sh)$", w):
        out.add(w + "es")
    elif re.search(r"[^aeiou]y$", w):
        out.add(w[:-1] + "ies")
    else:
        out.add(w + "s")
    # -ed and -ing
    if w.endswith("ie"):
        out |= {w + "d", w[:-2] + "ying"}
    elif w.endswith("e") and not w.endswith(("ee", "ye", "oe")):
        out |= {w + "d", w[:-1] + "ing"}
    elif re.search(r"[^aeiou]y$", w):
        out |= {w[:-1] + "ied", w + "ing"}
    else:
        out |= {w + "ed", w + "ing"}
        if _doubles(w):
            out |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return tuple(sorted(out, key=lambda s: (-len(s), s)))


def expand_families(pattern: str) -> str:
    """Replace every ``{=a|b}`` in a pattern by a group of all forms of a and b."""

    def family(m: re.Match[str]) -> str:
        words: set[str] = set()
        for lemma in m.group(1).split("|"):
            if lemma:
                words.update(forms(lemma))
        alts = sorted(words, key=lambda s: (-len(s), s))
        return "(?:" + "|".join(re.escape(a) for a in alts) + ")"

    return _FAMILY_RE.sub(family, pattern)
