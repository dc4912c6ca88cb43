"""De-identification rules for ages: "a 34 year old", "aged 63", "34yo", "89M", "she was 93", "turned 90",
"was ninety-nine", "her 80th birthday", an age after a name ("Hywel Pugh, 88,"), lists of ages ("aged 4, 6 and 9").

Split out of :mod:`bot.core.privacy.redaction_rules` and :mod:`bot.core.privacy.redaction_lexicon` for size;
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its word sets through :class:`RuleHost`).
Decades ("in her 80s") are no age here: they are already aggregated. Pure functions over ``str`` (the folded
text): no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    AGE_LIST_REST,
    AGE_WAS_N_AND,
    AGE_WORDS,
    DAY,
    HSP,
    LO,
    MEASURE_BEFORE,
    MEASURE_SUBJECTS,
    MONTH,
    NUMBER_WORD,
    ORD,
    UP,
    YEAR4,
    Candidate,
    RuleHost,
    _fold,
    simple,
)
from bot.core.privacy.word_scan import first_words, scan

# "at" opening a clause: the start, a stop or comma before it, or "and", "but", "even" ("and at ninety-one, she")
AT_OPENING = re.compile(r"(?:^|[.!?\n;,][ \u00a0\"'“]*|(?<![\w])(?i:and|but|even)[ \u00a0]+)(?i:at)[ \u00a0]+$")

# the age itself inside a span a rule found ("34" in "34 year old", "twenty-three" in "twenty-three-year-old", "90th",
# "3/7" in "3/7 old"), and what may stand around it: units, "old", the sex ("89M", "F/36"); round 9
AGE_CORE = re.compile(rf"[0-9]{{1,3}}(?:/[0-9]{{1,2}}|st|nd|rd|th)?|(?i:{NUMBER_WORD})(?![a-z])")  # not "eight"-een
AGE_AROUND = re.compile(
    r"(?:[\s\-–/.,()]|(?i:years?|yrs?|yr|y/o|y\.o|y-o|yo|y|months?|mths?|mo|weeks?|wks?|days?|old|of|age|"
    r"male|female|m|f)(?![a-z]))*"
)


def narrow_age(text: str, c: Candidate) -> Candidate:
    """An age span cut to its number, as every held-out set draws it ("a [AGE] year old", "[AGE]M", "[AGE]yo"):
    the unit and the sex stay readable for the research. A span with anything else around its number stays whole."""
    span = text[c.start : c.end]
    m = AGE_CORE.search(span)
    if m is None or (m.start() == 0 and m.end() == len(span)):
        return c
    if AGE_AROUND.fullmatch(span, 0, m.start()) and AGE_AROUND.fullmatch(span, m.end()):
        return Candidate(c.start + m.start(), c.start + m.end(), c.type, c.rule)
    return c


# the subject before "hit" or "reached" an age, perhaps with "has", "just", "finally" between
REACHED_SUBJECT = re.compile(
    r"(?<![\w'’])([^\W\d_]+)(?:[ \u00a0]+(?:has|had|have|just|finally|only|recently|already)){0,2}[ \u00a0]+$"
)
# after an age that opens a sentence: "and" and what the person is or did ("Twenty-one and newly diagnosed",
# "Nineteen and pregnant"); round 9
AND_A_PERSON = re.compile(
    r"[ \u00a0]+and[ \u00a0]+(?:newly|recently|pregnant|already|still|alone|single|widowed|married|homeless|"
    r"terrified|scared|frightened|living|never|just|has|had|was|is)\b"
)


class AgeRules:
    """The age rules, compiled once for a :class:`RuleSet`."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.age_followers = _fold(cfg.age_followers)
        self.age_subjects = _fold(cfg.age_subjects)
        num = rf"(?:[0-9]{{1,3}}|{NUMBER_WORD})"
        self.age_n_year_old_re = re.compile(
            rf"(?<![\w\-])(?i:{num}(?:[ \u00a0\-]+|-)(?:years?|yrs?|months?|weeks?|days?)(?:[ \u00a0\-]+|-)old)(?![\w])"
        )
        self.age_keyword_re = re.compile(
            rf"(?<![\w])(?i:aged|age)(?:\s*[:=\-–]\s*|\s+)(?:of\s+)?(?:(?i:just|only|barely|nearly|almost|about|around)\s+)?(?P<n>(?i:{num})(?:\s*(?i:years?|yrs?|y/o|yo)(?:\s+old)?)?)"
            r"(?!\s*(?:-|–|to|and)\s*[0-9])(?![\w%/])"
        )
        self.age_yo_re = re.compile(
            r"(?<![\w\-])[0-9]{1,3}[\s\-]?(?i:y/o|y\.o\.|y-o|yo|yrs?\s+old|yr\.?\s+old)(?![\w])"
            r"|(?<![\w\-£$€./])[0-9]{1,3}(?:\s?(?:yo|y/o|y|yrs?))?(?:\s?|/)[MF](?=\s+(?:with|presenting|admitted|who|pt|patient)\b|,|\)|"
            r"[ \u00a0]*[/|;]|[ \u00a0]*$)"
            # round 9: the sex first ("F/36, anxiety"), and a lower-case sex opening a note ("76m, fall at home")
            r"|(?<![\w/])[MF]/[0-9]{1,3}(?=[ \u00a0]*(?:[,;)]|$))"
            r"|(?:^|(?<=\n)|(?<=[:\-–][ \u00a0]))[0-9]{1,3}[mf]"
            r"(?=,(?![ \u00a0]*(?:then|and|or|before|after|so)\b)|[ \u00a0]*[;/]"
            r"|[ \u00a0]+(?:with|presenting|admitted|pt)\b)"
            r"|(?<![\w/])[0-9]{1,2}/(?:7|12|52)(?=[ \u00a0\-]*old\b)"
        )
        # any word, then the list is checked in Python: a long alternation of subjects is slow on 4 KB
        self.age_pronoun_re = re.compile(
            rf"(?<![\w'’])(?P<subj>[{UP}{LO}]+(?:['’]d)?)(?:['’](?:s|m|re)(?:\s+(?:now|turning|just\s+turned))?|\s+(?:was|is|am|are|"
            rf"had\s+just\s+turned|has\s+just\s+turned|just\s+turned|turned|turns|is\s+now|was\s+now|is\s+turning|was\s+turning|were))(?:\s+(?:only|just|barely|nearly|almost|"
            rf"about|around|roughly|aged))?\s+(?P<n>[0-9]{{1,3}}|{NUMBER_WORD})(?![\w%/:.,\-+]\w|[0-9])"
        )
        self.age_appositive_re = re.compile(
            r"(?<![\w])(?i:man|woman|lady|gentleman|girl|boy|patient|pt|son|daughter|he|she|mum|mother|dad|father|wife|husband|"
            r"partner|brother|sister|grandmother|grandfather|gran|grandad|nan|baby|child|carer|widow|widower|neighbour)"
            r"(?:,\s*|\s+\(|\s+-\s+|:\s*|\s+)"
            r"(?P<n>[0-9]{1,3})(?=\s*[,)]|\.(?!\d)|\s+(?:[MF]|male|female)\b)"
            r"|(?<![\w])(?i:man|woman|lady|gentleman|girl|boy|patient|child|lad|lass|chap|bloke|fella|fellow|gent|kid|"
            r"teenager|youngster)\s+of\s+(?P<n2>[0-9]{1,3})(?![\w%/.:]|\.[0-9])"
            r"(?!\s+(?:years|yrs|weeks|months|days|minutes|hours)\b)"
            r"|(?<![\w])(?i:at|by)\s+(?:the\s+age\s+of\s+)?(?P<n3>[0-9]{1,2})(?=,?\s+(?:she|he|they|I|we)\b)"
            r"|(?<![\w])(?i:and|but|who)\s+(?:is|was|'s)\s+now\s+(?P<n8>[0-9]{1,3})(?![\w%/:]|\.[0-9])"
            r"|(?<![\w])(?i:makes|made|making)\s+(?:him|her|them|me|you)\s+(?P<n6>[0-9]{1,3})(?![\w%/:]|\.[0-9])"
            r"|(?<![\w])(?i:pt|patient)\s+(?P<n7>[0-9]{1,3})\s+(?=with\b|admitted\b|presenting\b|who\b)"
            r"|(?<![\w])(?i:turned|turning|turns)\s+(?P<n5>[0-9]{1,3})(?=\s+(?:last|this|next|on|in|today|yesterday|"
            r"tomorrow|and|but|when|so)\b|\s*[,.;!?)]|\s*$)"
            r"|(?<![\w])(?i:died|passed\s+away|diagnosed|married|widowed|retired|left\s+school|left\s+home|discharged\s+from\s+"
            r"[A-Z]{2,6}|admitted|referred|emigrated|moved\s+here|came\s+over|dropped\s+out|started\s+drinking|"
            r"became\s+a\s+\w+(?:\s+for\s+(?:her|his|their)\s+\w+)?)\s+at\s+(?P<n4>[0-9]{1,2})(?![\w:]|\.[0-9])"
        )
        self.appositive_starts = first_words(
            "man woman lady gentleman girl boy patient pt son daughter he she mum mother dad father wife husband "
            "partner brother sister grandmother grandfather gran grandad nan baby child carer widow widower neighbour "
            "lad lass chap bloke fella fellow gent kid teenager youngster at by and but who makes made making "
            "turned turning turns died passed diagnosed married widowed retired left discharged admitted referred "
            "emigrated moved came dropped started became".split()
        )
        # round 9: "he hit 80 last month", "mum reached 100 in May"; found by the verb, its subject read before it
        self.age_reached_re = re.compile(
            r"(?<![\w'’])(?:hit|hits|reached|reaches|reaching|made\s+it\s+to)\s+(?P<n>[0-9]{1,3})"
            r"(?=\s+(?:last|this|next|on|in|today|yesterday|and|but|when|so)\b|\s*[,.;!?)]|\s*$)"
        )
        self.age_birthday_re = re.compile(
            r"(?<![\w])(?P<n>[0-9]{1,3}(?:st|nd|rd|th))\s+birthday(?![\w])"
            # "she celebrated her 80th last week": the birthday left unsaid (round 8)
            r"|(?<![\w])(?i:celebrated|celebrating|celebrate|celebrates)\s+(?:her|his|their|my)\s+"
            r"(?P<n2>[0-9]{1,3}(?:st|nd|rd|th))(?![\w])"
        )

        self.age_future_re = re.compile(
            rf"(?:(?<![\w])(?i:he|she|they|i|you|we|who)(?:'d|'ll|{HSP}+(?i:will|would|is\s+going\s+to))"
            rf"|(?:^|(?<=\n))(?i:will|would))"  # a note's dropped subject: "will be 18 next month" (round 8)
            rf"{HSP}+(?:be|turn){HSP}+"
            rf"(?P<n>[0-9]{{1,3}})(?={HSP}*(?:[,.;!?)]|$)|{HSP}+(?i:next|this|in|on|soon|tomorrow|at|when|by|and)\b)"
        )
        self.age_list_re = re.compile(
            rf"(?<![\w])(?i:aged|ages|age){HSP}+[0-9]{{1,3}}(?P<more>(?:,{HSP}*[0-9]{{1,3}})*,?{HSP}+(?:and|&){HSP}+[0-9]{{1,3}})"
            r"(?![\w%/.:]|\.[0-9])"
        )
        self.age_after_name_re = re.compile(
            rf"(?<![\w])(?:[{UP}]?[{LO}]+(?:[-'’][{UP}][{LO}]+)?|[A-Z]{{2,3}}),{HSP}*(?:(?:both|all|each|now|aged){HSP}+)?"
            rf"(?P<n>[1-9][0-9]?|1[01][0-9]|{NUMBER_WORD}),(?={HSP}+[a-z])"
        )
        self.date_range_re = re.compile(
            rf"(?<![\w/])(?P<d>{DAY}{ORD}?){HSP}*[-–]{HSP}*{DAY}{ORD}?(?:{HSP}+of)?{HSP}+{MONTH}(?:,?{HSP}+{YEAR4})?(?![\w])"
        )
        self.spaced_phone_re = re.compile(r"(?<![\w])(?:\+44 |0 )(?:[0-9] ){8,9}[0-9](?![\w])")

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "age_n_year_old": simple(self.age_n_year_old_re, "AGE", "age_n_year_old"),
            "age_keyword": self.age_keyword,
            "age_yo": simple(self.age_yo_re, "AGE", "age_yo"),
            "age_pronoun": self.age_pronoun,
            "age_was_n_and": self.age_was_n_and,
            "age_in_words": self.age_in_words,
            "age_birthday": self.age_birthday,
            "age_future": self.age_future,
            "age_and_date_lists": self.age_and_date_lists,
        }

    def age_keyword(self, text: str) -> Iterator[Candidate]:
        for m in self.age_keyword_re.finditer(text):
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_keyword")

    def age_pronoun(self, text: str) -> Iterator[Candidate]:
        for m in self.age_pronoun_re.finditer(text):
            subj = m.group("subj").replace("’", "'")
            if subj.casefold() in MEASURE_SUBJECTS:
                continue  # "His Hb was 62": a result, not an age
            if not subj[0].isupper() and subj not in self.age_subjects:
                continue
            if subj[0].isupper() and subj.casefold() not in self.age_subjects:
                key = subj.casefold()
                cfg = self.base.cfg
                listed = key in self.base.first_names or key in cfg.listed_first_names or key in cfg.surnames
                if not listed and not (self.english and key not in self.english and key not in self.base.never_names):
                    continue  # "Chiara was twenty-four": a name (listed, or no English word) before the verb
            n = m.group("n")
            if n.isdigit() and int(n) > 125:
                continue
            if not n.isdigit() and n.casefold() == "one":
                continue
            if not self._age_follow_ok(text, m.end("n"), turned="turn" in m.group().casefold()):
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_pronoun")
            more = AGE_LIST_REST.match(text, m.end("n"))  # "the kids are 9 and 6", "she's 42, he's 44"
            if more:
                for n in re.finditer(r"[0-9]{1,3}", more.group()):
                    if int(n.group()) <= 125:
                        yield Candidate(m.end("n") + n.start(), m.end("n") + n.end(), "AGE", "age_pronoun")
        for m in self.age_reached_re.finditer(text):
            before = REACHED_SUBJECT.search(text, max(0, m.start() - 40), m.start())
            subj = before.group(1).casefold() if before else ""  # not "I hit 110 on a 60 road", "sats hit 85"
            if subj in self.age_subjects and subj not in ("i", "we", "you") and int(m.group("n")) <= 110:
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_pronoun")
        for m in scan(self.age_appositive_re, text, self.base.word_starts(text), self.appositive_starts):
            grp = next(g for g in ("n", "n2", "n3", "n4", "n5", "n6", "n7", "n8") if m.group(g) is not None)
            if int(m.group(grp)) <= 125:
                yield Candidate(m.start(grp), m.end(grp), "AGE", "age_pronoun")

    def age_in_words(self, text: str) -> Iterator[Candidate]:
        """An age written out: "was ninety-nine", "Eilidh MacKinnon, twenty-six, first baby", a sentence opened
        by it ("Fourteen, knocked off his bike"). Counts of things ("six patients", "twenty minutes") are not."""
        for m in AGE_WORDS.finditer(text):
            n = m.group("n")
            before = text[max(0, m.start() - 40) : m.start()]
            after = text[m.end() : m.end() + 40]
            unit = re.match(r"[ \u00a0\-]+([A-Za-z]+)", after)
            if unit and unit.group(1).casefold() in self.base.not_age_units:
                continue
            if unit and unit.group(1).casefold() not in self.age_followers and not re.match(r"\s*[,.;:!?)]", after):
                continue
            opened = re.search(r"(?:^|[.!?\n][ \u00a0\"'“]*)$", before) and (
                re.match(r"[ \u00a0]*,", after) or AND_A_PERSON.match(after)
            )
            compound = "-" in n or n.casefold().startswith(("twenty", "thirty", "forty", "fifty", "sixty",
                                                            "seventy", "eighty", "ninety", "a hundred"))
            told = re.search(r"(?i:was|is|'s|’s|turned|turning|aged|be|now|said|says|hit|reached)[ \u00a0]+$", before)
            # "at eighty-seven, he was still driving": an age that opens what a person did at it (round 8)
            told = told or (
                AT_OPENING.search(before)
                and re.match(r"[ \u00a0]*,[ \u00a0]*(?i:she|he|they|i|we)\b", after)
            )
            apposed = re.search(r"[A-Za-z][ \u00a0]*,[ \u00a0]*$", before) and re.match(r"[ \u00a0]*[,;)]", after)
            teen = n.casefold().endswith("teen") or n.casefold() in ("eleven", "twelve")
            if (compound and (told or apposed)) or (opened and (compound or teen)) or (apposed and teen and not told):
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_in_words")

    def age_birthday(self, text: str) -> Iterator[Candidate]:
        for m in self.age_birthday_re.finditer(text):
            grp = "n" if m.group("n") is not None else "n2"
            yield Candidate(m.start(grp), m.end(grp), "AGE", "age_birthday")

    def age_was_n_and(self, text: str) -> Iterator[Candidate]:
        """ "was 93 and had outlived", "is 71 and has lived", "was 102 and still did": a life, so an age
        (unless a measurement is being talked about: "the score was 24 and rising")."""
        for m in AGE_WAS_N_AND.finditer(text):
            if int(m.group("n")) > 125 or MEASURE_BEFORE.search(text, max(0, m.start() - 40), m.start()):
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_was_n_and")

    def _age_follow_ok(self, text: str, end: int, *, turned: bool) -> bool:
        rest = text[end : end + 60]
        word = re.match(r"\s*([A-Za-z'’]+)", rest)
        if word is None:
            return not re.match(r"\s*[0-9]", rest)
        if rest[: word.start(1)].strip():  # punctuation between the number and the next word
            return True
        w = word.group(1).casefold()
        if turned and w in ("on", "in", "of", "out", "last", "this"):
            return True  # "he turned 18 on the ward"
        if w in self.base.not_age_units:
            return False
        return turned or w in self.age_followers

    def age_after_name(self, text: str, names: list[Candidate]) -> Iterator[Candidate]:
        """A bare number right after a name found here is an age: "Parveen Akhtar 73 admitted", "Leilani (4)",
        "Hywel Pugh, 88," (not a count or a measure: "Dr Rao 2 weeks ago", "Amy 3/7 ago")."""
        for end in sorted({c.end for c in names}):
            m = AGE_AFTER_NAME.match(text, end)
            if m is None or int(m.group("n")) > 120:
                continue
            word = re.match(r"[ \u00a0]+([A-Za-z]+)", text[m.end() : m.end() + 30])
            if word and word.group(1).casefold() in self.base.not_age_units - {"on", "in", "at", "and"}:
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_after_name")

    def age_future(self, text: str) -> Iterator[Candidate]:
        for m in self.age_future_re.finditer(text):
            if int(m.group("n")) <= 125:
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_future")

    def age_and_date_lists(self, text: str) -> Iterator[Candidate]:
        """ "aged 4, 6 and 9", "Ms Ahmed-Khan, 47, was", "14th-16th March", "0 7 7 0 0 9 0 0 1 2 3"."""
        for m in self.age_after_name_re.finditer(text):
            word = m.group().split(",")[0]
            if m.group("n").casefold() == "one":
                continue
            if word.casefold() not in self.base.never_names and word.casefold() not in self.base.inst_after:
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_and_date_lists")
        if not _HAS_DIGIT.search(text):
            return
        for m in self.age_list_re.finditer(text):
            first = re.search(r"[0-9]{1,3}", m.group())  # "ages 34 and 36" (round 9; "aged 4" is age_keyword's)
            if first:
                yield Candidate(m.start() + first.start(), m.start() + first.end(), "AGE", "age_and_date_lists")
            for n in re.finditer(r"[0-9]{1,3}", m.group("more")):
                yield Candidate(m.start("more") + n.start(), m.start("more") + n.end(), "AGE", "age_and_date_lists")
        for m in self.date_range_re.finditer(text):
            yield Candidate(m.start("d"), m.end(), "DATE", "age_and_date_lists")
        for m in self.spaced_phone_re.finditer(text):
            yield Candidate(m.start(), m.end(), "PHONE", "age_and_date_lists")


AGE_AFTER_NAME = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*|[ \u00a0]+\(|[ \u00a0]+)(?P<n>[0-9]{1,3})(?:\))?"
    r"(?=[ \u00a0]*(?:[,;)]|$)|[ \u00a0]+[^0-9:/])"
)
