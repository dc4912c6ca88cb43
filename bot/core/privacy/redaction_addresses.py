"""De-identification rules for addresses: a number and a street ("12 Acacia Road", "14 Heol y Coed"), a street
by name, flat and house names ("Flat 4B", "Rose Cottage", "Bryn Awel"), a named home ("lives at The Laurels"),
and the pieces of an address joined into one, with its flat before it and its towns after it.

Split out of :mod:`bot.core.privacy.redaction_rules` and :mod:`bot.core.privacy.redaction_lexicon` for size;
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its word sets through :class:`RuleHost`).
Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    ADDRESS_BEFORE_POSTCODE,
    CAP,
    GAEL_PARTICLE,
    HSP,
    LO,
    PARTICLE,
    UP,
    Candidate,
    RuleHost,
    _alt,
    is_sentence_initial,
    simple,
)

STRONG_STREET_SUFFIXES = frozenset(
    {"Road", "Rd", "Street", "Avenue", "Ave", "Lane", "Close", "Drive", "Crescent", "Terrace", "Gardens",
     "Grove", "Mews", "Parade", "Court", "Place", "Square", "Wynd", "Row", "Boulevard"}
)  # fmt: skip


class AddressRules:
    """The address rules, compiled once for a :class:`RuleSet`; ``address_joined`` and ``address_before_postcode``
    run after the others, over what they found."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.places = frozenset(p.casefold() for p in cfg.places)
        self._house_words = frozenset(x.casefold() for x in (*cfg.house_suffixes, *cfg.welsh_place_words)) | {
            "flat", "apartment", "apt", "old", "plot", "croft"
        }
        self._street_words = frozenset(x.casefold() for x in STRONG_STREET_SUFFIXES)
        sfx = _alt(cfg.street_suffixes, ignore_case=False)
        self.address_re = re.compile(
            rf"(?<![\w])(?:(?i:flat|apartment|apt|unit|room)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+"
            rf"(?:[{UP}][{LO}]+['’]?s?{HSP}+){{1,3}}{sfx}(?!\w)"
            # a street in one word ending in its suffix: "41 Kingsway", "3 Southgate" (round 8)
            rf"|(?<![\w])[0-9]{{1,4}}[A-Za-z]?,?{HSP}+[{UP}][{LO}]{{2,}}(?:way|gate)(?![\w'’])"
        )

        num = rf"(?:(?i:flat|apartment|apt|unit)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+"
        house = _alt(cfg.house_suffixes, ignore_case=False)
        welsh = _alt(cfg.welsh_place_words, ignore_case=False)
        self.house_re = re.compile(
            rf"(?<![\w'’])(?:{num})?(?:The{HSP}+(?:Old{HSP}+)?)?(?:{CAP}{HSP}+){{1,2}}{house}(?![\w])"
            rf"|(?<![\w'’])The{HSP}+Old{HSP}+{CAP}(?![\w])"
        )
        self.welsh_re = re.compile(
            rf"(?<![\w'’])(?:{num})?{welsh}(?:{HSP}+{GAEL_PARTICLE}){{0,2}}{HSP}+(?:[hnt](?=[{UP}]))?{CAP}"
            rf"(?:{HSP}+(?:{GAEL_PARTICLE}{HSP}+)?{CAP})?(?![\w])"
            # the Welsh article before a house word alone: "Y Bwthyn", "Yr Hafod" (round 11)
            rf"|(?<![\w'’])(?:Y|Yr){HSP}+{welsh}(?![\w'’])"
        )
        strong = _alt([s for s in cfg.street_suffixes if s in STRONG_STREET_SUFFIXES], ignore_case=False)
        self.street_re = re.compile(
            rf"(?<![\w'’])(?:{num})?(?P<words>{CAP}(?:{HSP}+{CAP}){{0,2}}){HSP}+{strong}"
            rf"(?:{HSP}+(?:North|South|East|West|Upper|Lower))?(?![\w])"  # "Cowbridge Road East" (round 9)
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
            rf"(?<![\w])(?:Flat|Apartment|Apt\.?|Croft|Plot){HSP}*{FLAT_NUMBER}"
            rf"(?:,?{HSP}+(?:Block|Floor|Building){HSP}+[0-9A-Z]{{1,3}})?"
            # the building or park the flat is in: "Apartment 14, The Maltings", "Plot 12, Oak Tree Park" (round 9)
            rf"(?:,{HSP}*(?P<building>(?:The{HSP}+)?{CAP}(?:{HSP}+(?:{GAEL_PARTICLE}{HSP}+)?{CAP}){{0,3}}))?"
            r"(?![\w'’])"
            # a room, unit, suite or berth is an address only with its building ("Room 214, Cathays Terrace Hall",
            # "Berth 14, Victoria Dock"); "Room 5" alone is somewhere in the hospital (round 9)
            rf"|(?<![\w])(?:Room|Unit|Suite|Berth|Caravan|Pitch|Chalet|Cabin|Static){HSP}*[0-9]{{1,4}}[A-Za-z]?,{HSP}*"
            rf"(?P<hall>(?:The{HSP}+)?{CAP}(?:{HSP}+(?:{GAEL_PARTICLE}{HSP}+)?{CAP}){{0,3}})(?![\w'’])"
        )
        self._care_words = frozenset(w.casefold() for x in cfg.location_suffixes for w in x.split())

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "address_numbered": simple(self.address_re, "ADDRESS", "address_numbered"),
            "address_lowercase": self.address_lowercase,
            "address_house_name": self.address_house_name,
            "address_street": self.address_street,
            "address_home_named": self.address_home_named,
        }

    def address_house_name(self, text: str) -> Iterator[Candidate]:
        words = self.base.words(text)
        if not words.isdisjoint(self._house_words):
            for rx in (self.house_re, self.welsh_re):
                for m in rx.finditer(text):
                    first = m.group().split()[0].casefold()
                    if first in self.base.function_words and first != "the":
                        continue
                    yield Candidate(m.start(), m.end(), "ADDRESS", "address_house_name")
        if words.isdisjoint(FLAT_WORDS) or not _HAS_DIGIT.search(text):
            return
        for m in self.flat_re.finditer(text):
            end = m.end()
            hall = m.group("hall")
            if hall is not None:
                keys = [w.casefold() for w in hall.split() if w != "The"]
                if not keys or any(k in self._care_words or k in self.base.never_names for k in keys):
                    continue  # "Room 5, Ward 7", "Unit 2, The": a place of care or no building at all
                if all(k in self.places for k in keys):
                    continue
                yield Candidate(m.start(), m.end(), "ADDRESS", "address_house_name")
                continue
            building = m.group("building")
            if building is not None and (
                building.split()[0].casefold() in self.base.function_words - {"the"}
                or all(w.casefold() in self.places for w in building.split() if w != "The")
            ):
                end = m.start("building") - 1  # "Flat 3, She said", "Flat 3, Leeds": the flat alone here
                while text[end - 1] in ", \u00a0":
                    end -= 1
            yield Candidate(m.start(), end, "ADDRESS", "address_house_name")

    def address_home_named(self, text: str) -> Iterator[Candidate]:
        """ "lives at The Laurels", "her house is called Hafod": a named home (towns and places stay)."""
        for m in self.home_named_re.finditer(text):
            words = [w for w in m.group("a").split() if w != "The"]
            keys = [w.casefold() for w in words]
            if not keys or all(k in self.places or k in self.base.not_names for k in keys):
                continue
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_home_named")

    def address_street(self, text: str) -> Iterator[Candidate]:
        if not self.base.words(text).isdisjoint(self._street_words):
            for m in self.street_re.finditer(text):
                first = m.group("words").split()[0].casefold()
                if first in self.base.function_words and not m.group()[:1].isdigit():
                    continue
                yield Candidate(m.start(), m.end(), "ADDRESS", "address_street")
        if not _HAS_DIGIT.search(text):
            return
        for m in self.address_ctx_re.finditer(text):
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_street")

    def address_before_postcode(self, text: str, postcodes: list[Candidate]) -> Iterator[Candidate]:
        """A postcode closes an address: the number and the words before it are the street and the town, even
        with no street word ("32 Kirkgate, Wakefield, WF1 1HS", "12 Bóthar na Trá, Galway H91 E2K3")."""
        for c in postcodes:
            m = ADDRESS_BEFORE_POSTCODE.search(text, max(0, c.start - 90), c.start)
            if m and m.end("addr") > m.start("addr"):
                yield Candidate(m.start("addr"), m.end("addr"), "ADDRESS", "address_before_postcode")

    def address_joined(self, text: str, parts: list[Candidate]) -> Iterator[Candidate]:
        """Address pieces next to each other are one address: "Flat 9, Victoria House, 41 Station Road",
        "Bryn Awel, 6 Lon Goch", also across the line breaks of an address written on several lines. Around
        a chain: the flat, tenement or "c/o" before it ("Flat 0/2, ", "2F1, ", "c/o The Pharmacy, "), a house
        name before it after "at", "from" or "address:" ("Hillside, Drumbeg Road"), and up to three towns after
        it ("58 Castle Street, Caernarfon above a chip shop", "Bantry, Co. Cork")."""
        chains: list[list[int]] = []
        for c in sorted(parts, key=lambda c: (c.start, -c.end)):
            if chains and c.start <= chains[-1][1]:
                chains[-1][1] = max(chains[-1][1], c.end)
                chains[-1][2] += c.end > chains[-1][1]
            elif chains and ADDRESS_GAP.fullmatch(text, chains[-1][1], c.start):
                chains[-1][1] = c.end
                chains[-1][2] += 1
            else:
                chains.append([c.start, c.end, 1])
        for start, end, count in chains:
            lower = not any(ch.isupper() for ch in text[start:end])
            window = text[max(0, start - 80) : start]
            before = UNIT_BEFORE.search(window) or HOUSE_BEFORE.search(window) or NUMBER_BEFORE.search(window)
            if before:
                start, count = start - (len(window) - before.start("a")), count + 1
            side = STREET_SIDE_AFTER.match(text, end)  # "30 Paisley Road West"
            if side:
                end = side.end()
            # an address that opens its sentence is its subject: the town before the verb is still its own
            # ("41 Church Lane, Ormskirk is where they live"; "She lives at 8 Ffordd Las, Rhyl is where she grew up"
            # keeps Rhyl, a clause of its own); so is one inside the noun phrase that opens it ("The flat at 21 Sráid
            # Mhór, Dingle was too cold", round 9)
            subject = is_sentence_initial(text, start) or bool(HOME_SUBJECT_BEFORE.search(text, 0, start))
            after = TOWN_AFTER_LOWER if lower else TOWN_AFTER_SUBJECT if subject else TOWN_AFTER
            for _ in range(3):
                town = after.match(text, end)
                if not town or town.group(1).split()[0].casefold() in self.base.function_words:
                    break
                end, count = town.end(1), count + 1
            if count > 1:
                yield Candidate(start, end, "ADDRESS", "address_joined")

    def address_lowercase(self, text: str) -> Iterator[Candidate]:
        """ "lives at 9 church st", "moved to 21 heol y nant": a numbered street in lower case, after a word
        that says an address follows (a bare "2 buses down the road" stays, and so does "at 2 in the park")."""
        if not _HAS_DIGIT.search(text):
            return
        for m in LOWER_STREET.finditer(text):
            words = re.findall(r"[a-zŵŷô]+", re.split(r"[0-9]+[a-z]?", m.group("a"))[-1])[:-1]
            if any(w in self.base.function_words for w in words if w not in ("y", "yr")):
                continue
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_lowercase")


