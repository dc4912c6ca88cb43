"""De-identification rules that lean on word lists: names from the name lists and the English lexicon,
places of care (LOCATION), house and street names, named occasions, partial dates, initials.

Split out of :mod:`bot.core.privacy.redaction_rules` for size;
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its word sets through :class:`RuleHost`).
Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.

The lexicon test is what lets names generalise beyond any list: a capitalised word in the middle of a
sentence that is neither an English word (SCOWL's lower-case list) nor a known place is, in a student's
reflection, almost always a person ("Okonkwo", "Lindqvist"); a word in the name lists that is not an
English word is a name wherever it stands, in any case ("siobhan", "Brennan").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    AGENT_VERBS,
    DAY,
    HSP,
    LO,
    LOWER_TOKEN,
    LOWERCASE_STYLE,
    MEASURE_BEFORE,
    MONTH,
    NAME_TOKEN,
    NUMBER_WORD,
    ORD,
    ROLE_NEXT,
    UP,
    WEEKDAY,
    YEAR4,
    Candidate,
    RuleHost,
    is_sentence_initial,
    misspellings,
)

CAP = rf"[{UP}][{LO}'’]*(?:-[{UP}]?[{LO}]+)*"  # a capitalised word ("Queen's", "Eze-Williams")
PARTICLE = r"(?:y|yr|'r|de|la|le|du|des|del|della|di|da|of|and|the)"
# Irish and Scottish Gaelic articles in street and house names too ("Bóthar na Trá", "Sráid an Chaisleáin")
GAEL_PARTICLE = r"(?:y|yr|'r|de|la|le|du|des|del|della|di|da|of|and|the|na|an|nan|a')"
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
DOTTED_NOT_INITIALS = frozenset({"U.K.", "U.S.", "N.H.S.", "D.O.B.", "A.M.", "P.M.", "E.G.", "I.E.", "A.K.A."})


def _alt(words: Iterable[str]) -> str:
    items = sorted({w for w in words if w}, key=len, reverse=True)
    if not items:
        return r"(?!x)x"
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items) + ")"


class LexiconRules:
    """The list-driven rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.places = frozenset(p.casefold() for p in cfg.places)
        self.names = cfg.listed_first_names | cfg.surnames | base.first_names
        self.ordinal_nouns = frozenset(w.casefold() for w in cfg.ordinal_nouns)
        self.suffixes = cfg.not_name_suffixes
        suffixes = list(cfg.location_suffixes)
        self.location_re = re.compile(
            rf"(?<![\w'’])(?P<words>(?:(?:St\.?|Saint){HSP}+)?{CAP}(?:{HSP}+(?:{CAP}|{PARTICLE})){{0,4}}?)"
            rf"{HSP}+(?P<suffix>{_alt(suffixes)})(?:{HSP}+(?:of|for){HSP}+{CAP}(?:{HSP}+{CAP})?)?(?![\w])"
        )
        self.ward_number_re = re.compile(
            rf"(?<![\w])(?:(?P<pre>{CAP}){HSP}+)?(?P<ward>[Ww]ard){HSP}+(?:[A-Za-z]?[0-9]{{1,3}}[A-Za-z]?|[A-Z](?![\w'’]))"
            rf"(?:{HSP}+(?i:north|south|east|west))?(?![\w])"
        )
        self.unit_number_re = re.compile(  # "Critical Care Unit 2", "Day Surgery Suite 3"
            rf"(?<![\w'’])(?:{CAP}{HSP}+){{1,3}}(?:Unit|Suite|Wing|Theatre|Theatres){HSP}+[0-9]{{1,2}}[A-Z]?(?![\w])"
        )
        self.unit_at_re = re.compile(
            rf"(?<![\w])(?:(?i:the){HSP}+)?(?:{CAP}{HSP}+){{0,3}}(?:Unit|Ward|Hospice|Department|Centre|Clinic|Suite|Wing)"
            rf"{HSP}+(?:at|in|of){HSP}+(?:the{HSP}+)?(?P<place>{CAP}(?:{HSP}+{CAP}){{0,2}})(?![\w])"
        )
        self.royal_re = re.compile(
            rf"(?<![\w])(?:(?i:the)|(?<![\w])(?:at|to|from|in|into)){HSP}+"
            rf"(?:Royal|Princess|Queen|King|Prince|Duchess|Countess)(?:{HSP}+{CAP}){{1,2}}(?![\w])"
        )
        self.known_re = re.compile(
            rf"(?<![\w'’])(?:(?i:the){HSP}+)?(?:{_alt(cfg.known_locations)}|Ysbyty(?:{HSP}+{CAP}){{1,3}}"
            # prisons, young offenders' institutions, Welsh schools and colleges: "HMP Styal", "Ysgol Friars"
            rf"|(?:HMP{HSP}*YOI|HMPYOI|HMYOI|HMP|HMIP|Ysgol|Coleg|Cartref|Canolfan)(?:{HSP}+{CAP}){{1,3}}"
            rf"|(?:St\.?|Saint){HSP}+{CAP}['’]s?{HSP}+(?:Primary|Academy|High|Secondary|School|College)"
            rf"|(?:St\.?|Saint){HSP}+{CAP}['’]s?)(?:{HSP}+of{HSP}+{CAP}(?:{HSP}+{CAP})?)?(?![\w])"
        )
        self.the_date_re = re.compile(rf"(?<![\w])(?i:the){HSP}+{DAY}{ORD}{HSP}+of{HSP}+{MONTH}(?![\w])")
        self.age_future_re = re.compile(
            rf"(?:(?<![\w])(?i:he|she|they|i|you|we|who)(?:'d|'ll|{HSP}+(?i:will|would|is\s+going\s+to))"
            rf"|(?:^|(?<=\n))(?i:will|would))"  # a note's dropped subject: "will be 18 next month" (round 8)
            rf"{HSP}+(?:be|turn){HSP}+"
            rf"(?P<n>[0-9]{{1,3}})(?={HSP}*(?:[,.;!?)]|$)|{HSP}+(?i:next|this|in|on|soon|tomorrow|at|when|by|and)\b)"
        )
        num = rf"(?:(?i:flat|apartment|apt|unit)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+"
        self.house_re = re.compile(
            rf"(?<![\w'’])(?:{num})?(?:The{HSP}+(?:Old{HSP}+)?)?(?:{CAP}{HSP}+){{1,2}}{_alt(cfg.house_suffixes)}(?![\w])"
            rf"|(?<![\w'’])The{HSP}+Old{HSP}+{CAP}(?![\w])"
        )
        self.welsh_re = re.compile(
            rf"(?<![\w'’])(?:{num})?{_alt(cfg.welsh_place_words)}(?:{HSP}+{GAEL_PARTICLE}){{0,2}}{HSP}+{CAP}"
            rf"(?:{HSP}+(?:{GAEL_PARTICLE}{HSP}+)?{CAP})?(?![\w])"
        )
        strong = [s for s in cfg.street_suffixes if s in STRONG_STREET_SUFFIXES]
        self.street_re = re.compile(
            rf"(?<![\w'’])(?:{num})?(?P<words>{CAP}(?:{HSP}+{CAP}){{0,2}}){HSP}+{_alt(strong)}(?![\w])"
        )
        self.address_ctx_re = re.compile(
            rf"(?<![\w])(?i:lives|lived|living|live|address|addressed|moved|home|house|went|goes|go|at|to)"
            rf"(?:{HSP}+(?i:is|was|at|to|in))?{HSP}*:?{HSP}+"
            rf"(?P<a>(?:(?i:flat|apartment)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+{CAP}"
            rf"(?:{HSP}+(?:{PARTICLE}{HSP}+){{0,2}}{CAP}){{0,3}})(?![\w])"
        )
        self.home_named_re = re.compile(
            rf"(?<![\w])(?:(?i:lives|lived|living|live|staying|stays|moved|moving)(?:{HSP}+(?i:back|in|out))?{HSP}+(?i:at|to|into)"
            rf"|(?i:house|home|bungalow|cottage|farm|flat)(?:{HSP}+is)?{HSP}+(?i:called|named)|(?i:address|home)(?:{HSP}+(?i:is|was|as))?)"
            rf"{HSP}*:?{HSP}+(?P<a>(?:The{HSP}+)?{CAP}(?:{HSP}+{CAP}){{0,2}})(?![\w])"
        )
        self.flat_re = re.compile(
            rf"(?<![\w])(?:Flat|Apartment|Apt\.?|Croft|Plot){HSP}*[0-9]{{1,4}}[A-Za-z]?(?:,?{HSP}+(?:Block|Floor|Building){HSP}+[0-9A-Z]{{1,3}})?"
            r"(?![\w])"
        )
        occ = _alt(cfg.occasions)
        day_occ = [o for o in cfg.occasions if re.search(r"(Day|Eve|Night|day|Sunday|Monday|Friday|Tuesday)$", o)]
        self.occasion_re = re.compile(
            rf"(?<![\w])(?:(?i:the){HSP}+)?{occ}(?:{HSP}+(?i:weekend|holidays?|break|period|week))?"
            rf"(?:,?{HSP}+(?:of{HSP}+)?(?:{YEAR4}|'[0-9]{{2}})|{HSP}*\({YEAR4}\))(?![\w])|(?<![\w]){_alt(day_occ)}(?![\w'’])"
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
            r"discharged|reviewed|operated|appointment|clinic|scan)\s*:?\s*$"
        )
        ordw = (
            r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
            r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|"
            r"(?:twenty|thirty)[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))"
        )
        self.ordinal_word_date_re = re.compile(
            rf"(?<![\w])(?:(?i:the){HSP}+)?(?i:{ordw}){HSP}+of{HSP}+{MONTH}(?:,?{HSP}+{YEAR4})?(?![\w])"
            rf"|(?<![\w]){MONTH}{HSP}+(?:the{HSP}+)?(?i:{ordw})(?![\w])"
        )
        self.title_initial_re = re.compile(
            rf"(?<![\w]){_alt(cfg.titles)}\.?{HSP}+(?P<i>[{UP}]\.(?:{HSP}?[{UP}]\.)*)"
        )
        self.caps_before_re = re.compile(
            rf"(?<![\w])(?i:patient|pt|client|resident|service{HSP}+user|baby|child|mr|mrs|ms|miss|dr|mx|called|named|"
            rf"call{HSP}+(?:her|him|them)|as|initials|saw|met|seen|see|visited|examined|reviewed|clerked|with)"
            rf",?{HSP}+['‘\"(]?$"
        )
        self.dotted_re = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,3}(?!\w)")
        self.care_ctx_re = re.compile(
            rf"(?<![\w])(?i:transferred|moved|sent|taken|admitted|referred|blue-lighted|blue-lighting|born|treated|"
            rf"seen|operated|discharged|placement|placed|rotation|nursed|ambulanced|brought|bypass|chemo|"
            rf"radiotherapy|surgery|dialysis|scan|patient|works|worked|working|job)"
            rf"(?:{HSP}+(?:him|her|them|me|us|back|over|in|out|on|up|there|here)){{0,2}}{HSP}+(?i:to|at|from|in|into){HSP}+"
            rf"(?P<loc>(?:the{HSP}+)?{CAP}(?:{HSP}+(?:of{HSP}+|and{HSP}+)?{CAP}){{0,3}})(?![\w])"
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
        self._first_words = {
            "occasion": frozenset(o.split()[0].casefold() for o in cfg.occasions),
            "known": frozenset(re.split(r"['’]", k.split()[0].casefold())[0] for k in cfg.known_locations)
            | {"ysbyty", "st", "saint", "hmp", "hmpyoi", "hmyoi", "hmip", "ysgol", "coleg", "cartref", "canolfan"},
            "location": frozenset(x.split()[-1].casefold() for x in cfg.location_suffixes) | {"ward"},
            "house": frozenset(x.casefold() for x in (*cfg.house_suffixes, *cfg.welsh_place_words))
            | {"flat", "apartment", "apt", "old"},
            "street": frozenset(x.casefold() for x in STRONG_STREET_SUFFIXES),
        }
        self._memo: tuple[str, frozenset[str]] = ("", frozenset())
        gaz = [g.replace("’", "'") for g in cfg.gazetteer]
        self._gazetteer_one = frozenset(g for g in gaz if len(g.split()) == 1)
        # "addenbrookes", "ninewells": a long single name typed in lower case is still the place (acronyms are not)
        self._gazetteer_one_folded = frozenset(
            g.casefold() for g in self._gazetteer_one if len(g) >= 6 and not g.isupper()
        )
        self._gazetteer_many = frozenset(" ".join(g.split()).casefold() for g in gaz if len(g.split()) > 1)
        self._gazetteer_first = frozenset(g.split()[0].casefold() for g in gaz)
        self._gazetteer_longest = max((len(g.split()) for g in gaz), default=0)

    def _words(self, text: str) -> frozenset[str]:
        """The text's words, lower case (memoised for the text being redacted): lets a rule skip a text
        that lacks every word it needs, which keeps a 4 KB message fast."""
        if self._memo[0] is not text:
            self._memo = (text, frozenset(re.findall(r"[^\W\d_]+", text.casefold())))
        return self._memo[1]

    def _may(self, text: str, key: str) -> bool:
        return not self._words(text).isdisjoint(self._first_words[key])

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "location_named": self.location_named,
            "location_known": self.location_known,
            "location_gazetteer": self.location_gazetteer,
            "location_in_care_context": self.location_in_care_context,
            "address_house_name": self.address_house_name,
            "address_street": self.address_street,
            "address_home_named": self.address_home_named,
            "date_occasion": self.date_occasion,
            "date_partial": self.date_partial,
            "hospital_number_seven_digits": self.seven_digits,
            "age_future": self.age_future,
            "age_and_date_lists": self.age_and_date_lists,
            "name_initials": self.name_initials,
            "name_lexicon": self.name_lexicon,
            "name_unknown_capitalised": self.name_unknown_capitalised,
            "name_lexicon_lowercase": self.name_lexicon_lowercase,
            "name_lowercase_in_context": self.name_lowercase_in_context,
        }

    # ------------------------------------------------------------------ places of care

    def location_named(self, text: str) -> Iterator[Candidate]:
        if not self._may(text, "location"):
            return
        for m in self.location_re.finditer(text):
            words = m.group("words")
            tokens = words.split()
            # drop leading function words ("The", "At", "My") and see what is left of the name
            skip = 0
            while skip < len(tokens) and tokens[skip].casefold() in self.base.function_words:
                skip += 1
            rest = tokens[skip:]
            generic = all(t.casefold().strip("'’") in GENERIC_UNIT_WORDS for t in rest)
            if not rest or (generic and m.end() - m.start("suffix") <= len(m.group("suffix"))):
                continue
            if m.group("suffix") in ("General", "Royal") and rest[-1].casefold() in self.english:
                continue  # "the Surgeon General"; a hospital's place name is no English word ("Fairfield General")
            start = m.start("words") + (len(" ".join(tokens[:skip])) + 1 if skip else 0)
            start = text.index(rest[0], start)
            before = re.search(rf"(?i:the){HSP}+$", text[max(0, start - 6) : start])
            if before:  # "the Nightingale Unit": the article goes too, as annotators often include it
                start -= len(before.group())
            yield Candidate(start, m.end(), "LOCATION", "location_named")
        for m in self.ward_number_re.finditer(text):
            pre = m.group("pre")
            keep_pre = pre and pre.casefold() not in self.base.function_words  # "Cardiac Ward 2", not "On Ward 2"
            start = m.start() if keep_pre else m.start() + (len(pre) + 1 if pre else 0)
            start = m.start("ward") if not keep_pre else start
            yield Candidate(start, m.end(), "LOCATION", "location_named")
        for m in self.unit_number_re.finditer(text):
            words = m.group().split()
            while words and words[0].casefold() in self.base.function_words:
                words.pop(0)
            if len(words) > 2:  # a named unit, not just "Unit 2"
                yield Candidate(m.end() - len(" ".join(words)), m.end(), "LOCATION", "location_named")

    def location_in_care_context(self, text: str) -> Iterator[Candidate]:
        """ "transferred to Heartlands", "sent him to the Royal Glamorgan": a proper name where a patient
        goes or is treated is a place of care, unless it is a known town, region or service."""
        for m in self.care_ctx_re.finditer(text):
            loc = m.group("loc")
            words = [w for w in re.split(rf"{HSP}+", loc) if w.casefold() not in ("the", "of", "and")]
            keys = [w.casefold().replace("’", "'") for w in words]
            if not keys or all(k in self.places or k in self.base.not_names or k in self.base.never_names
                               or k in GENERIC_UNIT_WORDS or k.upper() in ACRONYMS for k in keys):
                continue
            if len(keys) == 1 and (keys[0] in self.places or keys[0] in self.base.never_names):
                continue
            yield Candidate(m.start("loc"), m.end("loc"), "LOCATION", "location_in_care_context")

    def location_known(self, text: str) -> Iterator[Candidate]:
        for m in self.unit_at_re.finditer(text):  # "the Neonatal Unit at Singleton": the unit goes with its place
            keys = [w.casefold() for w in m.group("place").split()]
            if not all(k in self.places or k in self.base.never_names for k in keys):
                yield Candidate(m.start(), m.end(), "LOCATION", "location_known")
        for m in self.royal_re.finditer(text):  # "the Royal Glamorgan", "at Princess Alexandra"
            last = m.group().split()[-1]
            if last not in NOT_ROYAL_PLACES:
                lead = re.match(rf"(?:at|to|from|in|into){HSP}+", m.group())  # the preposition stays
                yield Candidate(m.start() + (lead.end() if lead else 0), m.end(), "LOCATION", "location_known")
        if not self._may(text, "known"):
            return
        for m in self.known_re.finditer(text):
            yield Candidate(m.start(), m.end(), "LOCATION", "location_known")

    def location_gazetteer(self, text: str) -> Iterator[Candidate]:
        """A hospital, unit, hospice or prison from names/places.txt: "Velindre", "the JR", "Hollins Park",
        "royal free", "Forth Valley Royal". One word as written; two or more in any case. The longest name
        starting at a word wins; a leading "the" stays outside."""
        if not self._gazetteer_first:
            return
        toks = [(m.start(), m.end(), m.group().replace("’", "'")) for m in _GAZ_TOKEN.finditer(text)]
        i = 0
        while i < len(toks):
            if toks[i][2].casefold() not in self._gazetteer_first:
                i += 1
                continue
            found = 0
            for n in range(min(self._gazetteer_longest, len(toks) - i), 0, -1):
                words = [t[2] for t in toks[i : i + n]]
                if any(toks[i + k + 1][0] - toks[i + k][1] > 1 for k in range(n - 1)):
                    continue  # the words must be next to each other
                one = words[0] in self._gazetteer_one or words[0].casefold() in self._gazetteer_one_folded
                if (n == 1 and one) or (
                    n > 1 and " ".join(words).casefold() in self._gazetteer_many
                ):
                    found = n
                    break
            if found:
                yield Candidate(toks[i][0], toks[i + found - 1][1], "LOCATION", "location_gazetteer")
                i += found
            else:
                i += 1

    # ------------------------------------------------------------------ addresses

    def address_house_name(self, text: str) -> Iterator[Candidate]:
        if not self._may(text, "house"):
            return
        for rx in (self.house_re, self.welsh_re):
            for m in rx.finditer(text):
                first = m.group().split()[0].casefold()
                if first in self.base.function_words and first != "the":
                    continue
                yield Candidate(m.start(), m.end(), "ADDRESS", "address_house_name")
        for m in self.flat_re.finditer(text):
            yield Candidate(m.start(), m.end(), "ADDRESS", "address_house_name")

    def address_home_named(self, text: str) -> Iterator[Candidate]:
        """ "lives at The Laurels", "her house is called Hafod": a named home (towns and places stay)."""
        for m in self.home_named_re.finditer(text):
            words = [w for w in m.group("a").split() if w != "The"]
            keys = [w.casefold() for w in words]
            if not keys or all(k in self.places or k in self.base.not_names for k in keys):
                continue
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_home_named")

    def address_street(self, text: str) -> Iterator[Candidate]:
        if self._may(text, "street"):
            for m in self.street_re.finditer(text):
                first = m.group("words").split()[0].casefold()
                if first in self.base.function_words and not m.group()[:1].isdigit():
                    continue
                yield Candidate(m.start(), m.end(), "ADDRESS", "address_street")
        if not _HAS_DIGIT.search(text):
            return
        for m in self.address_ctx_re.finditer(text):
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_street")

    # ------------------------------------------------------------------ dates and numbers

    def date_occasion(self, text: str) -> Iterator[Candidate]:
        if not self._may(text, "occasion"):
            return
        for m in self.occasion_re.finditer(text):
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
        if not self._words(text).isdisjoint(MONTH_WORDS):
            for m in self.ordinal_word_date_re.finditer(text):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        if not _HAS_DIGIT.search(text):
            return
        for m in self.the_ordinal_re.finditer(text):
            if not self._ordinal_noun_follows(text, m.end()):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        for m in self.the_date_re.finditer(text):
            yield Candidate(m.start(), m.end(), "DATE", "date_partial")
        for m in self.bare_ordinal_re.finditer(text):
            if not self._ordinal_noun_follows(text, m.end()):
                yield Candidate(m.start("o"), m.end("o"), "DATE", "date_partial")
        for m in self.day_month_re.finditer(text):
            a, b, sep = m.group("a"), m.group("b"), m.group("s")
            if not (1 <= int(a) <= 31 and 1 <= int(b) <= 12 or 1 <= int(b) <= 31 and 1 <= int(a) <= 12):
                continue
            if (a, b) == ("24", "7"):  # "24/7 care"
                continue
            context = bool(m.group("wd")) or bool(self.date_ctx_before.search(text[max(0, m.start() - 12) : m.start()]))
            two_digit = len(a) == 2 and len(b) == 2
            if sep == "." and MEASURE_BEFORE.search(text, max(0, m.start() - 25), m.start()):
                continue  # "a potassium of 7.2", "Hb of 10.5": a result
            if (sep == "/" and (two_digit or context)) or (sep == "." and context):
                yield Candidate(m.start(), m.end(), "DATE", "date_partial")

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
            for n in re.finditer(r"[0-9]{1,3}", m.group("more")):
                yield Candidate(m.start("more") + n.start(), m.start("more") + n.end(), "AGE", "age_and_date_lists")
        for m in self.date_range_re.finditer(text):
            yield Candidate(m.start("d"), m.end(), "DATE", "age_and_date_lists")
        for m in self.spaced_phone_re.finditer(text):
            yield Candidate(m.start(), m.end(), "PHONE", "age_and_date_lists")

    def seven_digits(self, text: str) -> Iterator[Candidate]:
        if not _HAS_DIGIT.search(text):
            return
        for m in re.finditer(r"(?<![\w\-/.,:£$+])[0-9]{7,8}(?![\w\-/%]|[.,][0-9])", text):
            yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "hospital_number_seven_digits")

    # ------------------------------------------------------------------ names

    def name_initials(self, text: str) -> Iterator[Candidate]:
        if _DOTTED_CAPITAL.search(text):
            for m in self.title_initial_re.finditer(text):
                yield Candidate(m.start("i"), m.end("i"), "NAME", "name_initials")
            for m in self.dotted_re.finditer(text):
                if m.group() not in DOTTED_NOT_INITIALS:
                    yield Candidate(m.start(), m.end(), "NAME", "name_initials")
        for m in _CAPS_WORD.finditer(text):  # "patient JD", "we saw TK", "JB, 45,"
            if m.group() in ACRONYMS:
                continue
            if self.caps_before_re.search(text, max(0, m.start() - 24), m.start()) or (
                is_sentence_initial(text, m.start()) and re.match(rf",{HSP}*[0-9]{{1,3}},", text[m.end() : m.end() + 6])
            ):
                yield Candidate(m.start(), m.end(), "NAME", "name_initials")

    def _is_word(self, token: str) -> bool:
        key = token.casefold().replace("’", "'")
        if key.endswith("'s"):
            key = key[:-2]
        return key in self.english or all(part in self.english for part in key.split("-"))

    def _blocked(self, key: str) -> bool:
        b = self.base
        return key in b.never_names or key in b.not_names or key in b.ambiguous or key in self.places

    def name_lexicon(self, text: str) -> Iterator[Candidate]:
        """Capitalised words in the name lists that are not English words ("Brennan", "Siobhan")."""
        return self._names(text, unknown=False)

    def name_unknown_capitalised(self, text: str) -> Iterator[Candidate]:
        """Capitalised words mid-sentence that are in no list and no dictionary ("Okonkwo")."""
        return self._names(text, unknown=True)

    def _names(self, text: str, *, unknown: bool) -> Iterator[Candidate]:
        for m in NAME_TOKEN.finditer(text):
            tok = m.group()
            key = tok.casefold().replace("’", "'")
            if len(tok) < 2 or self._blocked(key) or self._is_word(tok):
                continue
            listed = key in self.names or any(p in self.names for p in key.split("-") if len(p) > 2)
            if listed == unknown:
                continue
            initial = is_sentence_initial(text, m.start())
            if not listed:
                if len(tok) < 3 or tok.isupper() or key in self.base.inst_after or key.endswith(self.suffixes):
                    continue
                bracketed = text[m.start() - 1 : m.start()] == "(" and text[m.end() : m.end() + 1] == ")"
                if (
                    initial
                    and not bracketed
                    and not self._person_follows(text, m.end())
                    and not (self._person_acts(text, m.end()) and not self._near_word(key))
                ):
                    continue  # "The F2 (Ravindra) stayed": a name in brackets is no sentence start
                if PLACE_BEFORE.search(text, max(0, m.start() - 24), m.start()):
                    continue  # "in Ruthin", "near Brecon": a town, which is not redacted
            # a listed, non-English name followed by a number is a person ("Ffion 17 ...", "Radu 2281945"),
            # not a place the way "Ward 7" is
            if self.base._institutional(text, m.start(), m.end(), digit=not listed):
                continue
            start = m.start()
            before = PRECEDING_TOKEN.search(text, max(0, start - 30), start)
            if before and not is_sentence_initial(text, start):
                word_before = before.group(1)
                key_before = word_before.casefold()
                first = key_before in self.names or (  # "Abimbola Okonkwo seen": an unknown first name, even first
                    len(word_before) > 2 and word_before[:1].isupper() and not word_before.isupper()
                    and not self._is_word(word_before) and not self._blocked(key_before)
                )
                if first and not (key_before in self.base.never_names or key_before in self.places):
                    start = before.start(1)  # "Paddy O'Shea": a listed first name before the surname goes too
            yield Candidate(start, m.end(), "NAME", "name_lexicon" if listed else "name_unknown_capitalised")

    def _person_follows(self, text: str, end: int) -> bool:
        """A verb of a person ("was", "said"), a possessive or an apposition ("Okonkwo, the registrar,")."""
        if re.match(r",[ \u00a0]+(?:the|my|our|a|an|who|aged|age)[ \u00a0]", text[end : end + 12]):
            return True
        if self._role_follows(text, end):
            return True
        if AGE_APPOSED.match(text, end):  # "Tendai, 45, came in", "Wanjiru (29) said" (round 8)
            return True
        nxt = re.match(r"(?:['’]s\b|[ \u00a0]+([a-z'’]+))", text[end : end + 30])
        if not nxt:
            return False
        verb = nxt.group(1)
        if verb is None or verb in self.base.person_verbs or verb in AGENT_VERBS:
            return True
        return len(verb) > 4 and verb.endswith("ed") and verb in self.english  # "Ahmadzai waited"

    def name_coordinated(self, text: str, names: list[Candidate]) -> Iterator[Candidate]:
        """A word listed with a name is a name too: "Ade, Bisi and Chidi", "dapo and seun", "Kemi & Tolu" (round 8).
        The word must look like its neighbour (capitalised beside a capitalised name, lower case beside a lower-case
        one) and be no English word, place, medicine or acronym, so "Okafor and Crohn's" stays half-named."""
        seen: set[tuple[int, int]] = set()
        todo = sorted({(c.start, c.end) for c in names})
        steps = 0
        while todo and steps < 40:
            steps += 1
            start, end = todo.pop()
            if (start, end) in seen:
                continue
            seen.add((start, end))
            upper = text[start : start + 1].isupper()
            for m in (COORD_AFTER.match(text, end), COORD_BEFORE.search(text, max(0, start - 40), start)):
                if m is None:
                    continue
                a, b = m.span("tok")
                tok = m.group("tok")
                key = tok.casefold().replace("’", "'")
                if tok[:1].isupper() != upper or tok.isupper() or len(tok) < 3:
                    continue
                if self._blocked(key) or self._is_word(tok) or key.endswith(self.suffixes):
                    continue
                if key in self.base.inst_after:
                    continue
                if self.base._institutional(text, a, b):
                    continue
                if (a, b) not in seen:
                    todo.append((a, b))
                    yield Candidate(a, b, "NAME", "name_coordinated")

    def _person_acts(self, text: str, end: int) -> bool:
        """What follows a sentence-opening word that only a person does (round 8): a modal or an auxiliary
        ("Tendai will go home", "Wambui can't walk far"), an adverb of a person's doing ("Otieno never
        complained", "Sipho also has diabetes"), a person's verb in -s ("Lerato hates hospitals"),
        "who", a dash apposition ("Themba – the HCA –"), a bed or bay ("Selam from bay 3"), or a question to
        them ("Zanele, can you help?")."""
        if PERSON_ACTS.match(text, end):
            return True
        return False

    def _near_word(self, key: str) -> bool:
        """One slip away from an English word (a letter added, dropped or two swapped), so a sentence
        opener that may be a typo is not taken for a name by the weaker cues."""
        if any(v in self.english for v in misspellings(key) if len(v) >= 4):
            return True
        # a letter left out of a word ("nothin", "Everyting"): only tried on the few words these cues reach
        return any(
            key[:i] + c + key[i:] in self.english for i in range(1, len(key) + 1) for c in "abcdefghijklmnopqrstuvwxyz"
        )

    def _role_follows(self, text: str, end: int) -> bool:
        """ "Shahnaz the receptionist", "Gaz on the porter team", "Shona at the front desk": a role or a team
        right after the word (round 8); a bracket ("Tazocin (pip-taz)") is not enough here."""
        two = ROLE_TWO_WORDS.match(text, end)  # "the receptionist knew": the role may be the first word
        if two and any(w in self.base.relation_words for w in two.groups() if w):
            return True
        role = ROLE_NEXT.match(text, end)
        if role is None or text[role.start() : role.end()].lstrip(" \u00a0").startswith("("):
            return False
        return role.group("role") is None or role.group("role") in self.base.relation_words

    def name_lowercase_in_context(self, text: str) -> Iterator[Candidate]:
        """In text typed all in lower case, a word in no list and no dictionary right after "saw", "told",
        "with", "me and"... or right before "said", "told"... is a name ("chatted with nkemdirim")."""
        mixed = not LOWERCASE_STYLE.search(text) and any(c.isupper() for c in text)
        for m in (LOWER_TITLE_UNLISTED.finditer(text) if mixed else ()):  # "Mrs tendai", "Dr otieno" (round 8)
            tok = m.group("n")
            if self._blocked(tok) or self._is_word(tok) or tok.endswith(self.suffixes) or self._near_word(tok):
                continue
            yield Candidate(m.start("n"), m.end("n"), "NAME", "name_lowercase_in_context")
        for m in LOWER_TOKEN.finditer(text):
            tok = m.group()
            if len(tok) < 4 or self._blocked(tok) or tok.endswith(self.suffixes):
                continue
            if all(part in self.english for part in tok.split("-")):
                continue
            before = LOWER_BEFORE.search(text, max(0, m.start() - 20), m.start())
            if before and before.group().startswith("with") and CONDITION_HOST.search(text, 0, before.start()):
                continue  # "a 9yo with dengue", "admitted with pyelo": a condition, not a companion
            if mixed:
                # text with capitals: a lower-case word is a name only right after a title or a strong cue
                # that only a person takes ("I asked tendai to", "Me and otieno went"), never a word one slip from
                # an English one; "with", "saw" or "said" after it are not enough here ("with catatonia", "the
                # facilitator said") (round 8)
                if (
                    STRONG_LOWER_BEFORE.search(text, max(0, m.start() - 20), m.start())
                    and not CONTRACTION_NEXT.match(text, m.end())
                    and not self._near_word(tok)
                ):
                    yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")
                continue
            if before or LOWER_AFTER.match(text, m.end()) or self._role_follows(text, m.end()):
                yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")
            elif (
                not CONTRACTION_NEXT.match(text, m.end())  # "doesn't", "won't": a contraction, not a name
                and not self._near_word(tok)
                and (self._lower_subject(text, m.start(), m.end()) or self._lower_role_before(text, m.start()))
            ):
                yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")

    def _lower_subject(self, text: str, start: int, end: int) -> bool:
        """ "tendai was upset", "otieno's mum rang", "wambui can't walk far": a sentence opened by the word, then
        what a person does (round 8)."""
        if not is_sentence_initial(text, start):
            return False
        if re.match(r"['’]s[ \u00a0]+[a-z]", text[end : end + 4]) or self._person_acts(text, end):
            return True
        nxt = re.match(r"[ \u00a0]+([a-z'’]+)", text[end : end + 30])
        return nxt is not None and (nxt.group(1) in self.base.person_verbs or nxt.group(1) in AGENT_VERBS)

    def _lower_role_before(self, text: str, start: int) -> bool:
        """ "the hca tendai", "my reg otieno": a role or relation word just before (round 8)."""
        prev = ROLE_BEFORE_LOWER.search(text[max(0, start - 30) : start])
        return prev is not None and prev.group(1) in self.base.relation_words

    def name_lexicon_lowercase(self, text: str) -> Iterator[Candidate]:
        for m in LOWER_TOKEN.finditer(text):
            tok = m.group()
            if len(tok) < 3 or tok in self.english or self._blocked(tok):
                continue
            if "-" in tok and all(p in self.english for p in tok.split("-")):
                continue  # "step-down", "follow-up": a compound of English words
            if tok in self.names or all(p in self.names for p in tok.split("-")):
                yield Candidate(m.start(), m.end(), "NAME", "name_lexicon_lowercase")
        for m in LOWER_APOSTROPHE_NAME.finditer(text):  # "o'connell in bed 9", "mrs o’sullivan", "d'arcy"
            if m.group().casefold().replace("’", "'") not in ("o'clock", "d'you", "d'ya", "o'er"):
                yield Candidate(m.start(), m.end(), "NAME", "name_lexicon_lowercase")


