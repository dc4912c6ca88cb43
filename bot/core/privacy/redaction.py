"""Rule-based de-identification of student reflections before researchers see them.

Pure domain code: no telegram, no storage, no network.  The rules live in
:mod:`bot.core.privacy.redaction_rules`; their word lists and switches in ``prompts/redaction.toml``.

Usage::

    from bot.core.privacy.redaction import Redactor, redact
    redact("Mrs Jones, DOB 12/03/1961, rang from 07700 900123")
    # -> 'Mrs [NAME], DOB [DATE], rang from [PHONE]'
    result = Redactor.from_toml().redact(text, extra_spans=[(10, 17, "NAME")])
    result.text, result.spans   # spans are offsets into the ORIGINAL text

Placeholders are typed: ``[NAME]``, ``[NHS_NUMBER]``, ``[HOSPITAL_NUMBER]``, ``[DATE]``, ``[PHONE]``,
``[EMAIL]``, ``[POSTCODE]``, ``[AGE]``, ``[ADDRESS]`` (street addresses, flat and house names),
``[LOCATION]`` (wards, units, hospitals, GP surgeries, care homes by name), and ``[REDACTED]`` for a
researcher-marked span without a type.  Text outside the spans is copied through unchanged, character for character.
Offsets are Python ``str`` indices (Unicode code points), end exclusive.

Policy decisions (each can be revisited in the TOML or here):

* **NHS numbers.**  Ten digits, bare or grouped 3-3-4 with one kind of separator (space, dash,
  en-dash, no-break space), typed ``NHS_NUMBER`` only if the modulus-11 check digit is valid.  A
  ten-digit number of the same shape with an *invalid* check digit is still almost certainly an
  identifier (a mistyped NHS number, a CHI or hospital number), so it is redacted as
  ``HOSPITAL_NUMBER`` (rule ``nhs_like_invalid_checksum``): that placeholder doubles as the generic
  "other patient identifier" type, keeping the placeholder set fixed.  After a keyword such as
  "MRN", "hospital no." or "NHS number", the following identifier is redacted whatever its shape,
  typed ``NHS_NUMBER`` if it is ten digits with a valid check digit.
* **Names.**  The title stays and only the name is replaced ("Dr [NAME]"), so role and gender,
  which matter for the research, survive.  Names are found by: a title (Mr, Mrs, Dr, Sister, Herr...),
  an introducing phrase ("called", "I'll call her", "refer to him as R."), a relation or role word
  ("her son Tom", "my consultant, Patel", "her husband tomasz"), initials ("Mr K.", "patient JD"),
  the name lists (US Census 1990 first names and surnames in ``prompts/names/``, plus the TOML list)
  for any word that is not also an English word, in any case and anywhere ("Brennan", "siobhan"), the
  lexicon (a capitalised word mid-sentence that is no English word and no known place, language or
  medicine: "Okonkwo"), and propagation (a token found as a name is a name everywhere else in the
  same text).  First names that are also ordinary words (Will, May, Hope, Grace, Joy, Bill, Mark,
  Rose...) are only redacted when context marks them as names.  Towns are not names ("in Ruthin").
* **Places of care** (LOCATION).  Wards, units, hospitals, GP surgeries, care homes and hospices by
  name: capitalised words before Ward / Unit / Hospital / Surgery / Practice / Care Home..., "Ward 4B",
  well-known hospitals and units by their short names ("Alder Hey", "the Maudsley", "St Mary's"), and a
  proper name where a patient is sent or treated ("transferred to Heartlands").  Generic units ("the
  stroke unit", "Intensive Care Unit", "ITU") are kept.
* **Ages.**  Exact ages are redacted, the number only ("a [AGE] year old", "[AGE]M", "aged [AGE]", "she was
  [AGE]"), so the unit and the sex stay readable.  Decades ("in her 80s", "in his seventies") are left: they
  are already aggregated and clinically useful.
* **Dates.**  Day-level dates in every common form, partial ones ("the 28th", "01/06", "Tues 14/11"),
  month + year ("October 2022") and named occasions with a year or naming one day ("Christmas 2023",
  "Boxing Day") are redacted; a weekday, a month or a year on its own is not, nor durations or times.
* **Postcodes.**  Full postcodes with a real UK area code; outward codes alone ("SW1") are left.
* **Addresses.**  A house number and a street ("12 Acacia Road", "14 Heol y Coed"), a street by name
  ("Church Lane", "Stryd Fawr"), flat and house names ("Flat 4B", "Rose Cottage", "Bryn Awel", "The Old
  Vicarage").  Town names are not redacted.
* **Invisible characters and look-alikes.**  The rules read the text folded by
  :mod:`bot.core.safety.textnorm` and spans are mapped back, so a zero-width space or a soft hyphen inside an
  identifier, or a Cyrillic letter in a name, changes nothing; the whole original stretch is replaced.
* **Overlaps.**  Overlapping candidates are merged into one span covering all of them (so nothing any
  rule flagged leaks); it takes the type of the longest candidate, ties broken by ``priority`` in the
  TOML.  Researcher-marked ``extra_spans`` always win the type, and are redacted even if their type
  is switched off.  Adjacent NAME spans separated only by spaces are merged ("Sarah" + "Jones").

Optional NER: pass any callable ``ner(text) -> Iterable[Span]`` (offsets into ``text``); its spans
are added as candidates (rule ``ner``), filtered by the enabled types.  Nothing here imports an NER
library; a deployment plugs one in, e.g. with spaCy installed in that deployment only::

    import spacy
    nlp = spacy.load("en_core_web_sm")
    LABELS = {"PERSON": "NAME", "DATE": "DATE"}

    def spacy_ner(text: str) -> list[Span]:
        return [Span(e.start_char, e.end_char, LABELS[e.label_], e.text)
                for e in nlp(text).ents if e.label_ in LABELS]

    redactor = Redactor.from_toml(ner=spacy_ner)

The evaluation on the gold corpus: ``python benchmarks/redaction_eval.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from bot.core.privacy.redaction_config import ALL_RULES, ALL_TYPES, DEFAULT_TOML, RedactionConfig
from bot.core.privacy.redaction_patterns import Candidate, is_valid_nhs_number, nhs_check_digit
from bot.core.privacy.redaction_rules import RuleSet
from bot.core.safety.textnorm import fold

__all__ = [
    "ALL_RULES",
    "ALL_TYPES",
    "DEFAULT_TOML",
    "RedactionConfig",
    "RedactionResult",
    "Redactor",
    "Span",
    "default_redactor",
    "is_valid_nhs_number",
    "nhs_check_digit",
    "redact",
]

UNTYPED = "REDACTED"


class Found(Protocol):
    """What an NER hook returns: offsets into the text it was given, and a type."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def type(self) -> str: ...


