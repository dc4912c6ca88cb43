"""De-identification rules of round 11 (issue 10) for places and dates written loosely: in lower case, by a short
name after "the", with a Roman month or a season.

* ``location_lowercase_named_ward``: "cedar ward", "heulwen unit": a ward named after a tree, a flower, a bird or
  a stone, or by a word in no dictionary, typed all in lower case (not "surgical ward", "covid ward", "gastro ward");
* ``location_the_name``: "had her baby at the Rosie", "transferred to the Jessop": a hospital known by a person's
  name or a word in no dictionary, after "at / to / from / in the" (not "the Okafor family");
* ``date_loose``: "tues 5th", "fri the 9th", "thurs 30/11" (a weekday in lower case), "Friday (17th)", "12.i.24"
  (a Roman month), "spring 1939", "the summer of 2019" (a season with its year).

Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.  :class:`RuleSet` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    ACRONYMS,
    DAY,
    GENERIC_UNIT_WORDS,
    HSP,
    NAME_TOKEN,
    NUMBER_WORD,
    ORD,
    WEEKDAY,
    WEEKDAY_STARTS,
    YEAR4,
    Candidate,
    RuleHost,
    is_sentence_initial,
)
from bot.core.privacy.word_scan import scan

# specialties and kinds of ward in the short forms students type, which no dictionary holds ("gastro ward")
WARD_KINDS = frozenset(
    """haem haemo gastro geri geris gerries endo rheum rheumy derm derms vasc uro resp cardio neuro ortho onc paeds
    gynae obs ent maxfax colorectal hpb ugi lgi med meds surg surgical medical covid psych psychiatric rehab
    frailty acute stroke renal burns spinal trauma labour maternity postnatal antenatal neonatal childrens
    children's kids adult adults mens men's womens women's female male mixed side day busy quiet same next
    new old other home this that our my their his her the a an each every whole entire big small short long
    open closed locked general elderly private surgical-assessment escalation overflow isolation""".split()
)
# the kind of place, then (looking back from it) the lower-case word that names it
KIND = re.compile(
    r"(?P<kind>ward|unit|suite|wing|lodge|surgery|practice|hospital|hospice|(?:care|nursing|residential)[ \u00a0]+home"
    r"|(?:medical|health)[ \u00a0]+centre)(?![\w'’-])"
)
KIND_WORDS = frozenset(
    {"ward", "unit", "suite", "wing", "lodge", "surgery", "practice", "hospital", "hospice", "care", "nursing",
     "residential", "medical", "health"}
)  # fmt: skip
NAME_BEFORE_KIND = re.compile(rf"(?<![\w'’-])(?P<w>[a-zà-öø-ÿ\u0100-\u024f]{{3,}}){HSP}+$")
THE_NAME = re.compile(
    rf"(?<![\w'’])(?:at|to|from|in|into|via){HSP}+the{HSP}+(?P<n>{NAME_TOKEN.pattern})"
)
THE_NAME_STARTS = frozenset({"at", "to", "from", "in", "into", "via"})
# what may follow a place named "the X": a stop, or a word that ends its noun phrase ("at the Rosie and", "to the
# Jessop where"); a noun after it makes X a modifier ("the Gibbs cycle", "the Schwartz round", "the Okafor family")
PLACE_END = re.compile(
    r"[ \u00a0]*(?:[,.;:!?)\n]|$)|[ \u00a0]+(?:and|but|or|so|where|which|who|when|while|for|with|on|in|at|to|by|"
    r"after|before|until|since|last|this|yesterday|today|tonight|overnight|again|instead|because|i|she|he|they|we|"
    r"was|is|were|had|has|for)(?![\w'’])"
)
# endings of the specialty words a dictionary lacks ("perinatal", "orthogeriatric", "biologics"), no ward's name
SPECIALTY_END = ("al", "ic", "ics", "ary", "ive", "ous", "logy", "atric", "atrics")
# an age that opens a note: "nearly 40 and pregnant", "Only sixteen, and already a carer" (not "and a half")
AGE_OPENING = re.compile(
    rf"(?i:nearly|almost|only|just|barely|not{HSP}+yet){HSP}+(?P<n>1[01][0-9]|[1-9]?[0-9]|(?i:{NUMBER_WORD}))"
    rf"(?:,?{HSP}+(?:and|but|with)(?!{HSP}+a{HSP}+half)\b|,)"
)
AGE_OPENING_STARTS = frozenset({"nearly", "almost", "only", "just", "barely", "not"})
# a named occasion in lower case with its year: "xmas day 2022", "boxing day 2019", "eid 2021"
LOWER_OCCASION_TAIL = rf"(?:,?{HSP}+(?:of{HSP}+)?(?:{YEAR4}|['’][0-9]{{2}}))(?![\w'’])"
LOWER_WEEKDAY_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tues tue weds wed thurs thur thu fri sat sun".split()
)
LOWER_WEEKDAY = "(?:" + "|".join(sorted(LOWER_WEEKDAY_WORDS, key=len, reverse=True)) + ")"
# a weekday in lower case before its day: "tues 5th", "fri the 9th", "thurs 30/11", "mon 3/4"
LOWER_WEEKDAY_DATE = re.compile(
    rf"(?<![\w'’])(?P<lw>{LOWER_WEEKDAY})\.?,?{HSP}+(?P<the>the{HSP}+)?(?P<d>{DAY}{ORD}|{DAY}/(?:1[0-2]|0?[1-9]))"
    rf"(?![\w/]|\.[0-9])"
)
# a day in brackets after its weekday, in any case: "Last Friday (17th)", "next thurs (14th)"
BRACKET_DAY = re.compile(rf"(?<![\w])(?:{WEEKDAY}|{LOWER_WEEKDAY}\.?){HSP}*\((?P<d>{DAY}{ORD})\)")
# a Roman month: "12.i.24", "3/iv/2023"
ROMAN_HINT = re.compile(r"[./\-][ivxIVX]{1,4}[./\-][0-9]")
ROMAN_DATE = re.compile(
    rf"(?<![\w./\-]){DAY}(?P<s>[./\-])(?i:xii|xi|x|ix|viii|vii|vi|v|iv|iii|ii|i)(?P=s)(?:{YEAR4}|[0-9]{{2}})"
    rf"(?![\w/\-]|\.\w)"
)
# a season with its year: "spring 1939", "the summer of 2019", "Winter '22"
SEASON_DATE = re.compile(
    rf"(?<![\w'’])(?i:spring|summer|autumn|winter)(?:{HSP}+of)?{HSP}+(?:{YEAR4}|['’][0-9]{{2}})(?![\w'’])"
)
SEASON_STARTS = frozenset({"spring", "summer", "autumn", "winter"})
_PLACE_KIND = r"(?:ward|unit|home|hospital|hospice|clinic|centre|surgery|practice)"
# a place told by a bracket after it: "a man on the Willows (the older adult ward)"
PLACE_BRACKET = re.compile(  # matched at each bracket; the place before it looked back for
    rf"\({HSP}*(?:the|an?|our){HSP}+(?:[\w\-]+{HSP}+){{0,3}}{_PLACE_KIND}s?\b"
)
PLACE_BEFORE_BRACKET = re.compile(rf"(?<![\w'’])(?P<n>[A-Z][a-z]+(?:{HSP}+[A-Z][a-z]+)?){HSP}*$")
BRACKET = re.compile(r"\(")
# a place named in apposition after its kind: "The care home, Willow Bank, rang", "her GP surgery, Parkside,"
PLACE_APPOSED = re.compile(
    rf"(?i:care{HSP}+home|nursing{HSP}+home|residential{HSP}+home|hospice|surgery|practice|hospital|ward|unit)"
    rf",{HSP}+(?P<n>[A-Z][\w'’\-]*(?:{HSP}+[A-Z][\w'’\-]*){{0,3}}){HSP}*[,)]"
)
APPOSED_STARTS = frozenset("care nursing residential hospice surgery practice hospital ward unit".split())
LABEL_STARTS = frozenset({"ward", "unit", "hospital", "surgery", "practice", "care", "nursing", "hospice", "gp"})
# a place under its label: "Ward: Larch", "Care home: Fernlea", "GP surgery - Parkside"
PLACE_LABEL = re.compile(
    rf"(?<![\w'’])(?i:ward|unit|hospital|surgery|practice|care{HSP}+home|nursing{HSP}+home|hospice|gp{HSP}+surgery|"
    rf"gp{HSP}+practice){HSP}*[:\-–]{HSP}*(?P<n>[A-Z][\w'’\-]*(?:{HSP}+[A-Z][\w'’\-]*){{0,3}})"
)
# a ward's code said again without the word "ward": "Ward 7A ... back on 7A"
WARD_CODE = re.compile(r"(?i:ward|wd|wrd)\.?[ \u00a0]+([0-9]{1,2}[A-Za-z]|[A-Za-z][0-9]{1,2})")
CODE_ALONE = re.compile(r"(?<![\w/.\-])(?P<c>[0-9]{1,2}[A-Za-z]|[A-Za-z][0-9]{1,2})(?![\w/.\-])")
WEEKDAY_WORDS = frozenset(LOWER_WEEKDAY_WORDS)


class LooseRules:
    """The loose place and date rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.places = frozenset(p.casefold() for p in cfg.places)
        self.ward_names = frozenset(w.casefold() for w in cfg.ward_name_words)
        self.ordinal_nouns = frozenset(w.casefold() for w in cfg.ordinal_nouns)
        occasions = sorted({o.casefold() for o in cfg.occasions}, key=len, reverse=True)
        self.lower_occasion_re = re.compile(
            "(?<![\\w'’])(?i:" + "|".join(re.escape(o).replace(r"\ ", f"{HSP}+") for o in occasions) + ")"
            + LOWER_OCCASION_TAIL
        ) if occasions else None
        self.occasion_starts = frozenset(re.split(r"[^a-z]", o)[0] for o in occasions if o[:1].isalpha())

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "location_lowercase_named_ward": self.location_lowercase_named_ward,
            "location_the_name": self.location_the_name,
            "date_loose": self.date_loose,
            "location_told": self.location_told,
            "age_opening": self.age_opening,
        }

    def age_opening(self, text: str) -> Iterator[Candidate]:
        for m in scan(AGE_OPENING, text, self.base.word_starts(text), AGE_OPENING_STARTS):
            if is_sentence_initial(text, m.start()):
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_opening")

    def location_told(self, text: str) -> Iterator[Candidate]:
        """ "on the Willows (the older adult ward)", "Ward: Larch", "The care home, Willow Bank, rang": a place told by
        a bracket, a label or an apposition after its kind."""
        if "(" in text:
            for br in BRACKET.finditer(text):
                if not PLACE_BRACKET.match(text, br.start()):
                    continue
                m = PLACE_BEFORE_BRACKET.search(text, max(0, br.start() - 40), br.start())
                if m and not self._generic_place(m.group("n")):
                    yield Candidate(m.start("n"), m.end("n"), "LOCATION", "location_told")
        if "," in text:
            for m in scan(PLACE_APPOSED, text, self.base.word_starts(text), APPOSED_STARTS):
                if not self._generic_place(m.group("n")) and not m.group("n").isupper():
                    yield Candidate(m.start("n"), m.end("n"), "LOCATION", "location_told")
        if ":" in text or "-" in text or "–" in text:
            for m in scan(PLACE_LABEL, text, self.base.word_starts(text), LABEL_STARTS):
                if not self._generic_place(m.group("n")) and not m.group("n").isupper():
                    yield Candidate(m.start("n"), m.end("n"), "LOCATION", "location_told")

    def _generic_place(self, words: str) -> bool:
        keys = [w.casefold().strip("'’") for w in words.split()]
        b = self.base
        return all(k in GENERIC_UNIT_WORDS or k in WARD_KINDS or k in b.function_words or k in b.never_names
                   or k in self.places for k in keys)

    def location_code_again(self, text: str, places: list[Candidate]) -> Iterator[Candidate]:
        """A ward's code found with its word ("Ward 7A") is the ward where it stands alone later ("back on 7A")."""
        codes: set[str] = set()
        for c in places:
            m = WARD_CODE.fullmatch(text, c.start, c.end)
            if m:
                codes.add(m.group(1).casefold())
        if not codes:
            return
        for m in CODE_ALONE.finditer(text):
            if m.group("c").casefold() in codes and not any(c.start <= m.start() < c.end for c in places):
                yield Candidate(m.start(), m.end(), "LOCATION", "location_code_again")

    def location_lowercase_named_ward(self, text: str) -> Iterator[Candidate]:
        for k in scan(KIND, text, self.base.word_starts(text), KIND_WORDS):
            m = NAME_BEFORE_KIND.search(text, max(0, k.start() - 40), k.start())
            if m is None:
                continue
            w = m.group("w")
            if w in WARD_KINDS or w in GENERIC_UNIT_WORDS or w in self.base.function_words:
                continue
            if re.match(r"[ \u00a0]+rounds?\b", text[k.end() : k.end() + 8]):
                continue  # "cedar ward round" is still the ward, but "busy ward round" is not: leave rounds alone
            named = w in self.ward_names
            unknown = (
                w not in self.english
                and w not in self.places
                and w not in self.base.never_names
                and not w.endswith(SPECIALTY_END)
                and not w.endswith(self.base.cfg.not_name_suffixes)
            )
            if w.upper() in ACRONYMS:
                continue  # "nhs hospital", "gp practice"
            # a word in no dictionary names a ward, a unit, a home or a centre ("heulwen unit", "meadowbank care home");
            # before "surgery" or "hospital" it is more often a procedure or a specialty ("fistula surgery")
            loose_kind = k.group("kind").split()[0] not in ("surgery", "practice", "hospital", "hospice")
            if not named and not (unknown and loose_kind and len(w) >= 4):
                continue
            yield Candidate(m.start("w"), k.end(), "LOCATION", "location_lowercase_named_ward")

    def location_the_name(self, text: str) -> Iterator[Candidate]:
        if "the" not in self.base.words(text):
            return
        for m in scan(THE_NAME, text, self.base.word_starts(text), THE_NAME_STARTS):
            tok = m.group("n")
            key = tok.casefold().replace("’", "'")
            if not PLACE_END.match(text, m.end()) or tok.isupper() or tok in ACRONYMS or len(tok) < 3:
                continue
            if key.endswith("s") and key not in self.base.first_names:
                continue  # "the Samaritans", "the Falklands", "the Smiths": a group, a region, a family
            b = self.base
            if key in b.function_words or key in b.never_names or key in b.not_names or key in self.places:
                continue
            if key in b.ambiguous or key in b.inst_after or key in GENERIC_UNIT_WORDS:
                continue
            listed = key in b.first_names or key in b.cfg.listed_first_names
            if not listed and (key in self.english or any(p in self.english for p in key.split("-"))):
                continue
            if key.endswith(b.cfg.not_name_suffixes):
                continue  # "in the Tazocin", "to the Rheumatology"
            yield Candidate(m.start("n"), m.end("n"), "LOCATION", "location_the_name")

    def date_loose(self, text: str) -> Iterator[Candidate]:
        if not _HAS_DIGIT.search(text):
            return
        starts = self.base.word_starts(text)
        for m in scan(LOWER_WEEKDAY_DATE, text, starts, WEEKDAY_WORDS):
            if m.group("lw") in ("sat", "sun") and m.group("the") is None and "/" not in m.group("d"):
                continue  # "I sat 2nd", "sun 1st": a verb or a noun before an ordinal
            nxt = re.match(rf"{HSP}+([a-z]+)", text[m.end() : m.end() + 20])
            if nxt and nxt.group(1) in self.ordinal_nouns:
                continue  # "wed 3rd floor"
            yield Candidate(m.start(), m.end(), "DATE", "date_loose")
        if "(" in text:
            for m in scan(BRACKET_DAY, text, starts, WEEKDAY_STARTS | WEEKDAY_WORDS):
                yield Candidate(m.start("d"), m.end("d"), "DATE", "date_loose")
        if ROMAN_HINT.search(text):
            for m in ROMAN_DATE.finditer(text):
                yield Candidate(m.start(), m.end(), "DATE", "date_loose")
        for m in scan(SEASON_DATE, text, starts, SEASON_STARTS):
            yield Candidate(m.start(), m.end(), "DATE", "date_loose")
        if self.lower_occasion_re is not None:
            for m in scan(self.lower_occasion_re, text, starts, self.occasion_starts):
                # "xmas day 2022", "Guy Fawkes night 2018"; a title-case one ("Christmas 2023") is date_occasion's
                if not m.group().istitle():
                    yield Candidate(m.start(), m.end(), "DATE", "date_loose")