FLAT_WORDS = frozenset(
    {"flat", "apartment", "apt", "croft", "plot", "room", "unit", "suite", "berth", "caravan", "pitch", "chalet",
     "cabin", "static"}
)  # fmt: skip
# a flat's number: "3", "2B", Glasgow's "0/2" and "G/1", "1/L" (round 9)
FLAT_NUMBER = r"(?:[0-9]{1,4}(?:/[0-9A-Za-z]{1,2})?[A-Za-z]?|[0-9GB]/[0-9LR]{1,2})"
ADDRESS_GAP = re.compile(r"[ \u00a0]*,?[ \u00a0]*\n?[ \u00a0]*")
# a town: "Caernarfon", "Bangor-on-Dee", "Kirkby Lonsdale", "Co. Cork", "Isle of Mull", "Dublin 6"
_TOWN = (
    rf"(?:(?:Co\.?|County|Isle{HSP}+of){HSP}+)?[{UP}][{LO}]+(?:['’]?-?[{LO}]*-[{UP}]?[{LO}]+)*"
    rf"(?:{HSP}+[{UP}][{LO}]+)?(?:{HSP}+[0-9]{{1,2}}(?![0-9]))?"
)
# the town after a street, after a comma (and perhaps a line break), when what follows is not another
# capitalised word: the end, punctuation, a postcode, or a lower-case word ("..., Leith with her partner"), but not
# a verb ("8 Ffordd Las, Rhyl is where she grew up": Rhyl starts a clause of its own)
TOWN_AFTER = re.compile(
    rf",{HSP}*\n?{HSP}*({_TOWN})(?!{HSP}+(?:is|was|are|were|will|would|can|could|seems|seemed|looks)\b)(?={HSP}*(?:$|\n|[.;:,!?)\"“”'’—–]|-{HSP}|[A-Z]{{1,2}}[0-9]|{HSP}[{LO}0-9(]))"
)
TOWN_AFTER_SUBJECT = re.compile(
    rf",{HSP}*\n?{HSP}*({_TOWN})(?={HSP}*(?:$|\n|[.;:,!?)\"“”'’—–]|-{HSP}|[A-Z]{{1,2}}[0-9]|{HSP}[{LO}0-9(]))"
)
# "No. 7 Castle Street", "number 12 Station Road", "no 9 Nelson St": the word for the number goes with it
NUMBER_BEFORE = re.compile(rf"(?<![\w])(?P<a>(?:No\.?|no\.?|Number|number|Nº){HSP}*)$")
STREET_SIDE_AFTER = re.compile(rf"{HSP}+(?:North|South|East|West|Upper|Lower)(?![\w'’])")
TOWN_AFTER_LOWER = re.compile(
    rf",{HSP}*\n?{HSP}*([{LO}]{{3,}}(?:-[{LO}]+)*)(?={HSP}*(?:$|\n|[.;:,!?)—–]|[a-z]{{1,2}}[0-9]|{HSP}(?:with|and|but|for|so|since|where|because|to|near|until|till|then|now|is|was|son|daughter|mum|dad|wife|husband|partner)\b))"
)
# before a chain: the flat or tenement ("Flat 0/2, ", "2F1, ", "3/2, ", "Room 214, ", "Plot 14, "), perhaps after
# "c/o someone, "
UNIT_BEFORE = re.compile(
    rf"(?P<a>(?:(?i:c/o){HSP}+[^,\n]{{1,40}},{HSP}*\n?{HSP}*)?"
    rf"(?:(?:(?i:flat|apartment|apt|unit|room|plot|berth|suite|number|no\.)){HSP}*(?:{FLAT_NUMBER}|[A-Z])(?![\w/])"
    rf"|[0-9]{{1,2}}F[0-9]{{1,2}}|[0-9]{{1,2}}/[0-9]{{1,2}}|(?i:c/o)(?={HSP}*$)|(?i:c/o)(?:{HSP}+[^,\n]{{1,40}}(?=,)|(?:{HSP}+[{UP}][\w'’.&-]*){{1,4}}))"
    rf"{HSP}*,?{HSP}*\n?{HSP}*)$"
)
# a sentence opened by a home and "at": what follows is still its subject ("Her flat at ...", "The house on ...")
HOME_SUBJECT_BEFORE = re.compile(
    rf"(?:^|[.!?\n][ \u00a0\"'“]*)(?i:the|her|his|their|my|our|a|an)(?:{HSP}+[a-z]+)?{HSP}+"
    rf"(?i:flat|house|home|bungalow|cottage|place|address|room|farm|farmhouse|caravan|bedsit|maisonette|croft)"
    rf"{HSP}+(?i:at|on|in){HSP}+$"
)
_HOUSE_CUES = ("at", "from", "to", "At", "From", "address", "Address", "Home", "home", "is", "was", "as")
# before a chain, after "at", "from", "to" or "address:": a house name and its comma ("Hillside, ",
# "The Coach House,\n")
HOUSE_BEFORE = re.compile(
    r"(?:^|(?<=[:\n])|" + "|".join(rf"(?<=\b{w}[ \u00a0])" for w in _HOUSE_CUES) + ")"
    rf"{HSP}*(?P<a>(?:(?:The|Y|Tigh|Ty|Tŷ){HSP}+)?[{UP}][{LO}]+(?:{HSP}+(?:[{UP}][{LO}]+|y|yr|na|an|nan|of|of{HSP}+the)){{0,3}}"
    rf",{HSP}*\n?{HSP}*)$"
)
LOWER_STREET = re.compile(
    rf"(?<![\w])(?i:lives|lived|living|live|stays|stayed|staying|moved|address|addr|at|to|from)"
    rf"(?:{HSP}+(?:back|in|out|is|was|to|at))?{HSP}*:?{HSP}+"
    rf"(?P<a>(?:(?:flat|apt|apartment|unit|room|no\.?){HSP}*[0-9]{{1,4}}[a-z]?,?{HSP}+(?:[0-9]{{1,4}}[a-z]?,?{HSP}+)?|[0-9]{{1,4}}[a-z]?,?{HSP}+)"
    rf"(?:(?:heol|ffordd|stryd|lon|lôn|maes|bryn|ty|tŷ|plas|cae|rhodfa)(?:{HSP}+(?:y|yr))?{HSP}+[a-zŵŷ]+"
    rf"|(?:[a-z]+{HSP}+){{1,3}}(?:street|st|road|rd|avenue|ave|lane|crescent|terrace|drive|gardens|ct|mews|wynd"
    rf"|close|grove|way|place|row|square|court|parade|rise|walk|view|brae|vale))"
    rf"(?:,?{HSP}+(?:[a-z]+{HSP}+){{1,2}}(?:st|street|rd|road|lane|ct|court))?)(?![\w])"
)
