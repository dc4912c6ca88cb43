"""Round 12 de-identification rules: structured identifiers told by a context cue or a broad shape, and two name
shapes the older rules left out.

* ``age_cue``: an age that opens a sentence before what the person is or does ("82 and still driving"), told at the
  end of a clause after "at" ("his first MI at 44.", "diagnosed at thirty"), a person "of" an age ("a toddler of
  2"), "his age as 62", "he must be 80 if he's a day", a list of ages after plural people ("the three patients
  were 72, 80 and 91"), and an age told last in a note (", on apixaban, 84");
* ``date_cue``: "between the 2nd and 9th", an ordinal in words after "on the" ("on the twenty-first");
* ``date_series``: a date found, then another of the same shape after "to", "and", "until" or a dash ("from 1/3
  to 8/3", "between 3rd and 7th");
* ``address_cue``: a boat lived on ("a narrowboat, the Maggie May", "lives aboard Kingfisher"), a lower-case flat
  ("flat 3b"), a house told as an address with words between ("the address on the notes was Rhoslan, Chwilog");
* ``name_cue``: a surname that is also a word after "with" in a clause of the writer's ("I was with Marsh all
  morning", "on call with Heath and Lord"; not "a boy with Down syndrome"), and a hyphenated given name of short
  syllables in no dictionary with the surname after it ("Ji-hoon Park").

Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    DAY,
    HSP,
    LO,
    MEASURE_BEFORE,
    MONTH,
    ORD,
    UP,
    Candidate,
    RuleHost,
    is_sentence_initial,
)
from bot.core.privacy.word_scan import scan

_N = r"(?:1[01][0-9]|[1-9]?[0-9])"
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_WORD_AGE = rf"(?:{_TENS}(?:[\-{HSP[1:-1]}]{_UNITS})?|(?:thir|four|fif|six|seven|eigh|nine)teen)"
AGE_OPENS = re.compile(
    rf"(?P<n>{_N}){HSP}+and{HSP}+(?:still|never|living|alone|newly|recently|already|pregnant|widowed|homeless|"
    rf"single|married|terrified|frightened|scared|fit|well|independent|frail)\b"
)
AGE_AT_END = re.compile(
    rf"(?<![\w])(?i:at)(?:{HSP}+the{HSP}+age{HSP}+of)?{HSP}+(?P<n>1[3-9]|[2-9][0-9]|10[0-9]|(?i:{_WORD_AGE}))"
    rf"(?={HSP}*(?:[.!?;)]|$|\n|,{HSP}*(?i:she|he|they|i|we|which|and|but|so|said|says|apparently)\b))"
)
# a clock time or a measure before "at N": "home at 11", "sats at 94", "meet at 14"
AT_NOT_AGE = re.compile(
    r"(?i:meet|meeting|met|home|back|start|starts|started|finish|finishes|finished|arrive|arrived|leave|left|"
    r"bed|round|handover|clinic|lunch|o'clock|sats|saturating|rate|pulse|hr|bp|gcs|score|scored|level|"
    r"temp|peaked|peak|stable|steady|set|capped|started\s+on|kept|fixed|held|stayed)[ \u00a0]+$"
)
PERSON_OF = re.compile(
    rf"(?<![\w])(?i:toddler|infant|baby|son|daughter|grandson|granddaughter|twins|sister|brother|widow|widower)"
    rf"{HSP}+of{HSP}+(?P<n>{_N})(?![\w%/.:]|\.[0-9])(?!{HSP}+(?:years|yrs|weeks|months|days|minutes|hours)\b)"
)
AGE_AS = re.compile(rf"(?<![\w])(?i:age){HSP}+(?i:as|is|was){HSP}+(?P<n>{_N})(?![\w%/.:]|\.[0-9])")
MUST_BE = re.compile(
    rf"(?<![\w'’])(?i:he|she|they|who|you)(?:['’]d|{HSP}+(?i:must|might|may|could|can['’]?t|cannot|would))"
    rf"{HSP}+be{HSP}+(?:(?i:about|around|nearly|over|at{HSP}+least){HSP}+)?(?P<n>{_N})"
    rf"(?={HSP}*(?:[,.;!?)]|$)|{HSP}+(?i:if|or|at|by|now|and|but)\b)"
)
PLURAL_AGES = re.compile(
    rf"(?<![\w])(?i:patients|children|kids|twins|grandchildren|grandkids|residents|ladies|men|women|sons|daughters|"
    rf"sisters|brothers|siblings|parents){HSP}+(?i:were|are){HSP}+(?:(?i:aged){HSP}+)?"
    rf"(?P<list>{_N}(?:,{HSP}*{_N})*,?{HSP}+(?:and|&){HSP}+{_N})(?![\w%/.:]|\.[0-9])"
)
# an age told last in a line of a note: "..., daughter nearby, 88"; the word before the comma a word, not a result;
# an adult's (a small number there is as often a count: "fluids: thickened, 2")
AGE_LAST = re.compile(rf"(?<=[{UP}{LO}]),{HSP}*(?P<n>1[6-9]|[2-9][0-9]|1[01][0-9]){HSP}*\.?{HSP}*$", re.M)
BETWEEN_ORDS = re.compile(
    rf"(?<![\w])(?i:between){HSP}+(?:(?i:the){HSP}+)?(?P<a>{DAY}{ORD}){HSP}+(?:and|&){HSP}+"
    rf"(?:(?i:the){HSP}+)?(?P<b>{DAY}{ORD})(?:(?:{HSP}+of)?{HSP}+{MONTH})?(?![\w])"
)
_ORDW = (
    "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth "
    "thirtieth"
).split()
_ORDW1 = "first second third fourth fifth sixth seventh eighth ninth".split()
ORD_WORD_DATE = re.compile(
    rf"(?<![\w])(?i:on|by|until|till|since|from|before|after){HSP}+(?i:the){HSP}+"
    rf"(?P<d>(?i:(?:twenty|thirty)[\-{HSP[1:-1]}](?:{'|'.join(_ORDW1)})|{'|'.join(_ORDW)}))(?![\w\-])"
)
DATE_NEXT = re.compile(
    rf"{HSP}*(?:[\-–]|(?i:to|and|until|till|&)){HSP}*(?:(?i:the){HSP}+)?"
    rf"(?P<d>[0-9]{{1,2}}[/.][0-9]{{1,2}}(?:[/.][0-9]{{2,4}})?|{DAY}{ORD})(?![\w/]|\.[0-9])"
)
SHAPE_NUMERIC = re.compile(r"[0-9]{1,2}[/.][0-9]{1,2}(?:[/.][0-9]{2,4})?")
SHAPE_ORD = re.compile(rf"{DAY}{ORD}")
_CAP = rf"[{UP}][{LO}]+"
BOAT = re.compile(
    rf"(?<![\w])(?i:narrowboat|narrow{HSP}+boat|houseboat|barge|boat|yacht|cruiser)"
    rf"(?:{HSP}*,|{HSP}+(?i:called|named))?{HSP}+(?:the{HSP}+)?(?P<a>{_CAP}(?:{HSP}+{_CAP}){{0,2}})(?![\w'’])"
    rf"|(?<![\w])(?i:lives|lived|living|moored)(?:{HSP}+(?i:on|in))?{HSP}+aboard{HSP}+(?:(?i:the){HSP}+)?"
    rf"(?P<b>{_CAP}(?:{HSP}+{_CAP}){{0,2}})(?![\w'’])"
)
LIVE_WORDS = frozenset({"lives", "lived", "living", "live", "home", "moored", "aboard", "address"})
LOWER_FLAT = re.compile(
    r"(?<![\w])(?:flat|apartment|apt)\.?[ \u00a0]*(?P<n>[0-9]{1,3}[a-z]?|[0-9]/[0-9lr]{1,2})(?![\w/])"
)
ADDRESS_TOLD = re.compile(
    rf"(?<![\w])(?i:address)(?:{HSP}+(?:[a-z]+)){{1,4}}{HSP}+(?i:was|is|as){HSP}*:?{HSP}+"
    rf"(?P<a>{_CAP}(?:{HSP}+{_CAP})?(?:,{HSP}*{_CAP}(?:{HSP}+{_CAP})?)?)(?![\w'’])"
)
WITH_NAME = re.compile(
    rf"with{HSP}+(?P<n>[A-Z][a-z]{{2,}})(?![\w'’\-])(?P<more>(?:(?:,{HSP}*|{HSP}+and{HSP}+)[A-Z][a-z]{{2,}}(?![\w'’\-]))*)"
)
# the writer's own clause before "with": "I was", "we spent the afternoon", or a note opened by what they did ("sat in")
WRITER_BEFORE = re.compile(
    rf"(?:(?<![\w'’])(?:I|we|We|I['’]m|I['’]ve|I['’]d)\b|(?:^|(?<=[.!?\n]))[ \u00a0]*(?i:sat|worked|spent|did|"
    rf"shadowed|teaching|clinic|theatre|theatres|nights|on{HSP}+call)\b)[^.!?\n]*$"
)
WITH_NEXT = re.compile(
    r"[ \u00a0]*(?:$|[.,;:!?)\n]|(?i:all|on|in|at|and|for|during|today|yesterday|this|who|when|to|from|until|"
    r"while|before|after|about|over|again|most|every|most|that|last|since|doing|seeing|he|she|they|we)\b)"
)
HYPHEN_NAME = re.compile(rf"(?<![\w'’\-])(?P<n>[A-Z][a-z]{{1,4}}-[a-z]{{2,5}})(?![\w'’\-])(?P<s>{HSP}+[A-Z][a-z]+)?")


PERSON_OF_STARTS = frozenset(
    "toddler infant baby son daughter grandson granddaughter twins sister brother widow widower".split()
)
PLURAL_STARTS = frozenset(
    "patients children kids twins grandchildren grandkids residents ladies men women sons daughters sisters brothers "
    "siblings parents".split()
)
MUST_STARTS = frozenset({"he", "she", "they", "who", "you"})
ORD_WORD_STARTS = frozenset({"on", "by", "until", "till", "since", "from", "before", "after"})
BOAT_STARTS = frozenset({"narrowboat", "narrow", "houseboat", "barge", "boat", "yacht", "cruiser", "lives", "lived",
                         "living", "moored"})  # fmt: skip


class CueRules:
    """The round-12 rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.surnames = cfg.surnames
        self.places = frozenset(p.casefold() for p in cfg.places)

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "age_cue": self.age_cue,
            "date_cue": self.date_cue,
            "address_cue": self.address_cue,
            "name_cue": self.name_cue,
        }

    def age_cue(self, text: str) -> Iterator[Candidate]:
        words = self.base.words(text)
        starts = self.base.word_starts(text)
        if _HAS_DIGIT.search(text):
            if "and" in words:
                for m in AGE_OPENS.finditer(text):
                    if is_sentence_initial(text, m.start()):
                        yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")
                for m in scan(PLURAL_AGES, text, starts, PLURAL_STARTS):
                    for n in re.finditer(r"[0-9]{1,3}", m.group("list")):
                        if int(n.group()) <= 115:
                            yield Candidate(m.start("list") + n.start(), m.start("list") + n.end(), "AGE", "age_cue")
            if "of" in words:
                for m in scan(PERSON_OF, text, starts, PERSON_OF_STARTS):
                    yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")
            if "age" in words:
                for m in scan(AGE_AS, text, starts, frozenset({"age"})):
                    yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")
            if "be" in words:
                for m in scan(MUST_BE, text, starts, MUST_STARTS):
                    yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")
            if "," in text:
                for m in AGE_LAST.finditer(text):
                    line_start = text.rfind("\n", 0, m.start()) + 1
                    if text.count(",", line_start, m.start()) < 1:
                        continue  # one clause and a number: "Seen by Dr Rao, 14" is too little to go on
                    before = text[max(line_start, m.start() - 25) : m.start()]
                    if MEASURE_BEFORE.search(before) or re.search(r"[0-9%]", before[-6:]):
                        continue
                    yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")
        if "at" in words:
            for m in scan(AGE_AT_END, text, starts, frozenset({"at"})):
                before = text[max(0, m.start() - 30) : m.start()]
                if AT_NOT_AGE.search(before) or MEASURE_BEFORE.search(before):
                    continue
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_cue")

    def date_cue(self, text: str) -> Iterator[Candidate]:
        words = self.base.words(text)
        starts = self.base.word_starts(text)
        if "between" in words and _HAS_DIGIT.search(text):
            for m in scan(BETWEEN_ORDS, text, starts, frozenset({"between"})):
                if not self._ordinal_may_end(text, m.end()):
                    continue  # "between 3rd and 4th year", "between the 2nd and 3rd attempts"
                yield Candidate(m.start("a"), m.end("a"), "DATE", "date_cue")
                yield Candidate(m.start("b"), m.end(), "DATE", "date_cue")
        if "the" in words:
            for m in scan(ORD_WORD_DATE, text, starts, ORD_WORD_STARTS):
                if not self._ordinal_may_end(text, m.end("d")):
                    continue  # "on the twentieth floor", "from the twenty-first century"
                yield Candidate(m.start("d"), m.end("d"), "DATE", "date_cue")

    def _ordinal_may_end(self, text: str, end: int) -> bool:
        rest = re.match(rf"{HSP}+([a-z][\w'’]*)", text[end : end + 40])
        word = rest.group(1).casefold() if rest else ""
        return not rest or word in self.base.cfg.ordinal_followers or word in self.base.function_words

    def date_series(self, text: str, dates: list[Candidate]) -> Iterator[Candidate]:
        """A date found and another of its shape after "to", "and", "until" or a dash: "from 1/3 to 8/3"."""
        for c in dates:
            shape = SHAPE_NUMERIC if SHAPE_NUMERIC.fullmatch(text, c.start, c.end) else None
            if shape is None and SHAPE_ORD.search(text, c.start, c.end) and text[c.end - 2 : c.end].isalpha():
                shape = SHAPE_ORD
            if shape is None:
                continue
            m = DATE_NEXT.match(text, c.end)
            if m and shape.fullmatch(m.group("d")):
                if shape is SHAPE_NUMERIC:
                    a, b = (int(x) for x in re.split(r"[/.]", m.group("d"))[:2])
                    if not (1 <= a <= 31 and 1 <= b <= 12):
                        continue
                elif re.match(rf"{HSP}+(?:floor|time|attempt|year|week|day|cycle|dose)", text[m.end() : m.end() + 12]):
                    continue
                yield Candidate(m.start("d"), m.end("d"), "DATE", "date_series")

    def address_cue(self, text: str) -> Iterator[Candidate]:
        words = self.base.words(text)
        starts = self.base.word_starts(text)
        if not words.isdisjoint(LIVE_WORDS):
            for m in scan(BOAT, text, starts, BOAT_STARTS):
                grp = "a" if m.group("a") is not None else "b"
                keys = [w.casefold() for w in m.group(grp).split()]
                called = re.search(r"(?i:called|named)", text[m.start() : m.start(grp)])
                if any((k in self.base.function_words and not called) or k in self.places for k in keys):
                    continue
                yield Candidate(m.start(grp), m.end(grp), "ADDRESS", "address_cue")
        if not words.isdisjoint(("flat", "apartment", "apt")) and _HAS_DIGIT.search(text):
            for m in scan(LOWER_FLAT, text, starts, frozenset({"flat", "apartment", "apt"})):
                unit = re.match(r"[ \u00a0]+([a-z]+)", text[m.end() : m.end() + 20])
                if unit and unit.group(1) in self.base.not_age_units:
                    continue  # "flat 2 days later"
                yield Candidate(m.start(), m.end(), "ADDRESS", "address_cue")
        if "address" in words:
            for m in scan(ADDRESS_TOLD, text, starts, frozenset({"address"})):
                first = m.group("a").split()[0].casefold()
                if first in self.base.function_words or first in self.base.never_names:
                    continue
                yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_cue")

    def _surname_word(self, word: str) -> bool:
        key = word.casefold()
        return key in self.surnames and key not in self.base.never_names and key not in self.places

    def name_cue(self, text: str) -> Iterator[Candidate]:
        if "with" in self.base.words(text):
            for m in scan(WITH_NAME, text, self.base.word_starts(text), frozenset({"with"})):
                if not self._surname_word(m.group("n")) or not WITH_NEXT.match(text, m.end()):
                    continue
                if not WRITER_BEFORE.search(text, max(0, m.start() - 60), m.start()):
                    continue
                yield Candidate(m.start("n"), m.end("n"), "NAME", "name_cue")
                for more in re.finditer(r"[A-Z][a-z]{2,}", m.group("more")):
                    if self._surname_word(more.group()):
                        yield Candidate(
                            m.start("more") + more.start(), m.start("more") + more.end(), "NAME", "name_cue"
                        )
        if "-" in text:
            for m in HYPHEN_NAME.finditer(text):
                head, tail = m.group("n").casefold().split("-")
                if self.english and (head in self.english or tail in self.english or head + tail in self.english):
                    continue
                if m.group("n").casefold() in self.base.never_names:
                    continue
                yield Candidate(m.start("n"), m.end("n"), "NAME", "name_cue")
                sur = m.group("s")
                if sur and self._surname_word(sur.strip()):
                    yield Candidate(m.end() - len(sur.strip()), m.end(), "NAME", "name_cue")
