"""De-identification rules for dates: numeric, ISO, with a month name, partial ("the 28th", "01/06") and named
occasions ("Christmas 2023", "Boxing Day").

Split out of :mod:`bot.core.privacy.redaction_rules` and :mod:`bot.core.privacy.redaction_lexicon` for size;
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its configuration through :class:`RuleHost`).
Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    DAY,
    HSP,
    MEASURE_BEFORE,
    MONTH,
    MONTH_STARTS,
    ORD,
    WEEKDAY,
    WEEKDAY_STARTS,
    YEAR4,
    Candidate,
    RuleHost,
    _alt,
    _fold,
    simple,
    simple_at,
)
from bot.core.privacy.word_scan import first_words, scan

MONTH_WORDS = frozenset(
    "january february march april may june july august september october november december".split()
)
# a named day right before its year: the cheap test before the full pattern of named_day_year_re
NAMED_DAY_YEAR = re.compile(
    r"(?:Day|Eve|Night|Sunday|Monday|Friday|Weekend|Week),?[ \u00a0]+(?:of[ \u00a0]+)?(?:19|20)[0-9]{2}"
)
NAMED_DAY_WORDS = frozenset({"day", "eve", "night", "sunday", "monday", "friday", "weekend", "week"})
THE = frozenset({"the"})
ADJECTIVE_ENDINGS = ("al", "ac", "ic", "ive", "ous", "ary", "ory")


class DateRules:
    """The date rules, compiled once for a :class:`RuleSet`."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.ordinal_followers = _fold(cfg.ordinal_followers)
        self.ordinal_nouns = frozenset(w.casefold() for w in cfg.ordinal_nouns)
        # the first word of each occasion, as the text's words are split ("Valentine's" is "valentine", "s")
        self._occasion_words = frozenset(re.split(r"['’]", o.split()[0].casefold())[0] for o in cfg.occasions)
        sep_date = (
            r"(?P<a>[0-9]{1,2})(?P<s>[/.\-]|[ \u00a0][/.\-][ \u00a0])(?P<b>[0-9]{1,2})(?P=s)(?P<y>[0-9]{4}|[0-9]{2})"
        )
        self.date_numeric_re = re.compile(rf"(?<![\w/.\-]){sep_date}(?![\w/\-]|\.[0-9])")
        self.date_dm_context_re = re.compile(
            r"(?<![\w])(?i:on|from|since|until|till|by|dated|DOB|D\.O\.B\.?|born|seen|admitted|discharged|reviewed)"
            r"\s*:?\s+"
            r"(?P<d>(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2}))(?![\w/.]|\.[0-9])"
        )
        self.date_iso_re = re.compile(
            r"(?<![\w/.\-])(?:19|20)[0-9]{2}([\-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])(?![\w/\-]|\.\d)"
        )
        wd = rf"(?:{WEEKDAY},?{HSP}+(?:the{HSP}+)?)"
        self.date_day_month_re = re.compile(
            rf"(?<![\w]){wd}?{DAY}{ORD}?(?:{HSP}+of)?{HSP}+{MONTH}(?:,?{HSP}+{YEAR4}|{HSP}+'?[0-9]{{2}})?(?![\w])"
        )
        self.date_month_day_re = re.compile(
            rf"(?<![\w]){wd}?{MONTH}{HSP}+(?:the{HSP}+)?(?:{DAY}{ORD}|{DAY}(?=,?{HSP}+{YEAR4}|{HSP}*[,;:!?)]|\.(?!\d)|$))"
            rf"(?:,?{HSP}+{YEAR4})?(?!\w)"
        )
        self.date_dashed_re = re.compile(  # "14-Nov-2023", "3/Mar/24", "19.March.1971"
            rf"(?<![\w\-/.]){DAY}{ORD}?(?P<s>[\-/.]){MONTH}(?P=s)(?:{YEAR4}|[0-9]{{2}})(?![\w\-/])"
        )
        # "October 2021", "Sept '22" (round 9: the year cut to two digits)
        # May / March / Mar in any case once a four-digit year follows ("since march 2022"): no verb is followed by one
        self.date_month_year_re = re.compile(
            rf"(?<![\w])(?:{MONTH},?{HSP}+(?:{YEAR4}|['’][0-9]{{2}})|(?i:may|march|mar)\.?,?{HSP}+{YEAR4})(?![\w'’])"
        )
        self.date_weekday_ord_re = re.compile(rf"(?<![\w]){WEEKDAY},?{HSP}+(?:the{HSP}+)?{DAY}{ORD}(?![\w])")
        self.date_ordinal_ctx_re = re.compile(
            rf"(?<![\w])(?i:on|by|until|till|from|since|before|after|of|is|was|for)\s+the\s+(?P<o>{DAY}{ORD})(?![\w])"
        )
        self.the_date_re = re.compile(rf"(?<![\w])(?i:the){HSP}+{DAY}{ORD}{HSP}+of{HSP}+{MONTH}(?![\w])")
        occ = _alt(cfg.occasions, ignore_case=False)
        day_occ = _alt(
            [o for o in cfg.occasions if re.search(r"(Day|Eve|Night|day|Sunday|Monday|Friday|Tuesday)$", o)],
            ignore_case=False,
        )
        self.occasion_re = re.compile(
            rf"(?<![\w])(?:(?i:the){HSP}+)?{occ}(?:{HSP}+(?i:weekend|holidays?|break|period|week))?"
            rf"(?:,?{HSP}+(?:of{HSP}+)?(?:{YEAR4}|'[0-9]{{2}})|{HSP}*\({YEAR4}\))(?![\w])|(?<![\w]){day_occ}(?![\w'’])"
        )
        # any named day with its year: "Sports Day 2023", "Armistice Day 2018", "Results Week 2022" (round 9)
        self.named_day_year_re = re.compile(
            rf"(?<![\w'’])(?:(?:St\.?|Saint){HSP}+)?(?:[A-Z][a-z]+(?:['’]s|s['’])?{HSP}+){{1,3}}"
            rf"(?:Day|Eve|Night|Sunday|Monday|Friday|Weekend|Week)(?:{HSP}+Weekend)?,?{HSP}+(?:of{HSP}+)?{YEAR4}(?![\w])"
        )
        # the first day of a range: "from 2 to 5 Jan 2024", "between the 3rd and 6th of May" (round 9)
        self.range_start_re = re.compile(
            rf"(?<![\w])(?i:from|between){HSP}+(?:the{HSP}+)?(?P<d>{DAY}{ORD}?)(?:{HSP}+of)?{HSP}+(?i:to|and|until|till)"
            rf"{HSP}+(?:the{HSP}+)?{DAY}{ORD}?(?:{HSP}+of)?{HSP}+{MONTH}(?![\w])"
            rf"|(?<![\w/])(?P<d2>{DAY}{ORD}){HSP}+(?i:to|until|till){HSP}+(?:the{HSP}+)?{DAY}{ORD}?(?:{HSP}+of)?{HSP}+{MONTH}(?![\w])"
        )
        self.the_ordinal_re = re.compile(rf"(?<![\w])(?i:the){HSP}+{DAY}{ORD}(?![\w])")
        self.bare_ordinal_re = re.compile(
            rf"(?<![\w])(?i:on|by|since|until|till|from|before|after|dated){HSP}+(?P<o>{DAY}{ORD})(?![\w])"
        )
        self.day_month_re = re.compile(
            rf"(?<![\w/.\-])(?P<wd>{WEEKDAY},?{HSP}+(?:the{HSP}+)?)?(?P<a>[0-9]{{1,2}})(?P<s>[/.])(?P<b>[0-9]{{1,2}})"
            rf"(?:(?P=s)(?:[0-9]{{4}}|[0-9]{{2}}))?(?![\w/]|[.][0-9])"
        )
        self.date_ctx_before = re.compile(
            r"(?i:on|for|from|since|until|till|by|dated|date|dob|born|booked|due|before|after|of|seen|admitted|"
            r"discharged|reviewed|operated|appointment|clinic|scan|taken|done|w/[cb]|wc|commencing|beginning|"
            r"(?:week|wk)\s+of|(?:clinic|appointment|op|scan|review|surgery)\s+is)\s*:?\s*$"
        )
        ordinals = (
            "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth"
        ).split()
        ordw = rf"(?:{'|'.join(ordinals)}|(?:twenty|thirty)[- ](?:{'|'.join(ordinals[:9])}))"
        self.ordinal_word_date_re = re.compile(
            rf"(?<![\w])(?:(?i:the){HSP}+)?(?i:{ordw}){HSP}+of{HSP}+{MONTH}(?:,?{HSP}+{YEAR4})?(?![\w])"
            rf"|(?<![\w]){MONTH}{HSP}+(?:the{HSP}+)?(?i:{ordw})(?![\w])"
        )
        # the words each pattern's matches start with: the pattern is tried only there (word_scan.scan)
        self.ordinal_word_starts = first_words(["the", "twenty", "thirty"], ordinals) | MONTH_STARTS
        self.dm_context_starts = first_words("on from since until till by dated DOB D born seen".split(),
                                             ["admitted", "discharged", "reviewed"])  # fmt: skip
        self.ordinal_ctx_starts = first_words("on by until till from since before after of is was for".split())
        self.bare_ordinal_starts = first_words("on by since until till from before after dated".split())
        self.occasion_starts = first_words(["the"], cfg.occasions)

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "date_numeric": self.date_numeric,
            "date_iso": simple(self.date_iso_re, "DATE", "date_iso"),
            "date_day_month": simple(self.date_day_month_re, "DATE", "date_day_month"),
            "date_month_day": simple_at(
                self.base, self.date_month_day_re, WEEKDAY_STARTS | MONTH_STARTS, "DATE", "date_month_day"
            ),
            "date_month_year": simple_at(self.base, self.date_month_year_re, MONTH_STARTS, "DATE", "date_month_year"),
            "date_dashed": simple(self.date_dashed_re, "DATE", "date_dashed"),
            "date_weekday_ordinal": simple_at(
                self.base, self.date_weekday_ord_re, WEEKDAY_STARTS, "DATE", "date_weekday_ordinal"
            ),
            "date_ordinal_in_context": self.date_ordinal_in_context,
            "date_occasion": self.date_occasion,
            "date_partial": self.date_partial,
        }

    @staticmethod
    def _day_month_ok(a: int, b: int) -> bool:
        return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= b <= 31 and 1 <= a <= 12)

    def date_numeric(self, text: str) -> Iterator[Candidate]:
        for m in self.date_numeric_re.finditer(text):
            if self._day_month_ok(int(m.group("a")), int(m.group("b"))):
                yield Candidate(m.start(), m.end(), "DATE", "date_numeric")
        for m in scan(self.date_dm_context_re, text, self.base.word_starts(text), self.dm_context_starts):
            if self._day_month_ok(int(m.group("a")), int(m.group("b"))):
                yield Candidate(m.start("d"), m.end("d"), "DATE", "date_numeric")

    def date_ordinal_in_context(self, text: str) -> Iterator[Candidate]:
        """An ordinal after "on the" is a date unless a noun follows ("on the 2nd floor", "for the 3rd time")."""
        for m in scan(self.date_ordinal_ctx_re, text, self.base.word_starts(text), self.ordinal_ctx_starts):
            rest = text[m.end("o") : m.end("o") + 60]
            if rest[:1] in ("-", "/"):
                continue
            word = re.match(r"[ \u00a0]+([a-z][\w'’]*)", rest)
            if word and word.group(1).casefold() not in self.ordinal_followers:
                continue
            yield Candidate(m.start("o"), m.end("o"), "DATE", "date_ordinal_in_context")

    def date_occasion(self, text: str) -> Iterator[Candidate]:
        words = self.base.words(text)
        if not words.isdisjoint(NAMED_DAY_WORDS) and NAMED_DAY_YEAR.search(text):
            for m in self.named_day_year_re.finditer(text):
                first = m.group().split()[0].casefold()
                if first not in self.base.function_words or first in ("st", "saint"):
                    yield Candidate(m.start(), m.end(), "DATE", "date_occasion")
        if words.isdisjoint(self._occasion_words):
            return
        for m in scan(self.occasion_re, text, self.base.word_starts(text), self.occasion_starts):
            yield Candidate(m.start(), m.end(), "DATE", "date_occasion")

    def _ordinal_noun_follows(self, text: str, end: int) -> bool:
        """ "the 2nd floor", "the 4th cardiac arrest": a listed noun, or an adjective (an English word with an
        adjective's ending, followed by another word) that starts a noun phrase."""
        nxt = re.match(rf"{HSP}+([A-Za-z'’\-]+)({HSP}+[a-z])?", text[end : end + 40])
        if not nxt:
            return False
        word = nxt.group(1).casefold()
        if word in self.ordinal_nouns:
            return True
        return bool(nxt.group(2)) and word.endswith(ADJECTIVE_ENDINGS) and word in self.english

    def date_partial(self, text: str) -> Iterator[Candidate]:
        """ "the 28th", "on 23rd", "01/06", "Tues 14/11", "on 12.05": dates without a month or a year."""
        if not self.base.words(text).isdisjoint(MONTH_WORDS):
            for m in scan(self.ordinal_word_date_re, text, self.base.word_starts(text), self.ordinal_word_starts):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        if not _HAS_DIGIT.search(text):
            return
        starts = self.base.word_starts(text)
        for m in scan(self.the_ordinal_re, text, starts, THE):
            if not self._ordinal_noun_follows(text, m.end()):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        for m in scan(self.the_date_re, text, starts, THE):
            yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        for m in self.range_start_re.finditer(text):
            grp = "d" if m.group("d") is not None else "d2"
            yield Candidate(m.start(grp), m.end(grp), "DATE", "date_partial")
        for m in scan(self.bare_ordinal_re, text, starts, self.bare_ordinal_starts):
            if not self._ordinal_noun_follows(text, m.end()):
                yield Candidate(m.start("o"), m.end("o"), "DATE", "date_partial")
        for m in self.day_month_re.finditer(text):
            a, b, sep = m.group("a"), m.group("b"), m.group("s")
            if not (1 <= int(a) <= 31 and 1 <= int(b) <= 12 or 1 <= int(b) <= 31 and 1 <= int(a) <= 12):
                continue
            if (a, b) == ("24", "7"):  # "24/7 care"
                continue
            context = bool(m.group("wd")) or bool(self.date_ctx_before.search(text[max(0, m.start() - 18) : m.start()]))
            two_digit = len(a) == 2 and len(b) == 2
            if sep == "." and MEASURE_BEFORE.search(text, max(0, m.start() - 25), m.start()):
                continue  # "a potassium of 7.2", "Hb of 10.5": a result
            if (sep == "/" and (two_digit or context)) or (sep == "." and context):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")
