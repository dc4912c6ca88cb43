"""De-identification rules of round seven (issue 10): forms of age and names that the `gen-r7` development lines
showed slipping, each caught by its shape and the words around it, not by a listed example.

* ages in running clinical shorthand: "an F72 with delirium", "a 72F in clinic", "the 84F in bay 3" (not
  "a 14F catheter", "the M56"), "F, 35, bay 1" mid-sentence;
* ages with their unit glued or formal: "Mr Afolabi, 40yrs,", "triage: 16y,", "45 years of age", "in her
  seventy-ninth year";
* ages told about a person further back: "was only 32", "is only twenty" (not "the score was only 5"),
  "the woman in bed 11 was 101", "and will be 100 on…", "Bilal, is 16", "Fatima, was only 19";
* names known by where they belong: "Xiaoling from my PBL group", "Bill (bed 12)".

:class:`bot.core.privacy.redaction_rules.RuleSet` runs them, read through :class:`RuleHost`; pure functions over the
folded text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import HSP, LO, MEASURE_BEFORE, NUMBER_WORD, UP, Candidate, RuleHost

AGE_N = rf"(?:1[01][0-9]|[1-9]?[0-9]|(?i:{NUMBER_WORD}))"
# what a French-gauge size is the size of ("a 14F catheter"): such a number is no age
GAUGE_AFTER = re.compile(
    rf"{HSP}*(?i:catheters?|cath|foley|sheaths?|tubes?|ng|nj|drains?|cannula|cannulas|suction|feeding|nasogastric|"
    rf"urinary|introducer|dilators?|fr|french|gauge|chest{HSP}+drain)\b"
)
ORDINAL_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(?:first|second|third|fourth|fifth|sixth|"
    r"seventh|eighth|ninth)|(?:twent|thirt|fort|fift|sixt|sevent|eight|ninet)ieth|hundredth)"
)
# the end of an age told in a sentence: a stop, or a word that goes on about the person
AGE_END = (
    rf"(?=[ \u00a0]*(?:[,.;:!?)\"”]|$)|{HSP}+(?i:herself|himself|themselves|years?|yrs?|and|but|when|so|with|now|"
    rf"then|too|already|at|in|on|next|this|last|soon|because)\b)"
)
ROLE_PLACE_AFTER = re.compile(
    rf"{HSP}+from{HSP}+(?:my|our|the|his|her){HSP}+(?:[A-Za-z]+{HSP}+){{0,2}}"
    rf"(?:group|firm|year|cohort|class|team|placement|practice|block|halls|flat|course)(?![\w])"
    rf"|{HSP}+\((?:bed|bay|side{HSP}+room|room|cubicle){HSP}*[0-9]{{1,2}}[A-Za-z]?\)"
)


FROM = frozenset({"from"})
_BRACKET = re.compile(r"\(")


class FormRules:
    """The round-seven rules over one :class:`RuleSet`'s configuration."""

    def __init__(self, base: RuleHost) -> None:
        self.base = base
        self.places = frozenset(p.casefold() for p in base.cfg.places)
        self.run_sex_age_re = re.compile(
            r"(?<![\w'’])(?P<art>a|an|the|this|our|my|one|another|(?i:pt|patient))[ \u00a0]+"
            r"(?:(?P<n>1[01][0-9]|[1-9][0-9])(?:yo|y/o)?[MF]|(?P<sex>[MF])(?P<n2>1[01][0-9]|[1-9][0-9]))(?![\w&'’])"
        )
        self.mid_sex_age_re = re.compile(rf"(?<![\w'’])(?:[MF]|(?i:male|female)),{HSP}*(?P<n>{AGE_N}),{HSP}*(?![0-9])")
        self.glued_unit_re = re.compile(
            rf"(?:^|(?<=[,:(])|(?<=[,:(]{HSP})|(?<=[,:(]{HSP}{HSP}))(?P<n>1[01][0-9]|[1-9]?[0-9]){HSP}?(?:yrs|yr|y)"
            rf"(?=[ \u00a0]*(?:[,;)]|$))"
        )
        self.years_of_age_re = re.compile(
            rf"(?<![\w\-.])(?P<n>[0-9]{{1,3}}|(?i:{NUMBER_WORD})){HSP}+(?i:years?|yrs?){HSP}+of{HSP}+age(?![\w])"
        )
        self.in_year_re = re.compile(
            # "in her seventy-ninth year", "in his 80th year"; not "in my 4th year" (of medical school)
            rf"(?<![\w])(?i:in{HSP}+(?:her|his|their){HSP}+)(?P<n>(?i:{ORDINAL_WORD})|(?:[2-9][0-9]|1[0-2][0-9])(?:st|nd|rd|th))"
            rf"{HSP}+(?i:year)(?![\w])"
        )
        self.only_re = re.compile(
            rf"(?<![\w])(?:was|is|’s|'s){HSP}+(?:only|just|barely){HSP}+(?P<n>[0-9]{{1,3}}|(?i:{NUMBER_WORD})){AGE_END}"
        )
        self.person_in_bed_re = re.compile(
            rf"(?<![\w])(?i:man|woman|lady|gentleman|gent|girl|boy|patient|pt|chap|bloke|lad|kid|baby|child)"
            rf"{HSP}+(?i:in|on|from){HSP}+(?:the{HSP}+)?(?i:bed|bay|side{HSP}*room|room|cubicle|corner|next{HSP}+bed)"
            rf"(?:{HSP}*[0-9]{{1,2}}[A-Za-z]?)?{HSP}+(?:was|is){HSP}+(?:(?:only|just|nearly|almost){HSP}+)?"
            rf"(?P<n>[0-9]{{1,3}}|(?i:{NUMBER_WORD})){AGE_END}"
        )
        self.will_be_re = re.compile(
            rf"(?<![\w])(?i:and|who|but)(?:{HSP}+(?i:will|would|'ll|’ll)){HSP}+be{HSP}+(?P<n>[0-9]{{1,3}})"
            rf"(?=[ \u00a0]*(?:[,.;!?]|$)|{HSP}+(?i:on|next|this|in|soon|tomorrow|at|when|by)\b)"
        )
        self.name_verb_age_re = re.compile(
            rf",?{HSP}+(?:is|was|'s|’s){HSP}+(?:(?:only|just|nearly|almost|now){HSP}+)?(?P<n>[0-9]{{1,3}}){AGE_END}"
        )
        # the word before the group or bed: capitalised, or (round 11) a lower-case word in no dictionary ("chibuzor
        # from my PBL group"); looked for back from each group or bed found
        self.role_name_re = re.compile(rf"(?<![\w'’-])(?P<n>[{UP}{LO}][{LO}]{{2,}})$")

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {"age_forms": self.age_forms, "name_by_belonging": self.name_by_belonging}

    # ------------------------------------------------------------------ ages

    def _measured(self, text: str, start: int) -> bool:
        return bool(MEASURE_BEFORE.search(text, max(0, start - 30), start))

    def age_forms(self, text: str) -> Iterator[Candidate]:
        """Ages in the round-seven forms (see the module docstring)."""
        has_digit = any(ch.isdigit() for ch in text)
        if has_digit:
            for m in self.run_sex_age_re.finditer(text):
                grp = "n" if m.group("n") else "n2"
                if m.group("sex") and m.group("art") not in ("a", "an", "one", "another"):
                    continue  # "the M56", "our F2": a motorway or a doctor's grade
                if GAUGE_AFTER.match(text, m.end()):
                    continue
                yield Candidate(m.start(grp), m.end(grp), "AGE", "age_forms")
            for m in self.glued_unit_re.finditer(text):
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_forms")
        for rx in (self.mid_sex_age_re, self.years_of_age_re, self.in_year_re):
            for m in rx.finditer(text):
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_forms")
        for rx in (self.only_re, self.person_in_bed_re, self.will_be_re):
            for m in rx.finditer(text):
                n = m.group("n")
                if n.isdigit() and int(n) > 120 or self._measured(text, m.start()):
                    continue
                if not n.isdigit() and n.casefold() in ("one", "two", "three"):
                    continue  # "there was only one": a count
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_forms")

    def age_after_name_verb(self, text: str, names: list[Candidate]) -> Iterator[Candidate]:
        """ "Bilal, is 16", "Fatima, was only 19 herself": an age told right after a name found here."""
        for end in sorted({c.end for c in names}):
            m = self.name_verb_age_re.match(text, end)
            if m and int(m.group("n")) <= 120:
                yield Candidate(m.start("n"), m.end("n"), "AGE", "age_forms")

    # ------------------------------------------------------------------ names

    def name_by_belonging(self, text: str) -> Iterator[Candidate]:
        """ "Xiaoling from my PBL group", "Bill (bed 12)": a capitalised word that belongs to a group or a bed."""
        if "from" not in text and "(" not in text:
            return
        base = self.base
        at = [p - 1 for p in base.word_starts(text).starts(FROM) if p > 0]
        if "(" in text:
            at = sorted({*at, *(b.start() - 1 for b in _BRACKET.finditer(text) if b.start() > 0)})
        for pos in at:
            while pos > 0 and text[pos - 1] in " \u00a0":
                pos -= 1  # the group or bed may follow more than one space
            place = ROLE_PLACE_AFTER.match(text, pos)
            m = self.role_name_re.search(text, max(0, pos - 40), pos) if place else None
            if m is None:
                continue
            key = m.group("n").casefold()
            if key in base.function_words or key in base.never_names or key in self.places:
                continue
            if key in base.cfg.english_words and key not in base.first_names and key not in base.cfg.listed_first_names:
                continue  # "Someone from my group", "Physio from the team": words, not names
            lower = m.group("n").islower()
            if lower and (len(key) < 4 or key in base.ambiguous or key.rstrip("s") in base.cfg.english_words):
                continue  # "pics from our placement": a plural, no name
            yield Candidate(m.start("n"), m.end("n"), "NAME", "name_by_belonging")
