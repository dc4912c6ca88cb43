"""The shared vocabulary of the redaction rules: spans, character classes, month and weekday patterns, word sets.

Every rule module (:mod:`redaction_rules`, :mod:`redaction_numbers`, :mod:`redaction_dates`, :mod:`redaction_ages`,
:mod:`redaction_addresses`, :mod:`redaction_places`, :mod:`redaction_lexicon`, :mod:`redaction_shapes`,
:mod:`redaction_forms`) builds on these; this module imports none of them, so the rules form no import cycle.
:class:`RuleHost` is the part of :class:`bot.core.privacy.redaction_rules.RuleSet` the split-out rule modules read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, Protocol

from bot.core.privacy.redaction_config import RedactionConfig
from bot.core.privacy.word_scan import WordStarts, first_words, scan


class Candidate(NamedTuple):
    start: int
    end: int
    type: str
    rule: str


# --------------------------------------------------------------------------- NHS check digit


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit for the first nine digits of an NHS number (None: no valid digit)."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("expected nine ASCII digits")
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    """True if ``value`` (spaces, dashes or dots allowed) is 10 digits with a correct mod-11 check digit."""
    digits = re.sub(r"[\s\-–.]", "", value)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


# --------------------------------------------------------------------------- shared patterns

# Latin Extended-A, -B and Additional mix cases: "Łukasz", "Nguyễn", "Ionuț", "Şerban"
UP = "A-ZÀ-ÖØ-Þ\u0100-\u024f\u1e00-\u1eff"
LO = "a-zß-öø-ÿ\u0100-\u024f\u1e00-\u1eff"
HSP = "[ \u00a0]"  # horizontal space only: names and dates never run across a line break
CAP = rf"[{UP}][{LO}'’]*(?:-[{UP}]?[{LO}]+)*"  # a capitalised word ("Queen's", "Eze-Williams")
PARTICLE = r"(?:y|yr|'r|de|la|le|du|des|del|della|di|da|of|and|the)"
# Irish and Scottish Gaelic articles in street and house names too ("Bóthar na Trá", "Sráid an Chaisleáin")
GAEL_PARTICLE = r"(?:y|yr|'r|de|la|le|du|des|del|della|di|da|of|and|the|na|an|nan|a')"
# a prefix glued to a capital: "McAleese", "O'Brien", "al-Masri"; camel case "DeShawn", "FitzGerald" (round 11)
_NAME_PREFIX = (
    r"(?:Mc|Mac|O['’]|D['’]|N['’]|M['’]|(?:[Aa]l|[Ee]l|[Uu]l|[Aa]bu|[Bb]in|[Ii]bn)-|(?:Fitz|De|Di|Da|Du|La|Le)(?=[A-Z]))"
)
# each part of a double-barrelled name may carry its own prefix ("Quinn-McAleese", "Smith-O'Neill"); a lower-case
# syllable after an apostrophe is part of the name ("Ma'ayan", "Ka'iulani"), a possessive's one letter is not (round 11)
NAME_TOKEN = re.compile(  # an apostrophe before it only as an opening quote: "('Jane')", not "didn't" (round 11)
    rf"(?<![\w’-])(?<!\w'){_NAME_PREFIX}?[{UP}][{LO}]+(?:-{_NAME_PREFIX}?[{UP}][{LO}]+|['’]{_NAME_PREFIX}?[{UP}][{LO}]+"
    rf"|['’][{LO}]{{3,}}|-[{LO}]{{2,}})*(?!\w)"
)
INITIAL = re.compile(rf"(?<![\w'’-])[{UP}](?:\.(?={HSP}*[{UP}])|(?![\w&'’]))")
INTRO_INITIAL = re.compile(rf"([{UP}])(?:\.|[{UP}]{{1,2}}(?![\w'’])|(?![\w'’]))")  # "R.", "R", "DM" (round 11)
LOWER_TOKEN = re.compile(rf"(?<![\w'’-])[{LO}]+(?:-[{LO}]+)*(?!\w)")
PARTICLES = re.compile(
    rf"(?:(?:van|von|der|den|de|da|di|du|del|della|dela|delos|dos|das|le|la|bin|bint|binti|ibn|al|el|ap){HSP}+){{1,2}}"
)
LOWERCASE_STYLE = re.compile(r"(?<![\w'’])i(?:['’](?:m|ve|d|ll)|(?=[ \u00a0]+[a-z]))(?!\w)")
HSP_RUN = re.compile(HSP + "+")
HSP_LOWER = re.compile(HSP + "+[a-z]")
SENTENCE_END = ".!?…:\n"
OPENERS = "\"'“‘([«"

MONTHS_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Weds",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Mon",
    "Tues",
    "Tue",
    "Wed",
    "Thurs",
    "Thur",
    "Thu",
    "Fri",
    "Sat",
    "Sun",
)
MONTH_NAMES = frozenset(m.casefold() for m in MONTHS_FULL)
NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six"
    r"|seven|eight|nine))?|(?:a|one)[- ]hundred(?:[- ]and[- ]\w+)?|one|two|three|four|five|six|seven|eight|nine|ten"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)


def misspellings(word: str) -> set[str]:
    """One slip of the keyboard in a long month or weekday name: a letter dropped or two swapped
    ("Febuary", "Feburary", "Ocotber", "Wendesday", "Spetember"). Only where the name sits next to a day
    number or a year, as every date pattern here requires, so "Frida" alone is never a date."""
    w = word
    out = {w[:i] + w[i + 1 :] for i in range(1, len(w))}
    out |= {w[:i] + w[i + 1] + w[i] + w[i + 2 :] for i in range(1, len(w) - 1)}
    return {v for v in out if v != w and len(v) >= 5}


# slips that add or change a letter, as students type them
COMMON_SLIPS = ("Janurary", "Feburary", "Febuary", "Novemeber", "Decemeber", "Septmeber", "Wensday", "Wednsday",
                "Wedensday", "Thursady", "Thrusday", "Tusday", "Saterday", "Satuday", "Marhc", "Mrach", "Apirl",
                "Aprli", "Agust", "Augest", "Ocober", "Decmeber")  # fmt: skip


def _month_forms() -> tuple[str, ...]:
    """Month names, abbreviations and their slips of the keyboard, longest first."""
    slips = {v for m in MONTHS_FULL if len(m) >= 6 for v in misspellings(m)}
    slips |= {v for v in COMMON_SLIPS if v[:3].casefold() not in {d[:3].casefold() for d in WEEKDAYS}}
    slips -= set(MONTHS_FULL + MONTH_ABBR)
    return tuple(sorted(MONTHS_FULL + MONTH_ABBR + tuple(sorted(slips)), key=len, reverse=True))


def _month_alt() -> str:
    """Month names; capitalised only for May / March / Mar (verbs), any case for the others."""
    parts = []
    for m in _month_forms():
        if m in ("May", "March", "Mar"):
            parts.append(m)
        else:
            parts.append(f"[{m[0]}{m[0].lower()}](?i:{m[1:]})")
    return "(?:" + "|".join(parts) + r")(?<=\w)(?:\.(?=\s))?"


MONTH = _month_alt()
_WEEKDAY_SLIPS = {v for d in WEEKDAYS if len(d) >= 6 for v in misspellings(d)} | {
    v for v in COMMON_SLIPS if v[:3].casefold() in {d[:3].casefold() for d in WEEKDAYS}
}
WEEKDAY = "(?:" + "|".join(sorted(set(WEEKDAYS) | (_WEEKDAY_SLIPS - {"Frida"}), key=len, reverse=True)) + r")\.?"
# the words a match of MONTH or WEEKDAY starts with, for word_scan.scan
MONTH_STARTS = first_words(_month_forms())
WEEKDAY_STARTS = first_words(WEEKDAYS, _WEEKDAY_SLIPS)
DAY = r"(?:3[01]|[12][0-9]|0?[1-9])"
ORD = r"(?:st|nd|rd|th)"
YEAR4 = r"(?:19|20)[0-9]{2}"


def _alt(words: Iterable[str], *, ignore_case: bool) -> str:
    """A regex alternation of ``words`` (longest first); spaces inside an entry match any space run."""
    items = sorted({w for w in words if w}, key=len, reverse=True)
    if not items:
        return r"(?!x)x"
    body = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)
    return f"(?i:{body})" if ignore_case else f"(?:{body})"


def _fold(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w.casefold() for w in words)


def simple(rx: re.Pattern[str], typ: str, rule: str) -> Callable[[str], Iterator[Candidate]]:
    """A rule that is one pattern: every match is a candidate of ``typ``."""

    def _run(text: str) -> Iterator[Candidate]:
        for m in rx.finditer(text):
            yield Candidate(m.start(), m.end(), typ, rule)

    return _run


def simple_at(
    base: RuleHost, rx: re.Pattern[str], words: frozenset[str], typ: str, rule: str
) -> Callable[[str], Iterator[Candidate]]:
    """A rule that is one pattern whose every match starts with one of ``words``: :func:`simple`, tried only at
    those words (see :mod:`bot.core.privacy.word_scan`)."""

    def _run(text: str) -> Iterator[Candidate]:
        for m in scan(rx, text, base.word_starts(text), words):
            yield Candidate(m.start(), m.end(), typ, rule)

    return _run


def is_sentence_initial(text: str, pos: int) -> bool:
    """True if ``pos`` starts a sentence, a line or a quotation."""
    i = pos - 1
    quoted = False
    while i >= 0 and (text[i] in OPENERS or text[i] in " \t\u00a0"):
        if text[i] in OPENERS:
            quoted = True
        i -= 1
    if i < 0 or quoted:
        return True
    return text[i] in SENTENCE_END or (text[i] in "-•*" and (i == 0 or text[i - 1] == "\n"))


GENERIC_UNIT_WORDS = frozenset(
    """intensive care acute medical surgical assessment admissions emergency coronary high dependency stroke
    renal day maternity labour neonatal special baby children's paediatric discharge clinical decisions short
    stay elderly respiratory cardiac mental health general psychiatric community district teaching university
    private independent local main new old the a an our my their his her this that royal national regional
    minor injuries urgent treatment eye dental sexual outpatient outpatients inpatient inpatients day-case
    endoscopy dialysis oncology cancer haematology burns plastics trauma spinal rehabilitation rehab memory
    pain sleep fertility ivf genetics blood transfusion x-ray imaging radiology pathology research student
    students education training simulation postgraduate medical care nursing residential home homes
    walk-in family primary secondary tertiary specialist admission observation""".split()
)
ACRONYMS = frozenset(
    """ID GP ED AE ICU ITU HDU CCU AMU SAU NICU SCBU PICU MAU CT MRI ECG EEG HIV TB UTI DNR DNACPR NHS OT
    HCA SHO FY MDT BP HR OK UK US IV IM PO PRN TTO TTA DOB MRN PE DVT MI AKI CKD COPD
    DKA PSA TSH BNP ESR CRP INR ALT ALP GGT LFT FBC ABG VBG CXR AXR OGD PEG CSF SAH TIA CVA ACS SVT PEA GCS
    BMI RTC NOF THR TKR IBD IBS PUD MND HHS""".split()
)
AGENT_VERBS = frozenset(
    """kept wanted sat stood walked came went felt knew thought looked cried smiled laughed held gave took
    showed brought helped needed loved hated lived worked died asked told said whispered refused grabbed
    squeezed waved winked nodded shouted screamed sobbed phoned rang texted arrived left""".split()
)
_ADDR_WORD = rf"[{UP}][{LO}'’\-]+(?:{HSP}+(?:na|y|yr|an|am|de|la|du|of|on|upon|le){HSP}+[{UP}][{LO}'’\-]+)?"
ADDRESS_BEFORE_POSTCODE = re.compile(
    rf"(?<![\w])(?P<addr>(?:(?i:flat|apt|apartment|unit|room)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+"
    rf"{_ADDR_WORD}(?:{HSP}+{_ADDR_WORD}){{0,3}}(?:,?[ \u00a0\n]+{_ADDR_WORD}(?:{HSP}+{_ADDR_WORD}){{0,2}}){{0,2}})"
    rf"[ \u00a0]*,?[ \u00a0\n]*$"
)
NHS_LOOSE = re.compile(r"(?<![\w.\-/])[0-9](?:(?:[ \u00a0]{1,2}|[.\-])?[0-9]){9}(?![\w\-/]|[.\-][0-9])")
PHONE_EXTENSION = re.compile(r"[ \u00a0]*,?[ \u00a0]*(?i:ext\.?|extn\.?|extension|x)[ \u00a0]*[0-9]{2,5}(?![\w])")
EIRCODE = re.compile(r"(?<![\w])([AC-FHKNPRTV-Y][0-9]{2}|D6W)[ \u00a0]?([0-9AC-FHKNPRTV-Y]{4})(?![\w])")
AGE_WORDS = re.compile(
    r"(?<![\w\-])(?P<n>(?i:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|(?:a|one)[- ]hundred(?:[- ]and[- ][a-z]+)?|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen))(?![\w\-])"
)
AGE_LIST_REST = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*[0-9]{1,3})*[ \u00a0]*(?:,[ \u00a0]*)?(?:and|&)[ \u00a0]+[0-9]{1,3}"
    r"(?![0-9%/:.]|[ \u00a0]*(?:mg|kg|g|ml|mins?|minutes|hours|hrs|days|weeks|months|times|%|patients|beds)\b)"
)
AGE_WAS_N_AND = re.compile(
    r"(?<![\w])(?:was|is|'s)[ \u00a0]+(?P<n>[0-9]{1,3})(?:,[ \u00a0]*|[ \u00a0]+(?:and|but)[ \u00a0]+)"
    r"(?:had|has|have|still|lived|lives|living|was|is|never|always|already|sharp|fit|frail|independent|"
    r"dying|married|widowed|a|the|my|her|his|only|just)\b"
)
MEASURE_BEFORE = re.compile(
    r"(?i:score|bp|pressure|rate|temp|temperature|sats|saturation|level|count|pain|glucose|sugar|weight|bmi|"
    r"news|gcs|result|number|total|mark|marks|hb|inr|crp|potassium|sodium|creatinine|egfr|age\s+gap|minutes|"
    r"hours|time|percent|%)[^.!?]*$"
)
MEASURE_SUBJECTS = frozenset(
    """hb hba1c inr crp bp bmi gcs score sodium potassium creatinine egfr glucose sugar sats temp temperature
    weight pulse level count total result mark lactate troponin platelets wcc ferritin psa tsh bnp esr alt alp
    ggt bilirubin albumin calcium magnesium phosphate urea cholesterol ldl hdl amylase lipase ck""".split()
)
ROLE_AFTER = re.compile(r"[ \u00a0]+(?:was|is)[ \u00a0]+(?:the|a|an|my|our)[ \u00a0]+([a-z]+)(?:[ \u00a0]+([a-z]+))?")
APPOSITION = re.compile(r",[ \u00a0]+(?:the|my|our|a|an|who|aged|age|her|his)[ \u00a0]")
OBJECT_PHRASE = re.compile(
    r"(?<![\w])(?:spoke|speaking|talked|talking|listened|listening|chatted|chatting|sat|sitting|looked|looking|"
    r"cared|caring|waved|waving|went|going|stayed|staying)[ \u00a0]+(?:to|with|after|for|at|beside)[ \u00a0]+$"
)

# after a name: its role ("Mark the charge nurse"), its team ("Joy from the discharge team"), its bed
ROLE_NEXT = re.compile(
    r"[ \u00a0]+(?:the|our|my)[ \u00a0]+(?:[a-z]+[ \u00a0]+)?(?P<role>[a-z]+)(?![\w'’-])"
    r"|[ \u00a0]+from[ \u00a0]+(?:the[ \u00a0]+)?(?:[a-z]+[ \u00a0]+)?"
    r"(?:team|ward|chaplaincy|pharmacy|physio|clinic|office)\b"
    r"|[ \u00a0]+in[ \u00a0]+(?:bed|bay|side[ \u00a0]?room|room)[ \u00a0]*[0-9]"
    # "Gaz on the porter team", "Shona at the front desk", "Iñaki on the elective": where a person works (round 8)
    r"|[ \u00a0]+(?:on|at)[ \u00a0]+(?:the|our|my)[ \u00a0]+(?:[a-z]+[ \u00a0]+)?"
    r"(?:team|desk|reception|elective|firm|rota|placement|switchboard|nights)\b"
    r"|[ \u00a0]+\((?:[A-Z0-9]{2,5}|[a-z]+(?:[ \u00a0][a-z]+)?)\)"
)


_HAS_DIGIT = re.compile(r"[0-9]")


class RuleHost(Protocol):
    """What the split-out rule modules read from the :class:`RuleSet` they belong to (its folded word sets)."""

    cfg: RedactionConfig
    function_words: frozenset[str]
    never_names: frozenset[str]
    not_names: frozenset[str]
    first_names: frozenset[str]
    ambiguous: frozenset[str]
    inst_after: frozenset[str]
    relation_words: frozenset[str]
    person_verbs: frozenset[str]
    speech_verbs: frozenset[str]
    not_age_units: frozenset[str]

    def words(self, text: str) -> frozenset[str]: ...

    def word_starts(self, text: str) -> WordStarts: ...

    def _institutional(self, text: str, start: int, end: int, *, before: bool = True, digit: bool = True) -> bool: ...