_TYPE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Span:
    """A redacted stretch of the original text: ``text == original[start:end]``."""

    start: int
    end: int
    type: str
    text: str
    rule: str = field(default="", compare=False)  # which rule found it ("extra" for researcher spans)


@dataclass(frozen=True)
class RedactionResult:
    text: str  # the redacted text
    spans: tuple[Span, ...]  # what was replaced, as offsets into the original text


class Redactor:
    """Finds identifiers with the named rules and replaces them with typed placeholders."""

    def __init__(
        self,
        config: RedactionConfig | None = None,
        ner: Callable[[str], Iterable[Found]] | None = None,
    ) -> None:
        self.config = config if config is not None else RedactionConfig.from_toml()
        self.ner = ner
        self._rules = RuleSet(self.config)
        self._rank = {t: i for i, t in enumerate(self.config.priority)}

    @classmethod
    def from_toml(cls, path: Path | None = None, *, ner: Callable[[str], Iterable[Found]] | None = None) -> Redactor:
        return cls(RedactionConfig.from_toml(path), ner=ner)

    # ------------------------------------------------------------------ finding

    def _enabled_rule(self, name: str) -> bool:
        return name not in self.config.disabled_rules

    def candidates(self, text: str) -> list[Candidate]:
        """Every candidate of the enabled rules and types, before overlaps are resolved.

        The rules read the folded text (no invisible characters, no look-alike letters, see
        :mod:`bot.core.safety.textnorm`); each candidate is mapped back to offsets into ``text``, covering any
        invisible character inside it, so "943\u200b476\u200b5919" is redacted whole."""
        folded = fold(text)
        found = self._rules.run(folded.text, self._enabled_rule)
        if self.ner is not None and self._enabled_rule("ner"):
            english = self.config.english_words
            for s in self.ner(folded.text):
                if not 0 <= s.start < s.end <= len(folded.text):
                    continue
                word = folded.text[s.start : s.end]
                if s.type == "NAME" and word[:1].islower() and word.casefold() in english:
                    continue  # "her son Ravi rang twice": a lower-case English word is left to the rules
                found.append(Candidate(s.start, s.end, s.type, "ner"))
        if folded.changed:
            found = [Candidate(*folded.span(c.start, c.end), c.type, c.rule) for c in found]
        return [c for c in found if c.type in self.config.enabled_types or (c.rule == "ner" and c.type == UNTYPED)]

    def find(self, text: str) -> list[Span]:
        """Non-overlapping identifier spans, sorted by position."""
        return self._resolve(text, self.candidates(text), extra=())

    def _resolve(self, text: str, found: list[Candidate], extra: Iterable[Candidate]) -> list[Span]:
        extra = list(extra)
        extra_ids = {id(c) for c in extra}
        merged: list[Span] = []
        everything = sorted([*found, *extra], key=lambda c: (c.start, -c.end))
        i = 0
        while i < len(everything):
            group = [everything[i]]
            end = everything[i].end
            j = i + 1
            while j < len(everything) and everything[j].start < end:
                group.append(everything[j])
                end = max(end, everything[j].end)
                j += 1
            best = max(
                group,
                key=lambda c: (id(c) in extra_ids, c.end - c.start, -self._rank.get(c.type, len(self._rank))),
            )
            start = group[0].start
            merged.append(Span(start, end, best.type, text[start:end], best.rule))
            i = j
        return self._join_names(text, merged)

    @staticmethod
    def _join_names(text: str, spans: list[Span]) -> list[Span]:
        out: list[Span] = []
        for s in spans:
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.type == s.type == "NAME"
                and text[prev.end : s.start].strip(" \u00a0") == ""
                and "\n" not in text[prev.end : s.start]
            ):
                out[-1] = Span(prev.start, s.end, "NAME", text[prev.start : s.end], prev.rule)
            else:
                out.append(s)
        return out

    # ------------------------------------------------------------------ redacting

    def redact(self, text: str, extra_spans: Iterable[tuple[int, int, str | None]] = ()) -> RedactionResult:
        """Replace rule spans and researcher-marked ``extra_spans`` ``(start, end, type)`` with
        placeholders.  An empty or None type gives ``[REDACTED]``."""
        extra: list[Candidate] = []
        for start, end, typ in extra_spans:
            if not (0 <= start < end <= len(text)):
                raise ValueError(f"extra span ({start}, {end}) is outside the text (length {len(text)})")
            name = (typ or "").strip().upper() or UNTYPED
            if not _TYPE_RE.match(name):
                raise ValueError(f"bad span type {typ!r}")
            extra.append(Candidate(start, end, name, "extra"))
        spans = self._resolve(text, self.candidates(text), extra)
        parts: list[str] = []
        pos = 0
        for s in spans:
            parts.append(text[pos : s.start])
            parts.append(self.config.placeholder.format(type=s.type))
            pos = s.end
        parts.append(text[pos:])
        return RedactionResult("".join(parts), tuple(spans))


@lru_cache(maxsize=1)
def default_redactor() -> Redactor:
    """The redactor configured by ``prompts/redaction.toml`` with the learned tagger beside its rules, when the
    tagger is installed (``prompts/redaction_model/``; :mod:`bot.core.privacy.redaction_tagger`), loaded once."""
    from bot.core.privacy.redaction_tagger import Tagger  # onnxruntime: only when something redacts

    return Redactor.from_toml(ner=Tagger.load())


def redact(text: str) -> str:
    """Redact ``text`` with the default rules."""
    return default_redactor().redact(text).text