_GAZ_TOKEN = re.compile(r"[\w&][\w&'’.\-]*(?<![.'’])")
NOT_ROYAL_PLACES = frozenset(
    {"Mail", "Navy", "Family", "Society", "Air", "Force", "Army", "Marines", "Ballet", "Opera", "Academy",
     "Mint", "Household", "Highness", "Couple", "Wedding", "Baby", "Mother", "Victoria"}
)  # fmt: skip
LOWER_APOSTROPHE_NAME = re.compile(rf"(?<![\w'’])[od]['’][{LO}]{{3,}}(?:-[{LO}]+)?(?![\w'’])")
MONTH_WORDS = frozenset(
    "january february march april may june july august september october november december".split()
)
# a name's neighbour in a list: ", X", " and X", ", and X", " & X" after it;
# "X, " or "X and " before it
_COORD_TOKEN = rf"[{UP}{LO}][{LO}]+(?:[-'’][{UP}{LO}][{LO}]+)*"
COORD_AFTER = re.compile(
    rf"(?:[ \u00a0]*,[ \u00a0]*(?:(?:and|&)[ \u00a0]+)?|[ \u00a0]+(?:and|&)[ \u00a0]+)"
    rf"(?P<tok>{_COORD_TOKEN})(?![\w'’-])"
)
COORD_BEFORE = re.compile(
    rf"(?<![\w'’-])(?P<tok>{_COORD_TOKEN})(?:[ \u00a0]*,[ \u00a0]*|[ \u00a0]+(?:and|&)[ \u00a0]+)$"
)
PERSON_ACTS = re.compile(
    r"[ \u00a0]+(?:will|would|can|could|should|might|must|shall|can['’]t|cannot|won['’]t|wouldn['’]t|couldn['’]t|"
    r"shouldn['’]t|doesn['’]t|does|don['’]t|also|never|always|still|barely|finally|already|really|suddenly|"
    r"actually|often|usually|then|who|tried|told|just|hates|loves|likes|needs|lives|works|thinks|feels|knows|"
    r"goes|comes|gets|keeps|takes|refuses|prefers|enjoys|misses|worries|smokes|drinks|drives|speaks|sings|"
    r"remembers|believes|cries|laughs|smiles|prays|wants|says|tells|asks)(?![\w'’-])"
    r"|[ \u00a0]+[–—-][ \u00a0]+(?:the|my|our|a|an|who|aged)[ \u00a0]"
    r"|[ \u00a0]+(?:from|in)[ \u00a0]+(?:bed|bay|side[ \u00a0]?room|room|cubicle)[ \u00a0]*[0-9]"
    r"|[ \u00a0]*,[ \u00a0]+(?:can|could|would|will|do|are|did)[ \u00a0]+you\b"
)
ROLE_TWO_WORDS = re.compile(r"[ \u00a0]+(?:the|our|my)[ \u00a0]+([a-z0-9]+)(?:[ \u00a0]+([a-z0-9]+))?")
LOWER_TITLE_UNLISTED = re.compile(
    r"(?<![\w])(?:(?i:mr|mrs|ms|mx|dr|prof)|Nurse|Sister|Sr)\.?[ \u00a0]+"
    r"(?P<n>(?:[od]['’])?[a-z]{3,}(?:-[a-z]{2,})?)(?![\w'’-])"
)
STRONG_LOWER_BEFORE = re.compile(
    r"(?<![\w])(?:asked|told|thanked|texted|messaged|met|hugged|[Mm]e and|and me|spoke to|spoke with|talked to|"
    r"chatted with|rang|phoned)[ \u00a0]+$"
)
CONTRACTION_NEXT = re.compile(r"['’](?:t|ll|ve|re|d|m)(?![\w])")
ROLE_BEFORE_LOWER = re.compile(r"(?<![\w'’-])(?:the|my|our|his|her|their)[ \u00a0]+([a-z0-9]+)[ \u00a0]+$")
AGE_APPOSED = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*[0-9]{1,3}(?:[ \u00a0]*(?:[MFmf]|y/?o|yrs?))?[ \u00a0]*[,;)]"
    r"|[ \u00a0]+\([ \u00a0]*[0-9]{1,3}(?:[ \u00a0]*(?:[MFmf]|y/?o|yrs?))?[ \u00a0]*\))"
)
PRECEDING_TOKEN = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ \u00a0]$")
LOWER_BEFORE = re.compile(
    r"(?<![\w])(?:saw|met|told|asked|with|me and|and me|thanked|texted|messaged|called|named|helped|"
    r"shadowed|shadowing|hugged|and|spoke to|spoke with|talked to|talked with|chatted to|chatted with|rang|phoned)"
    r"[ \u00a0]+$"
)
CONDITION_HOST = re.compile(
    r"(?i:old|yo|y/o|[0-9]+[mf]?|patient|pt|man|woman|lady|gent|gentleman|boy|girl|baby|child|kid|infant|teen|"
    r"toddler|admitted|presented|presenting|presents|diagnosed|dx|came in|brought in|known|lives|living|"
    r"someone|people|person|adult|adults|children|patients|ward|bay|bed)[ \u00a0]*$"
)
LOWER_AFTER = re.compile(r"[ \u00a0]+(?:said|says|told|asked|explained|replied|texted|messaged|and i|and me)\b")
PLACE_BEFORE = re.compile(
    r"(?<![\w])(?:in|near|outside|around|towards|across|nr"
    r"|(?:drove|drive|driving|driven|travelled|traveled|commuted|commute|flew|relocated)"
    r"(?:[ \u00a0]+(?:out|up|down|over))?[ \u00a0]+to)[ \u00a0]+$"
)
ADJECTIVE_ENDINGS = ("al", "ac", "ic", "ive", "ous", "ary", "ory")
_DOTTED_CAPITAL = re.compile(r"[A-Z]\.")
_CAPS_WORD = re.compile(r"(?<![\w&'’-])[A-Z]{2,3}(?![\w&'’-])")
STRONG_STREET_SUFFIXES = frozenset(
    {"Road", "Rd", "Street", "Avenue", "Ave", "Lane", "Close", "Drive", "Crescent", "Terrace", "Gardens",
     "Grove", "Mews", "Parade", "Court", "Place", "Square", "Wynd", "Row", "Boulevard"}
)  # fmt: skip
