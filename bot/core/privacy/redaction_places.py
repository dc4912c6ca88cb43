"""De-identification rules for places of care (LOCATION): wards, units, hospitals, hospices, GP surgeries, care
homes and prisons by name ("Cedar Ward", "Ward 4B", "the Royal Glamorgan", "transferred to Heartlands"), and the
gazetteer of UK and Irish hospitals in ``prompts/names/places.txt``. Generic units ("the stroke unit") stay.

Split out of :mod:`bot.core.privacy.redaction_lexicon` for size; :class:`bot.core.privacy.redaction_rules.RuleSet`
runs them (reading its word sets through :class:`RuleHost`). Pure functions over ``str`` (the folded text): no I/O,
no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    ACRONYMS,
    CAP,
    GENERIC_UNIT_WORDS,
    HSP,
    PARTICLE,
    Candidate,
    RuleHost,
    _alt,
)

_GAZ_TOKEN = re.compile(r"[\w&][\w&'’.\-]*(?<![.'’])")
COMPASS = frozenset(
    "north south east west northern southern eastern western mid upper lower greater central inner outer".split()
)
NOT_ROYAL_PLACES = frozenset(
    {"Mail", "Navy", "Family", "Society", "Air", "Force", "Army", "Marines", "Ballet", "Opera", "Academy",
     "Mint", "Household", "Highness", "Couple", "Wedding", "Baby", "Mother", "Victoria"}
)  # fmt: skip


class PlaceRules:
    """The place-of-care rules, compiled once for a :class:`RuleSet`."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.places = frozenset(p.casefold() for p in cfg.places)
        self._known_words = frozenset(re.split(r"['’]", k.split()[0].casefold())[0] for k in cfg.known_locations) | {
            "ysbyty", "st", "saint", "hmp", "hmpyoi", "hmyoi", "hmip", "ysgol", "coleg", "cartref", "canolfan"
        }
        self._location_words = frozenset(x.split()[-1].casefold() for x in cfg.location_suffixes) | {"ward"}
        known = _alt(cfg.known_locations, ignore_case=False)
        suffixes = _alt(list(cfg.location_suffixes), ignore_case=False)
        self.location_re = re.compile(
            rf"(?<![\w'’])(?P<words>(?:(?:St\.?|Saint){HSP}+)?{CAP}(?:{HSP}+(?:{CAP}|{PARTICLE})){{0,4}}?)"
            rf"{HSP}+(?P<suffix>{suffixes})(?:{HSP}+(?:of|for){HSP}+{CAP}(?:{HSP}+{CAP})?)?(?![\w])"
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
            rf"(?<![\w'’])(?:(?i:the){HSP}+)?(?:{known}|Ysbyty(?:{HSP}+{CAP}){{1,3}}"
            # prisons, young offenders' institutions, Welsh schools and colleges: "HMP Styal", "Ysgol Friars"
            rf"|(?:HMP{HSP}*YOI|HMPYOI|HMYOI|HMP|HMIP|Ysgol|Coleg|Cartref|Canolfan)(?:{HSP}+{CAP}){{1,3}}"
            rf"|(?:St\.?|Saint){HSP}+{CAP}['’]s?{HSP}+(?:Primary|Academy|High|Secondary|School|College)"
            rf"|(?:St\.?|Saint){HSP}+{CAP}['’]s?)(?:{HSP}+of{HSP}+{CAP}(?:{HSP}+{CAP})?)?(?![\w])"
        )
        self.care_ctx_re = re.compile(
            rf"(?<![\w])(?i:transferred|moved|sent|taken|admitted|referred|blue-lighted|blue-lighting|born|treated|"
            rf"seen|operated|discharged|placement|placed|rotation|nursed|ambulanced|brought|bypass|chemo|"
            rf"radiotherapy|surgery|dialysis|scan|patient|works|worked|working|job)"
            rf"(?:{HSP}+(?:him|her|them|me|us|back|over|in|out|on|up|there|here)){{0,2}}{HSP}+(?i:to|at|from|in|into){HSP}+"
            rf"(?P<loc>(?:the{HSP}+)?{CAP}(?:{HSP}+(?:of{HSP}+|and{HSP}+)?{CAP}){{0,3}})(?![\w])"
        )
        gaz = [g.replace("’", "'") for g in cfg.gazetteer]
        self._gazetteer_one = frozenset(g for g in gaz if len(g.split()) == 1)
        # "addenbrookes", "ninewells": a long single name typed in lower case is still the place (acronyms are not)
        self._gazetteer_one_folded = frozenset(
            g.casefold() for g in self._gazetteer_one if len(g) >= 6 and not g.isupper()
        )
        self._gazetteer_many = frozenset(" ".join(g.split()).casefold() for g in gaz if len(g.split()) > 1)
        self._gazetteer_first = frozenset(g.split()[0].casefold() for g in gaz)
        self._gazetteer_longest = max((len(g.split()) for g in gaz), default=0)

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "location_named": self.location_named,
            "location_known": self.location_known,
            "location_gazetteer": self.location_gazetteer,
            "location_in_care_context": self.location_in_care_context,
        }

    def location_named(self, text: str) -> Iterator[Candidate]:
        if self.base.words(text).isdisjoint(self._location_words):
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
            if len(keys) > 1 and keys[0] in COMPASS and all(k in self.places for k in keys[1:]):
                continue  # "a placement in Northern Ireland", "in North Wales": a region (round 9)
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
        if self.base.words(text).isdisjoint(self._known_words):
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
