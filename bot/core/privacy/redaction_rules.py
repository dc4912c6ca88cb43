"""The named de-identification rules behind :mod:`bot.core.privacy.redaction`: :class:`RuleSet` runs them all.

Pure functions over ``str``: no I/O, no telegram, no storage.  Every rule yields
:class:`Candidate` spans (code-point offsets into the original text) carrying the rule's name, so a
reviewer can see why something was redacted.  Overlaps between candidates are resolved by
:class:`bot.core.privacy.redaction.Redactor`, not here.

The rules live by what they find: numbers and contact details (:mod:`redaction_numbers`), dates
(:mod:`redaction_dates`), ages (:mod:`redaction_ages`), addresses (:mod:`redaction_addresses`), places of care
(:mod:`redaction_places`), names from the word lists (:mod:`redaction_lexicon`), the shapes of rounds three and
seven (:mod:`redaction_shapes`, :mod:`redaction_forms`) and names told by what is said of them
(:mod:`redaction_context`), places and dates written loosely (:mod:`redaction_loose`).
Names found by their context (a title, a relation, an introducing phrase, the lists, propagation) are here, with the
word sets every module reads (:class:`RuleHost`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.first_chars import with_first_chars
from bot.core.privacy.redaction_addresses import AddressRules
from bot.core.privacy.redaction_ages import AgeRules, narrow_age
from bot.core.privacy.redaction_config import RedactionConfig
from bot.core.privacy.redaction_context import ContextRules
from bot.core.privacy.redaction_cues import CueRules
from bot.core.privacy.redaction_dates import DateRules
from bot.core.privacy.redaction_forms import FormRules
from bot.core.privacy.redaction_lexicon import LexiconRules
from bot.core.privacy.redaction_loose import LooseRules
from bot.core.privacy.redaction_numbers import NumberRules
from bot.core.privacy.redaction_patterns import (
    ACRONYMS,
    AGENT_VERBS,
    APPOSITION,
    HSP,
    HSP_LOWER,
    HSP_RUN,
    INITIAL,
    INTRO_INITIAL,
    LO,
    LOWER_TOKEN,
    LOWERCASE_STYLE,
    MONTH_NAMES,
    NAME_TOKEN,
    OBJECT_PHRASE,
    PARTICLES,
    ROLE_AFTER,
    ROLE_NEXT,
    UP,
    Candidate,
    _alt,
    _fold,
    is_sentence_initial,
)
from bot.core.privacy.redaction_places import PlaceRules
from bot.core.privacy.redaction_shapes import MORE_ACRONYMS, ShapeRules
from bot.core.privacy.word_scan import WordStarts, first_words, scan


def _speed_up(holder: object) -> None:
    """Replace each compiled pattern attribute of ``holder`` by its first-character-hinted twin."""
    for attr, value in list(vars(holder).items()):
        if isinstance(value, re.Pattern):
            setattr(holder, attr, with_first_chars(value))


class RuleSet:
    """All rules compiled for one :class:`RedactionConfig`; ``run`` yields every candidate span."""

    def __init__(self, cfg: RedactionConfig, *, first_chars: bool = True) -> None:
        self.cfg = cfg
        self.function_words = _fold(cfg.function_words)
        self.never_names = _fold(cfg.not_names) | self.function_words
        self.not_names = _fold(cfg.not_names_untitled) | self.never_names
        self.first_names = _fold(cfg.first_names)
        self.ambiguous = _fold(cfg.ambiguous_first_names)
        self.inst_after = _fold(cfg.institution_after)
        self.inst_before = _fold(cfg.institution_before) | {"the", "a", "an"}
        self.relation_words = _fold(cfg.relation_words)
        self.speech_verbs = _fold(cfg.speech_verbs)
        self.person_verbs = _fold(cfg.person_verbs) | self.speech_verbs
        self.object_verbs = _fold(cfg.object_verbs)
        self.not_age_units = _fold(cfg.not_age_units)
        self.english = cfg.english_words

        # "Dr Khan", "Dr. Khan", and "Dr.Khan" with no space after the full stop (round 8)
        self.title_re = re.compile(rf"(?<![\w]){_alt(cfg.titles, ignore_case=False)}(?:\.?{HSP}+|\.(?=[{UP}][{LO}]))")
        self.relation_re = re.compile(
            rf"(?<![\w\-]){_alt(cfg.relation_words, ignore_case=False)}(?:{HSP}*,{HSP}*|{HSP}+)"
        )
        self.intro_re = re.compile(
            rf"(?<![\w]){_alt(cfg.intro_phrases, ignore_case=True)}"
            rf"(?:{HSP}+(?i:her|him|them|this{HSP}+(?:patient|lady|man|woman|girl|boy)|the{HSP}+patient))?"
            rf"{HSP}*[,:]?{HSP}*[\"'“‘]?"
        )
        # the words a match of each pattern starts with: it is tried only there (word_scan.scan)
        self.title_starts = first_words(cfg.titles)
        self.relation_starts = first_words(cfg.relation_words)
        self.intro_starts = first_words(cfg.intro_phrases)
        self._memo: tuple[str, frozenset[str]] = ("", frozenset())
        self._starts = WordStarts("")

        if first_chars:  # same matches, found faster (see bot.core.privacy.first_chars); tests compare both ways
            _speed_up(self)
        self.numbers = NumberRules(self)
        self.dates = DateRules(self)
        self.ages = AgeRules(self)
        self.addresses = AddressRules(self)
        self.locations = PlaceRules(self)
        self.lexicon = LexiconRules(self)
        self.shapes = ShapeRules(self)
        self.forms = FormRules(self)
        self.context = ContextRules(self)
        self.loose = LooseRules(self)
        self.cues = CueRules(self)
        self.rules: dict[str, Callable[[str], Iterator[Candidate]]] = {
            "name_title": self.name_title,
            "name_intro": self.name_intro,
            "name_relation": self.name_relation,
            "name_list": self.name_list,
            "name_list_lowercase": self.name_list_lowercase,
            "name_ambiguous_in_context": self.name_ambiguous_in_context,
        }
        parts = (self.numbers, self.dates, self.ages, self.addresses, self.locations, self.lexicon, self.shapes)
        for part in (*parts, self.forms, self.context, self.loose, self.cues):
            if first_chars:
                _speed_up(part)  # before rules(): a one-pattern rule keeps the pattern it is given
            self.rules.update(part.rules())

    # ------------------------------------------------------------------ running

    def run(self, text: str, enabled: Callable[[str], bool]) -> list[Candidate]:
        """All candidates of the enabled rules; the rules that build on others' finds run last (``name_propagation``
        seeded by every name found, the address pieces joined, an age after a name)."""
        found: list[Candidate] = []
        for name, rule in self.rules.items():
            if enabled(name):
                found.extend(rule(text))
        if enabled("name_coordinated"):
            found.extend(self.lexicon.name_coordinated(text, [c for c in found if c.type == "NAME"]))
        if enabled("name_propagation"):
            found.extend(self.name_propagation(text, [c for c in found if c.type == "NAME"]))
        if enabled("location_code_again"):
            found.extend(self.loose.location_code_again(text, [c for c in found if c.type == "LOCATION"]))
        if enabled("address_joined"):
            found.extend(self.addresses.address_joined(text, [c for c in found if c.type == "ADDRESS"]))
        if enabled("address_before_postcode"):
            found.extend(self.addresses.address_before_postcode(text, [c for c in found if c.type == "POSTCODE"]))
        if enabled("date_series"):
            found.extend(self.cues.date_series(text, [c for c in found if c.type == "DATE"]))
        if enabled("age_after_name"):
            found.extend(self.ages.age_after_name(text, [c for c in found if c.type == "NAME"]))
        if enabled("age_forms"):
            found.extend(self.forms.age_after_name_verb(text, [c for c in found if c.type == "NAME"]))
        return [narrow_age(text, c) if c.type == "AGE" else c for c in found]

    def words(self, text: str) -> frozenset[str]:
        """The text's words, lower case (memoised for the text being redacted): lets a rule skip a text
        that lacks every word it needs, which keeps a 4 KB message fast."""
        if self._memo[0] is not text:
            self._memo = (text, frozenset(re.findall(r"[^\W\d_]+", text.casefold())))
        return self._memo[1]

    def word_starts(self, text: str) -> WordStarts:
        """Where each word of the text starts (memoised for the text being redacted), for
        :func:`bot.core.privacy.word_scan.scan`."""
        if self._starts.text is not text:
            self._starts = WordStarts(text)
        return self._starts

    # ------------------------------------------------------------------ names

    def _ok_token(self, tok: str, *, first: bool, after_title: bool) -> bool:
        key = tok.casefold()
        if key in self.never_names:
            return False
        if after_title and first:
            return True
        if key in self.not_names or key in self.inst_after:
            return False
        return True

    def name_run(self, text: str, pos: int, *, after_title: bool, max_tokens: int = 4) -> tuple[int, int] | None:
        """Consume capitalised name tokens (and initials after a title) from ``pos``; return the span."""
        start = end = -1
        count = 0
        only_initials = True
        i = pos
        while count < max_tokens:
            tok_at = i
            particles = PARTICLES.match(text, i) if (count > 0 or after_title) else None
            if particles and NAME_TOKEN.match(text, particles.end()):  # "Dr de Souza", "Van der Berg"
                i = particles.end()
            m = NAME_TOKEN.match(text, i)
            is_initial = False
            if m is None and after_title and i == tok_at:
                m = INITIAL.match(text, i)
                is_initial = m is not None
            if m is None or (
                not is_initial and not self._ok_token(m.group(), first=count == 0, after_title=after_title)
            ):
                break
            if is_initial and m.group() == "I" and HSP_LOWER.match(text, m.end()):
                break  # "Dr I think ..."
            if start < 0:
                start = tok_at
            end = m.end()
            only_initials = only_initials and is_initial
            count += 1
            gap = HSP_RUN.match(text, end)
            if gap is None:
                break
            i = gap.end()
        if start < 0 or (only_initials and not after_title):
            return None
        return start, end

    def _institutional(self, text: str, start: int, end: int, *, before: bool = True, digit: bool = True) -> bool:
        """True if the candidate name is part of a place: "Rose Ward", "St Mary's", "the John Radcliffe",
        or (``digit``) is followed by a number ("Ward 7", "Section 2")."""
        after = text[end : end + 60]
        if digit and re.match(rf"{HSP}+[0-9]", after):
            return True
        nxt = re.match(rf"{HSP}+([{UP}][\w]*)", after)
        if nxt and nxt.group(1).casefold() in self.inst_after:
            return True
        if before:
            prev = re.search(r"([\w.'’]+)" + HSP + r"+$", text[max(0, start - 40) : start])
            if prev and prev.group(1).casefold() in self.inst_before:
                # "the Okafor family", "the Nguyen twins": people, not "the Walton" (round 10)
                return not (prev.group(1).casefold() in ("the", "a", "an") and FAMILY_AFTER.match(text, end))
        return False

    def name_title(self, text: str) -> Iterator[Candidate]:
        for m in scan(self.title_re, text, self.word_starts(text), self.title_starts):
            run = self.name_run(text, m.end(), after_title=True)
            if run and not self._institutional(text, *run, before=False, digit=False):
                yield Candidate(run[0], run[1], "NAME", "name_title")

    def _context_name(self, text: str, pos: int, rule: str) -> Iterator[Candidate]:
        run = self.name_run(text, pos, after_title=False)
        if run and not self._institutional(text, *run, before=False):
            yield Candidate(run[0], run[1], "NAME", rule)
            return
        low = LOWER_TOKEN.match(text, pos)
        if low and low.group() not in self.ambiguous:
            word = low.group()
            unknown = (  # "her husband tomasz": not an English word, so a name typed in lower case
                self.english
                and len(word) >= 3
                and word not in self.not_names
                and not all(part in self.english for part in word.split("-"))
                and text[low.end() : low.end() + 1] not in ("'", "’")  # "didn't", "wasn't"
            )
            if word in self.first_names or unknown:
                yield Candidate(low.start(), low.end(), "NAME", rule)

    def name_intro(self, text: str) -> Iterator[Candidate]:
        for m in scan(self.intro_re, text, self.word_starts(text), self.intro_starts):
            found = [c for c in self._context_name(text, m.end(), "name_intro") if not self._plain_word(text, c)]
            yield from found
            initial = None if found else INTRO_INITIAL.match(text, m.end())
            letters = initial.group().rstrip(".") if initial else ""
            acronym = letters in ACRONYMS or letters in MORE_ACRONYMS  # "we called her CPN"
            if initial and initial.group(1) not in ("I", "A") and not acronym:
                yield Candidate(initial.start(), initial.end(), "NAME", "name_intro")  # "I'll refer to him as R."

    def _plain_word(self, text: str, c: Candidate) -> bool:
        """A title or a thing after "called", not a name: an English plural or an English word that no list holds as
        a name ("a lecture called 'Doctors as patients'", "we called her CPN"); round 11."""
        key = text[c.start : c.end].casefold()
        if " " in key or key not in self.english:
            return False
        if key.endswith("s") and key[:-1] in self.english:
            return True
        return key not in self.first_names and key not in self.ambiguous and key not in self.cfg.listed_first_names \
            and key not in self.cfg.surnames

    def name_relation(self, text: str) -> Iterator[Candidate]:
        for m in scan(self.relation_re, text, self.word_starts(text), self.relation_starts):
            yield from self._context_name(text, m.end(), "name_relation")

    def _listed(self, tok: str) -> bool:
        key = tok.casefold()
        if key in self.first_names:
            return True
        head = key.split("-")[0]
        return head != key and head in self.first_names and head not in self.ambiguous

    def name_list(self, text: str) -> Iterator[Candidate]:
        for m in NAME_TOKEN.finditer(text):
            key = m.group().casefold()
            if not self._listed(m.group()) or key in self.ambiguous or key in self.not_names:
                continue
            run = self.name_run(text, m.start(), after_title=False, max_tokens=3)
            if run is None or self._institutional(text, *run):
                continue
            yield Candidate(run[0], run[1], "NAME", "name_list")

    def name_list_lowercase(self, text: str) -> Iterator[Candidate]:
        """Listed first names in lower case, only in text typed in lower case ("i think jess was ...")."""
        if not LOWERCASE_STYLE.search(text) and any(c.isupper() for c in text):
            return
        for m in LOWER_TOKEN.finditer(text):
            key = m.group()
            if key in self.first_names and key not in self.ambiguous and key not in self.not_names:
                yield Candidate(m.start(), m.end(), "NAME", "name_list_lowercase")

    def _ambiguous_in_context(self, text: str, m: re.Match[str]) -> tuple[int, int] | None:
        tok = m.group()
        is_month = tok.casefold() in MONTH_NAMES
        if self._institutional(text, m.start(), m.end()):
            return None
        initial = is_sentence_initial(text, m.start())
        after = text[m.end() : m.end() + 60]
        run = self.name_run(text, m.start(), after_title=False, max_tokens=3)
        if run and run[1] > m.end():  # followed by a surname: "Grace Okafor"
            return run
        verb = re.match(r"[ \u00a0]+([a-z'’]+)", after)
        if verb:
            v = verb.group(1)
            if v in self.speech_verbs or (not initial and not is_month and v in self.person_verbs):
                return m.start(), m.end()
            if not is_month and v in AGENT_VERBS:  # "Bill kept asking": a thing doesn't keep asking
                return m.start(), m.end()
        if not is_month and APPOSITION.match(after):  # "Rose, the patient in bed 2,", "Patience, who"
            return m.start(), m.end()
        role = ROLE_AFTER.match(after)
        if not is_month and role and (role.group(1) in self.relation_words or role.group(2) in self.relation_words):
            return m.start(), m.end()  # "Summer was the student nurse", "Precious was the nurse in charge"
        if not is_month and OBJECT_PHRASE.search(text, max(0, m.start() - 30), m.start()):
            return m.start(), m.end()  # "I spoke to Sunny", "we looked after Patience"
        role_next = ROLE_NEXT.match(after)  # "Mark the charge nurse", "Joy from the discharge team"
        next_role = role_next.group("role") if role_next else None
        if not is_month and role_next and (next_role is None or next_role in self.relation_words):
            return m.start(), m.end()
        if not is_month and re.match(r"['’]s[ \u00a0]+[a-z]", after):
            return m.start(), m.end()
        if not is_month and PERSON_PREDICATE.match(after):  # "Summer was 15", "Rose was sitting up in bed"
            return m.start(), m.end()
        if not initial and not is_month:
            prev = re.search(r"([a-z]+)[ \u00a0]+$", text[max(0, m.start() - 30) : m.start()])
            if prev and prev.group(1) in self.object_verbs:
                return m.start(), m.end()
        return None

    def name_ambiguous_in_context(self, text: str) -> Iterator[Candidate]:
        for m in NAME_TOKEN.finditer(text):
            if m.group().casefold() in self.ambiguous:
                span = self._ambiguous_in_context(text, m)
                if span:
                    yield Candidate(span[0], span[1], "NAME", "name_ambiguous_in_context")

    def name_propagation(self, text: str, names: list[Candidate]) -> Iterator[Candidate]:
        """Other capitalised occurrences of a token already found as a name in the same text."""
        tokens: set[str] = set()
        for c in names:
            for m in NAME_TOKEN.finditer(text, c.start, c.end):
                if m.group().casefold() not in self.function_words and len(m.group()) > 1:
                    tokens.add(m.group())
        if not tokens:
            return
        for start, end in _occurrences(text, tokens):
            word = text[start:end]
            key = word.casefold()
            plural = word not in tokens  # "the Winstons": people like him, where "the Walton" is a place
            if self._institutional(text, start, end, before=not plural):
                continue
            if (key in self.ambiguous or key in self.not_names) and is_sentence_initial(text, start):
                # already known as a name here, so a following verb or possessive is enough ("Hope was upset")
                follow = re.match(r"(?:['’]s|[ \u00a0]+([a-z'’]+))", text[end : end + 40])
                if not follow or (follow.group(1) is not None and follow.group(1) not in self.person_verbs):
                    continue
            yield Candidate(start, end, "NAME", "name_propagation")


def _is_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch == "_")


def _occurrences(text: str, tokens: set[str]) -> list[tuple[int, int]]:
    """Where each token stands as a whole word (or with a plural "s"), as the pattern
    ``(?<![\\w'’-])(?:tokens)(?:s(?!\\w))?(?!\\w)`` would find it, without compiling a pattern for every text
    (a compile cost more than the rest of the rule; round 11)."""
    found: set[tuple[int, int]] = set()
    for tok in tokens:
        i = text.find(tok)
        while i >= 0:
            prev = text[i - 1] if i else ""
            if not (_is_word_char(prev) or prev in ("'", "’", "-")):
                end = i + len(tok)
                if text[end : end + 1] == "s" and not _is_word_char(text[end + 1 : end + 2]):
                    end += 1  # "the Winstons"
                if not _is_word_char(text[end : end + 1]):
                    found.add((i, end))
            i = text.find(tok, i + 1)
    return sorted(found)


# what only a person is after "was", "is" or "had been": an age, a posture, a life event ("Summer was 15 and
# pregnant", "Will is only 19", "Rose was sitting up in bed", "Dawn had been sober for years"); round four
PERSON_PREDICATE = re.compile(
    r"[ \u00a0]+(?:was|is|had[ \u00a0]+been|has[ \u00a0]+been)[ \u00a0]+"
    r"(?:only[ \u00a0]+|just[ \u00a0]+|nearly[ \u00a0]+|barely[ \u00a0]+)?"
    r"(?:[0-9]{1,3}(?![0-9%:./])(?![ \u00a0]*(?:%|percent|mg|kg|ml|minutes|hours|days|weeks|months|am|pm))"
    r"|(?:sitting|lying|sat|standing|crying|sobbing|asleep|awake|smiling|waiting|married|widowed|pregnant|"
    r"discharged|admitted|transferred|sober|born|diagnosed|sectioned|readmitted|intubated|ventilated|bed-bound|"
    r"housebound|a[ \u00a0]+(?:care|dinner|lollipop|school|retired|former|single|young|widowed)[ \u00a0]+\w+)\b)"
)
# a family or its members after "the X" (round 10): "the Okafor family", "the Nguyen twins"
FAMILY_AFTER = re.compile(
    r"(?:['’]s)?[ \u00a0]+(?:family|family's|families|household|twins|triplets|brothers|sisters|boys|girls|kids)\b"
)
