"""Who a safeguarding hit is about: sentences, quotations, the people a message names and whose words are whose.

``MessageText`` holds one normalised message and answers the subject questions (step 4 and 5 of the reading in
docs/safeguarding.md, "How the rules are built"); ``safeguarding_analysis`` builds on it.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Literal

from bot.core.safety.safeguarding_compile import CompiledRules, Rule
from bot.core.safety.safeguarding_verdict import Category, Subject

_OBJECT_PREPOSITIONS = frozenset(("of", "for", "about", "with", "without", "around", "towards"))


@dataclass(frozen=True)
class Ref:
    kind: Literal["first", "third", "generic", "indefinite", "peer", "staff", "patient"]
    start: int
    end: int


_GENDER = {
    **dict.fromkeys(("he", "him", "his", "himself", "he's", "he'd", "he'll"), "m"),
    **dict.fromkeys(("she", "her", "hers", "herself", "she's", "she'd", "she'll"), "f"),
    **dict.fromkeys(("they", "them", "their", "theirs", "themselves", "themself", "they're", "they'd"), "t"),
}
_DETERMINERS = frozenset(
    ("the", "my", "our", "his", "her", "their", "this", "that", "these", "those", "a", "an", "one", "another", "both")
)


def _generic_plural(words: list[str]) -> bool:
    """A bare plural noun phrase ("doctors", "four doctors", "patients"): people in general."""
    last = words[-1] if words else ""
    return last.endswith("s") and not last.endswith("ss") and not (set(words[:-1]) & _DETERMINERS) and words[0] != "mr"


_SENTENCE_END_RE = re.compile(r"[.!?…]+(?=[\s\"')\]]|$)|\n+|;")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "e.g", "i.e", "etc", "vs", "approx", "no", "st", "pt"})
_DQUOTE_RE = re.compile(r'"([^"\n]{1,400})"')
_SQUOTE_OPEN_RE = re.compile(r"(?:(?<=^)|(?<=[\s(\[:,]))'(?=[a-z0-9])")
_SQUOTE_CLOSE_RE = re.compile(r"(?<=[a-z0-9.!?,])'(?=[\s.,!?;:)\]]|$)")


def done_to_student(rule: Rule) -> bool:
    """A harassment rule written in the first person ("... touched my leg"): the student is the one it happened to,
    also in reported speech ("he said I should go back to my own country": he said it to the student)."""
    return rule.subject == "student" and rule.category is Category.HARASSMENT


def sentences(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences of ``text`` ("Mr B." does not end one)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        if m.group(0).startswith("."):
            before = re.search(r"([a-z.]+)$", text[start : m.start()])
            if before and before.group(1) in _ABBREVIATIONS and len(m.group(0)) == 1:
                continue
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]

def quotes(text: str) -> list[tuple[int, int]]:
    """The spans inside quotation marks, double or single, in order."""
    spans = [(m.start(1), m.end(1)) for m in _DQUOTE_RE.finditer(text)]
    opens = [m.start() for m in _SQUOTE_OPEN_RE.finditer(text)]
    closes = [m.start() for m in _SQUOTE_CLOSE_RE.finditer(text)]
    i = j = 0
    while i < len(opens) and j < len(closes):
        if closes[j] <= opens[i]:
            j += 1
            continue
        # the last opening quote before this close
        k = i
        while k + 1 < len(opens) and opens[k + 1] < closes[j]:
            k += 1
        if "\n" not in text[opens[k] : closes[j]]:
            spans.append((opens[k] + 1, closes[j]))
        i, j = k + 1, j + 1
    return sorted(spans)

def person_refs(rules: CompiledRules, text: str) -> list[Ref]:
    """The people ``text`` names (noun phrases of the rule file, then pronouns), in order."""
    covered = bytearray(len(text))
    refs: list[Ref] = []
    # noun phrases: leftmost-longest wins ("one of my friends" over "my friends"); on equal
    # spans the earlier kind in the file (peer, staff, patient) wins
    candidates = sorted(
        (m.start(), -(m.end() - m.start()), order, kind, m.end())
        for order, (kind, pattern) in enumerate(rules._np_res)
        for m in pattern.finditer(text)
        if m.end() > m.start()
    )
    for start, _, _, kind, end in candidates:
        if any(covered[start:end]):
            continue
        words = text[start:end].split()
        if kind in ("staff", "patient") and _generic_plural(words):
            kind = "indefinite"  # "doctors who...", "one in four doctors": nobody in particular
        refs.append(Ref(kind, start, end))  # type: ignore[arg-type]
        covered[start:end] = b"\x01" * (end - start)
    if rules._pronoun_re is not None:
        for m in rules._pronoun_re.finditer(text):
            if any(covered[m.start() : m.end()]):
                continue
            refs.append(Ref(rules._pronoun_kinds[m.group(0)], m.start(), m.end()))  # type: ignore[arg-type]
    refs.sort(key=lambda r: r.start)
    return refs


class MessageText:
    """One normalised message: its sentences, quotations and people, and whom each part of it is about."""

    def __init__(self, rules: CompiledRules, text: str) -> None:
        self.r = rules
        self.text = text
        self.sentences = sentences(text)
        self.sentence_starts = [s for s, _ in self.sentences]

    # Quotes and people are worked out only when a pattern matched: most messages never need them.

    @functools.cached_property
    def quotes(self) -> list[tuple[int, int]]:
        return quotes(self.text)

    @functools.cached_property
    def refs(self) -> list[Ref]:
        return person_refs(self.r, self.text)

    def _sentence_of(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.sentence_starts, pos) - 1
        if i >= 0 and pos < self.sentences[i][1]:
            return self.sentences[i]
        return 0, len(self.text)

    # -- who is it about ---------------------------------------------------------------------

    def _ref_subject(self, ref: Ref) -> Subject | None | Literal["generic"]:
        if ref.kind == "first":
            return Subject.STUDENT
        if ref.kind in ("peer", "staff"):
            return Subject.OTHER
        if ref.kind == "patient":
            return Subject.PATIENT
        if ref.kind == "generic":
            return "generic"
        if ref.kind == "indefinite":
            return None
        return self._antecedent(ref)

    def _plural(self, ref: Ref) -> bool:
        words = self.text[ref.start : ref.end].split()
        return (
            bool(words)
            and words[0] != "one"
            and words[-1].endswith("s")
            and not words[-1].endswith("ss")
            and words[0] not in ("mr", "mrs", "ms", "miss", "dr")
        )

    def _antecedent(self, ref: Ref) -> Subject:
        """Who a third-person pronoun refers to: an earlier pronoun of the same gender chains to its
        own antecedent ("he keeps telling the nurses he ..."); singular pronouns skip plural noun
        phrases; otherwise the nearest noun phrase, a patient winning over staff nearby."""
        gender = _GENDER.get(self.text[ref.start : ref.end])
        before: list[Ref] = []
        for r in reversed([r for r in self.refs if r.end <= ref.start]):
            if (
                r.kind == "third"
                and gender
                and _GENDER.get(self.text[r.start : r.end]) == gender
                and all(b.kind == "staff" for b in before)
            ):
                # "he told the nurse he felt trapped": the one talking, not the member of staff told
                return self._antecedent(r)
            if r.kind in ("peer", "staff", "patient"):
                if gender in ("m", "f") and self._plural(r):
                    continue
                before.append(r)
        before.reverse()
        if not before:
            return Subject.PATIENT
        nearest = before[-1]
        if nearest.kind == "peer":
            return Subject.OTHER
        if nearest.kind == "patient":
            return Subject.PATIENT
        # staff is nearest; a patient named in this or the previous sentence wins
        sent_start = self._sentence_of(ref.start)[0]
        prev = [sp for sp in self.sentences if sp[1] <= sent_start]
        window_start = prev[-1][0] if prev else sent_start
        if any(r.kind == "patient" and r.start >= window_start for r in before):
            return Subject.PATIENT
        return Subject.OTHER

    def _quote_at(self, s: int) -> tuple[int, int] | None:
        for a, b in self.quotes:
            if a <= s < b:
                return a, b
        return None

    def _subject(self, rule: Rule, s: int, e: int) -> tuple[Subject | None, bool, bool, bool]:
        """(subject, quoted, reported, topic)."""
        if rule.subject == "patient":
            return Subject.PATIENT, self._quote_at(s) is not None, False, False
        sent_start, _ = self._sentence_of(s)
        quote = self._quote_at(s)
        if rule.subject == "student":
            subj: Subject | None | Literal["generic"] = Subject.STUDENT
        else:
            subj = self._infer(rule, s, e, sent_start if quote is None else quote[0])
        if quote is not None:
            if subj == "generic":
                return None, True, False, True
            own = done_to_student(rule) or self._own_quote(quote, sent_start)
            if subj in (Subject.STUDENT, None) and not own:
                return self._speaker_before(quote[0]), True, True, False
            return (subj if subj != "generic" else rule.default_subject), True, False, subj is None
        if subj == "generic":
            subj = rule.default_subject
        if subj is Subject.STUDENT and not done_to_student(rule):
            speaker = self._reported_speaker(s, sent_start)
            if speaker is not None:
                return speaker, False, True, False
        return subj, False, False, subj is None

    def _infer(self, rule: Rule, s: int, e: int, scope_start: int) -> Subject | None | Literal["generic"]:
        if rule.subject_ref == "auto":
            # pronouns inside the match ("kill himself", "all my pills"); noun phrases inside a match
            # are objects or actors ("letters to my family"), not who it is about
            inside = [r for r in self._refs_starting(s, e) if r.end <= e and r.kind in ("first", "third", "generic")]
            if inside:
                return self._ref_subject(inside[0])
        before = [r for r in self._refs_starting(scope_start, s) if r.end <= s]
        # a person after a preposition is an object, not who the clause is about: "i can't quit because of my
        # family and can't keep going" is the student's; a pronoun chain ("with my friend, she...") still counts
        subjects = [r for r in before if r.kind in ("first", "third", "generic") or not self._after_preposition(r)]
        if subjects:
            return self._ref_subject(subjects[-1])
        if before:
            return self._ref_subject(before[-1])
        return rule.default_subject

    @functools.cached_property
    def _ref_starts(self) -> list[int]:
        return [r.start for r in self.refs]

    def _refs_starting(self, lo: int, hi: int) -> list[Ref]:
        """The refs (sorted by start) that start at ``lo`` or later and before ``hi``."""
        starts = self._ref_starts
        return self.refs[bisect.bisect_left(starts, lo) : bisect.bisect_left(starts, hi)]

    def _after_preposition(self, ref: Ref) -> bool:
        words = self.text[max(0, ref.start - 20) : ref.start].split()
        return bool(words) and words[-1] in _OBJECT_PREPOSITIONS

    def _own_quote(self, quote: tuple[int, int], sent_start: int) -> bool:
        r = self.r
        intro = self.text[sent_start : max(sent_start, quote[0] - 1)]
        if r._own_quote_intro is not None and r._own_quote_intro.search(intro):
            return True
        outro = self.text[quote[1] + 1 : quote[1] + 60]
        return bool(r._own_quote_outro is not None and r._own_quote_outro.search(outro))

    def _speaker_before(self, pos: int) -> Subject:
        """Whose words a quotation is: the subject of a speech verb before it ("the teenager told the
        nurse '...'"), else the nearest third person before it, else the patient."""
        limit = pos
        if self.r._speech_re is not None:
            sent_start = self._sentence_of(pos)[0]
            verbs = list(self.r._speech_re.finditer(self.text, sent_start, pos))
            if verbs:
                limit = verbs[-1].start()
                in_sentence = [r for r in self.refs if sent_start <= r.start and r.end <= limit]
                if in_sentence and in_sentence[-1].kind not in ("first", "generic", "indefinite"):
                    subj = self._ref_subject(in_sentence[-1])
                    if isinstance(subj, Subject):
                        return subj
        for ref in reversed([r for r in self.refs if r.end <= pos]):
            if ref.kind in ("first", "generic", "indefinite"):
                continue
            subj = self._ref_subject(ref)
            if isinstance(subj, Subject):
                return subj
        return Subject.PATIENT

    def _reported_speaker(self, s: int, sent_start: int) -> Subject | None:
        """'she said i want to die' (direct speech without quotation marks) -> her."""
        if self.r._speech_re is None:
            return None
        verbs = list(self.r._speech_re.finditer(self.text, sent_start, s))
        if not verbs:
            return None
        verb = verbs[-1]
        between = self.text[verb.end() : s]
        if re.search(r"[,;:()\"]", between) or not re.match(
            r"^\s*(?:that\s+)?(?:i|i'm|i've|i'd|i'll|me|my)(?!\w)", between
        ):
            return None
        speakers = [r for r in self.refs if r.end <= verb.start() and r.start >= sent_start]
        if not speakers or speakers[-1].kind in ("first", "generic", "indefinite"):
            return None
        subj = self._ref_subject(speakers[-1])
        return subj if isinstance(subj, Subject) else None

