"""The named de-identification rules behind :mod:`bot.core.privacy.redaction` (split out for size).

Pure functions over ``str``: no I/O, no telegram, no storage.  Every rule yields
:class:`Candidate` spans (code-point offsets into the original text) carrying the rule's name, so a
reviewer can see why something was redacted.  Overlaps between candidates are resolved by
:class:`bot.core.privacy.redaction.Redactor`, not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.first_chars import with_first_chars
from bot.core.privacy.redaction_config import RedactionConfig
from bot.core.privacy.redaction_forms import FormRules
from bot.core.privacy.redaction_lexicon import LexiconRules
from bot.core.privacy.redaction_patterns import (
    _HAS_DIGIT,
    ADDRESS_BEFORE_POSTCODE,
    AGE_LIST_REST,
    AGE_WAS_N_AND,
    AGE_WORDS,
    AGENT_VERBS,
    APPOSITION,
    DAY,
    EIRCODE,
    HSP,
    HSP_LOWER,
    HSP_RUN,
    INITIAL,
    INTRO_INITIAL,
    LO,
    LOWER_TOKEN,
    LOWERCASE_STYLE,
    MEASURE_BEFORE,
    MEASURE_SUBJECTS,
    MONTH,
    MONTH_NAMES,
    NAME_TOKEN,
    NHS_LOOSE,
    NUMBER_WORD,
    OBJECT_PHRASE,
    ORD,
    PARTICLES,
    PHONE_EXTENSION,
    ROLE_AFTER,
    ROLE_NEXT,
    UP,
    WEEKDAY,
    YEAR4,
    Candidate,
    _alt,
    _fold,
    is_sentence_initial,
    is_valid_nhs_number,
)
from bot.core.privacy.redaction_shapes import ShapeRules


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
        self.age_followers = _fold(cfg.age_followers)
        self.age_subjects = _fold(cfg.age_subjects)
        self.ordinal_followers = _fold(cfg.ordinal_followers)
        self.postcode_areas = frozenset(a.upper() for a in cfg.postcode_areas)
        self.english = cfg.english_words

        self.nhs_re = re.compile(r"(?<![\w\-/.])([0-9]{3})([ \u00a0\-–]?)([0-9]{3})\2([0-9]{4})(?![\w\-/]|\.\d)")
        id_token = r"(?:[A-Za-z]{1,4}[0-9]?[ \-]?)?[0-9]{2,}(?:[ \-][0-9]{3,}){0,3}[A-Za-z]?"
        self.id_kw_re = re.compile(
            rf"(?<![\w])(?:{_alt(cfg.id_keywords, ignore_case=True)})\.?(?:\s*(?:is|was|of|=|:|#|-|,|\()\s*|\s+)"
            rf"(?:no\.?\s*|number\s*)?[:#]?\s*(?P<id>{id_token})(?![\w])"
        )
        self.alnum_id_re = re.compile(r"(?<![\w\-/])[A-Z]{1,3}[0-9]{6,9}(?![\w\-/])")
        self.email_re = re.compile(
            r"(?<![\w.+\-'’])[\w.%+\-'’]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w\-@])"
        )
        self.phone_re = re.compile(
            r"(?<![\w+/.\-])(?:(?:\+|00)[ \u00a0]?44[ \u00a0\-]?(?:\(0\)[ \u00a0\-]?)?[1-9]|\(0[1-9]|0[ \u00a0]?[1-9])"
            r"(?:[0-9]|(?:[ \u00a0]{1,3}|-)(?=[0-9])|\)[ \u00a0\-]?(?=[0-9])){7,16}(?<=[0-9])(?![0-9])"
        )
        self.intl_phone_re = re.compile(
            r"(?<![\w+])\+(?!44)[1-9][0-9]{0,2}(?:[ \u00a0\-]?\(?[0-9]{1,4}\)?){2,6}(?![0-9])"
        )
        self.postcode_re = re.compile(
            r"(?<![\w\-/])([A-Za-z]{1,2})[0-9][A-Za-z0-9]?[ \u00a0]?"
            r"([0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![\w\-/])"
        )
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
        self.date_month_year_re = re.compile(rf"(?<![\w]){MONTH},?{HSP}+{YEAR4}(?![\w])")
        self.date_weekday_ord_re = re.compile(rf"(?<![\w]){WEEKDAY},?{HSP}+(?:the{HSP}+)?{DAY}{ORD}(?![\w])")
        self.date_ordinal_ctx_re = re.compile(
            rf"(?<![\w])(?i:on|by|until|till|from|since|before|after|of|is|was|for)\s+the\s+(?P<o>{DAY}{ORD})(?![\w])"
        )

        num = rf"(?:[0-9]{{1,3}}|{NUMBER_WORD})"
        self.age_n_year_old_re = re.compile(
            rf"(?<![\w\-])(?i:{num}(?:[ \u00a0\-]+|-)(?:years?|yrs?|months?|weeks?|days?)(?:[ \u00a0\-]+|-)old)(?![\w])"
        )
        self.age_keyword_re = re.compile(
            rf"(?<![\w])(?i:aged|age)(?:\s*:\s*|\s+)(?:of\s+)?(?:(?i:just|only|barely|nearly|almost|about|around)\s+)?(?P<n>(?i:{num})(?:\s*(?i:years?|yrs?|y/o|yo)(?:\s+old)?)?)"
            r"(?!\s*(?:-|–|to|and)\s*[0-9])(?![\w%/])"
        )
        self.age_yo_re = re.compile(
            r"(?<![\w\-])[0-9]{1,3}[\s\-]?(?i:y/o|y\.o\.|y-o|yo|yrs?\s+old|yr\.?\s+old)(?![\w])"
            r"|(?<![\w\-£$€.])[0-9]{1,3}\s?(?:yo|y/o)?[MF](?=\s+(?:with|presenting|admitted|who|pt|patient)\b|,|\)|"
            r"[ \u00a0]*[/|;]|[ \u00a0]*$)"
            r"|(?<![\w/])[0-9]{1,2}/(?:7|12|52)(?=[ \u00a0\-]*old\b)"
        )
        # any word, then the list is checked in Python: a long alternation of subjects is slow on 4 KB
        self.age_pronoun_re = re.compile(
            rf"(?<![\w'’])(?P<subj>[{UP}{LO}]+(?:['’]d)?)(?:['’](?:s|m|re)(?:\s+(?:now|turning|just\s+turned))?|\s+(?:was|is|am|are|"
            rf"had\s+just\s+turned|has\s+just\s+turned|just\s+turned|turned|turns|is\s+now|was\s+now|is\s+turning|was\s+turning|were))(?:\s+(?:only|just|barely|nearly|almost|"
            rf"about|around|roughly|aged))?\s+(?P<n>[0-9]{{1,3}}|{NUMBER_WORD})(?![\w%/:.,\-]\w|[0-9])"
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
        self.age_birthday_re = re.compile(
            r"(?<![\w])(?P<n>[0-9]{1,3}(?:st|nd|rd|th))\s+birthday(?![\w])"
            # "she celebrated her 80th last week": the birthday left unsaid (round 8)
            r"|(?<![\w])(?i:celebrated|celebrating|celebrate|celebrates)\s+(?:her|his|their|my)\s+"
            r"(?P<n2>[0-9]{1,3}(?:st|nd|rd|th))(?![\w])"
        )

        sfx = _alt(cfg.street_suffixes, ignore_case=False)
        self.address_re = re.compile(
            rf"(?<![\w])(?:(?i:flat|apartment|apt|unit|room)\.?{HSP}*[0-9]+[A-Za-z]?,?{HSP}+)?[0-9]{{1,4}}[A-Za-z]?,?{HSP}+"
            rf"(?:[{UP}][{LO}]+['’]?s?{HSP}+){{1,3}}{sfx}(?!\w)"
            # a street in one word ending in its suffix: "41 Kingsway", "3 Southgate" (round 8)
            rf"|(?<![\w])[0-9]{{1,4}}[A-Za-z]?,?{HSP}+[{UP}][{LO}]{{2,}}(?:way|gate)(?![\w'’])"
        )

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

        if first_chars:  # same matches, found faster (see bot.core.privacy.first_chars); tests compare both ways
            _speed_up(self)
        self.rules: dict[str, Callable[[str], Iterator[Candidate]]] = {
            "nhs_number": self.nhs_number,
            "nhs_like_invalid_checksum": self.nhs_like_invalid,
            "id_after_keyword": self.id_after_keyword,
            "alphanumeric_id": self.alphanumeric_id,
            "email": self.email,
            "uk_phone": self.uk_phone,
            "international_phone": self.international_phone,
            "uk_postcode": self.uk_postcode,
            "date_numeric": self.date_numeric,
            "date_iso": self.simple(self.date_iso_re, "DATE", "date_iso"),
            "date_day_month": self.simple(self.date_day_month_re, "DATE", "date_day_month"),
            "date_month_day": self.simple(self.date_month_day_re, "DATE", "date_month_day"),
            "date_month_year": self.simple(self.date_month_year_re, "DATE", "date_month_year"),
            "date_dashed": self.simple(self.date_dashed_re, "DATE", "date_dashed"),
            "date_weekday_ordinal": self.simple(self.date_weekday_ord_re, "DATE", "date_weekday_ordinal"),
            "date_ordinal_in_context": self.date_ordinal_in_context,
            "age_n_year_old": self.simple(self.age_n_year_old_re, "AGE", "age_n_year_old"),
            "age_keyword": self.age_keyword,
            "age_yo": self.simple(self.age_yo_re, "AGE", "age_yo"),
            "age_pronoun": self.age_pronoun,
            "age_was_n_and": self.age_was_n_and,
            "age_in_words": self.age_in_words,
            "age_birthday": self.age_birthday,
            "address_numbered": self.simple(self.address_re, "ADDRESS", "address_numbered"),
            "address_lowercase": self.address_lowercase,
            "name_title": self.name_title,
            "name_intro": self.name_intro,
            "name_relation": self.name_relation,
            "name_list": self.name_list,
            "name_list_lowercase": self.name_list_lowercase,
            "name_ambiguous_in_context": self.name_ambiguous_in_context,
        }

        lexicon = LexiconRules(self)
        self.lexicon = lexicon
        shapes = ShapeRules(self)
        self.forms = FormRules(self)
        self.rules.update(lexicon.rules())
        self.rules.update(shapes.rules())
        self.rules.update(self.forms.rules())
        if first_chars:
            _speed_up(lexicon)
            _speed_up(shapes)
            _speed_up(self.forms)

    # ------------------------------------------------------------------ running

    def run(self, text: str, enabled: Callable[[str], bool]) -> list[Candidate]:
        """All candidates of the enabled rules; ``name_propagation`` runs last, seeded by the others."""
        found: list[Candidate] = []
        for name, rule in self.rules.items():
            if enabled(name):
                found.extend(rule(text))
        if enabled("name_coordinated"):
            found.extend(self.lexicon.name_coordinated(text, [c for c in found if c.type == "NAME"]))
        if enabled("name_propagation"):
            found.extend(self.name_propagation(text, [c for c in found if c.type == "NAME"]))
        if enabled("address_joined"):
            found.extend(self.address_joined(text, [c for c in found if c.type == "ADDRESS"]))
        if enabled("address_before_postcode"):
            found.extend(self.address_before_postcode(text, [c for c in found if c.type == "POSTCODE"]))
        if enabled("age_after_name"):
            found.extend(self.age_after_name(text, [c for c in found if c.type == "NAME"]))
        if enabled("age_forms"):
            found.extend(self.forms.age_after_name_verb(text, [c for c in found if c.type == "NAME"]))
        return found

    @staticmethod
    def simple(rx: re.Pattern[str], typ: str, rule: str) -> Callable[[str], Iterator[Candidate]]:
        def _run(text: str) -> Iterator[Candidate]:
            for m in rx.finditer(text):
                yield Candidate(m.start(), m.end(), typ, rule)

        return _run

    @staticmethod
    def group(rx: re.Pattern[str], grp: str, typ: str, rule: str) -> Callable[[str], Iterator[Candidate]]:
        def _run(text: str) -> Iterator[Candidate]:
            for m in rx.finditer(text):
                yield Candidate(m.start(grp), m.end(grp), typ, rule)

        return _run

    # ------------------------------------------------------------------ numbers and contact details

    def nhs_number(self, text: str) -> Iterator[Candidate]:
        for m in self.nhs_re.finditer(text):
            if is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")
        for m in NHS_4_3_3.finditer(text):  # "4500-398-015", hyphenated 4-3-3, valid check digit
            if is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")
        for m in NHS_LOOSE.finditer(text):  # "721.044.3894", "9434 7659 19", "4 0 1 2 3 4 5 6 7 2", "943  476  5919"
            digits = re.sub(r"\D", "", m.group())
            if len(digits) == 10 and is_valid_nhs_number(digits):
                yield Candidate(m.start(), m.end(), "NHS_NUMBER", "nhs_number")

    def nhs_like_invalid(self, text: str) -> Iterator[Candidate]:
        for m in self.nhs_re.finditer(text):
            if not is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
                yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "nhs_like_invalid_checksum")

    def id_after_keyword(self, text: str) -> Iterator[Candidate]:
        for m in self.id_kw_re.finditer(text):
            token = m.group("id")
            digits = re.sub(r"\D", "", token)
            if len(digits) < 5:
                continue
            compact = re.sub(r"[ \-]", "", token)
            typ = "NHS_NUMBER" if compact.isdigit() and is_valid_nhs_number(compact) else "HOSPITAL_NUMBER"
            yield Candidate(m.start("id"), m.end("id"), typ, "id_after_keyword")

    def alphanumeric_id(self, text: str) -> Iterator[Candidate]:
        for m in self.alnum_id_re.finditer(text):
            yield Candidate(m.start(), m.end(), "HOSPITAL_NUMBER", "alphanumeric_id")

    def email(self, text: str) -> Iterator[Candidate]:
        for m in self.email_re.finditer(text):
            start = m.start()
            while start < m.end() and text[start] in ".-+'’":
                start += 1
            yield Candidate(start, m.end(), "EMAIL", "email")

    def uk_phone(self, text: str) -> Iterator[Candidate]:
        for m in self.phone_re.finditer(text):
            start = m.start()
            end = self._valid_phone_end(text, start, m.end())
            if end is None and text[start] == "(":  # "(0113 496 0555)": the bracket opens the aside
                start += 1
                end = self._valid_phone_end(text, start, m.end())
            if end is not None:
                ext = PHONE_EXTENSION.match(text, end)  # "0161 496 0742 ext 213": the extension reaches the person
                yield Candidate(start, ext.end() if ext else end, "PHONE", "uk_phone")

    @staticmethod
    def _valid_phone_end(text: str, start: int, end: int) -> int | None:
        """Shorten a phone-shaped match at separators until it has a UK number of digits."""
        while end > start:
            raw = text[start:end]
            if raw.count("(") != raw.count(")"):
                return None
            digits = re.sub(r"\D", "", raw)
            if raw.startswith("+") or raw.startswith("00"):
                national = digits[2:] if raw.startswith("+") else digits[4:]
                national = national[1:] if national.startswith("0") else national
            else:
                national = digits[1:]
            if len(national) in (9, 10) and national[0] in "1235789":
                return end
            if len(national) < 9:
                return None
            cut = max(raw.rfind(" "), raw.rfind("-"), raw.rfind("\u00a0"))
            if cut <= 0:
                return None
            end = start + cut
        return None

    def international_phone(self, text: str) -> Iterator[Candidate]:
        for m in self.intl_phone_re.finditer(text):
            if 8 <= len(re.sub(r"\D", "", m.group())) <= 15:
                yield Candidate(m.start(), m.end(), "PHONE", "international_phone")

    def uk_postcode(self, text: str) -> Iterator[Candidate]:
        for m in self.postcode_re.finditer(text):
            area, inward = m.group(1), m.group(2)
            if self.postcode_areas and area.upper() not in self.postcode_areas:
                continue
            if inward[1:] in ("st", "nd", "rd", "th"):  # "ST3 1st", "L5 2nd": ordinals, not postcodes
                continue
            yield Candidate(m.start(), m.end(), "POSTCODE", "uk_postcode")
        for m in EIRCODE.finditer(text):  # Ireland: "H91 E2K3", "D6W 1A2B"
            if any(c.isdigit() for c in m.group(2)) and any(c.isalpha() for c in m.group(2)):
                yield Candidate(m.start(), m.end(), "POSTCODE", "uk_postcode")

    # ------------------------------------------------------------------ dates

    @staticmethod
    def _day_month_ok(a: int, b: int) -> bool:
        return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= b <= 31 and 1 <= a <= 12)

    def date_numeric(self, text: str) -> Iterator[Candidate]:
        for m in self.date_numeric_re.finditer(text):
            if self._day_month_ok(int(m.group("a")), int(m.group("b"))):
                yield Candidate(m.start(), m.end(), "DATE", "date_numeric")
        for m in self.date_dm_context_re.finditer(text):
            if self._day_month_ok(int(m.group("a")), int(m.group("b"))):
                yield Candidate(m.start("d"), m.end("d"), "DATE", "date_numeric")

    def date_ordinal_in_context(self, text: str) -> Iterator[Candidate]:
        """An ordinal after "on the" is a date unless a noun follows ("on the 2nd floor", "for the 3rd time")."""
        for m in self.date_ordinal_ctx_re.finditer(text):
            rest = text[m.end("o") : m.end("o") + 60]
            if rest[:1] in ("-", "/"):
                continue
            word = re.match(r"[ \u00a0]+([a-z][\w'’]*)", rest)
            if word and word.group(1).casefold() not in self.ordinal_followers:
                continue
            yield Candidate(m.start("o"), m.end("o"), "DATE", "date_ordinal_in_context")

    # ------------------------------------------------------------------ ages

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
                listed = key in self.first_names or key in self.cfg.listed_first_names or key in self.cfg.surnames
                if not listed and not (self.english and key not in self.english and key not in self.never_names):
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
        for m in self.age_appositive_re.finditer(text):
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
            if unit and unit.group(1).casefold() in self.not_age_units:
                continue
            if unit and unit.group(1).casefold() not in self.age_followers and not re.match(r"\s*[,.;:!?)]", after):
                continue
            opened = re.search(r"(?:^|[.!?\n][ \u00a0\"'“]*)$", before) and re.match(r"[ \u00a0]*,", after)
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
        if w in self.not_age_units:
            return False
        return turned or w in self.age_followers

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
                return True
        return False

    def name_title(self, text: str) -> Iterator[Candidate]:
        for m in self.title_re.finditer(text):
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
        for m in self.intro_re.finditer(text):
            found = list(self._context_name(text, m.end(), "name_intro"))
            yield from found
            initial = None if found else INTRO_INITIAL.match(text, m.end())
            if initial and initial.group(1) not in ("I", "A"):  # "I'll refer to him as R."
                yield Candidate(initial.start(), initial.end(), "NAME", "name_intro")

    def name_relation(self, text: str) -> Iterator[Candidate]:
        for m in self.relation_re.finditer(text):
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
        rx = re.compile(rf"(?<![\w'’-])(?:{_alt(tokens, ignore_case=False)})(?!\w)")
        for m in rx.finditer(text):
            key = m.group().casefold()
            if self._institutional(text, m.start(), m.end()):
                continue
            if (key in self.ambiguous or key in self.not_names) and is_sentence_initial(text, m.start()):
                # already known as a name here, so a following verb or possessive is enough ("Hope was upset")
                follow = re.match(r"(?:['’]s|[ \u00a0]+([a-z'’]+))", text[m.end() : m.end() + 40])
                if not follow or (follow.group(1) is not None and follow.group(1) not in self.person_verbs):
                    continue
            yield Candidate(m.start(), m.end(), "NAME", "name_propagation")

    def age_after_name(self, text: str, names: list[Candidate]) -> Iterator[Candidate]:
        """A bare number right after a name found here is an age: "Parveen Akhtar 73 admitted", "Leilani (4)",
        "Hywel Pugh, 88," (not a count or a measure: "Dr Rao 2 weeks ago", "Amy 3/7 ago")."""
        for end in sorted({c.end for c in names}):
            m = AGE_AFTER_NAME.match(text, end)
            if m is None or int(m.group("n")) > 120:
                continue
            word = re.match(r"[ \u00a0]+([A-Za-z]+)", text[m.end() : m.end() + 30])
            if word and word.group(1).casefold() in self.not_age_units - {"on", "in", "at", "and"}:
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_after_name")

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
            # keeps Rhyl, a clause of its own)
            subject = is_sentence_initial(text, start)
            after = TOWN_AFTER_LOWER if lower else TOWN_AFTER_SUBJECT if subject else TOWN_AFTER
            for _ in range(3):
                town = after.match(text, end)
                if not town or town.group(1).split()[0].casefold() in self.function_words:
                    break
                end, count = town.end(1), count + 1
            if count > 1:
                yield Candidate(start, end, "ADDRESS", "address_joined")

    @staticmethod
    def address_lowercase(text: str) -> Iterator[Candidate]:
        """ "lives at 9 church st", "moved to 21 heol y nant": a numbered street in lower case, after a word
        that says an address follows (a bare "2 buses down the road" stays)."""
        if not _HAS_DIGIT.search(text):
            return
        for m in LOWER_STREET.finditer(text):
            yield Candidate(m.start("a"), m.end("a"), "ADDRESS", "address_lowercase")


# "at" opening a clause: the start, a stop or comma before it, or "and", "but", "even" ("and at ninety-one, she")
AT_OPENING = re.compile(r"(?:^|[.!?\n;,][ \u00a0\"'“]*|(?<![\w])(?i:and|but|even)[ \u00a0]+)(?i:at)[ \u00a0]+$")
NHS_4_3_3 = re.compile(r"(?<![\w\-/.])([0-9]{4})([\-–])([0-9]{3})\2([0-9]{3})(?![\w\-/]|\.\d)")
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
# "No. 7 Castle Street", "number 12 Station Road": the word for the number goes with it
NUMBER_BEFORE = re.compile(rf"(?<![\w])(?P<a>(?:No\.?|no\.|Number|number|Nº){HSP}*)$")
STREET_SIDE_AFTER = re.compile(rf"{HSP}+(?:North|South|East|West|Upper|Lower)(?![\w'’])")
TOWN_AFTER_LOWER = re.compile(
    rf",{HSP}*\n?{HSP}*([{LO}]{{3,}}(?:-[{LO}]+)*)(?={HSP}*(?:$|\n|[.;:,!?)—–]|[a-z]{{1,2}}[0-9]|{HSP}(?:with|and|but|for|so|since|where|because|to|near|until|till|then|now|is|was|son|daughter|mum|dad|wife|husband|partner)\b))"
)
# before a chain: the flat or tenement ("Flat 0/2, ", "2F1, ", "3/2, ", "Room 214, ", "Plot 14, "), perhaps after
# "c/o someone, "
UNIT_BEFORE = re.compile(
    rf"(?P<a>(?:(?i:c/o){HSP}+[^,\n]{{1,40}},{HSP}*\n?{HSP}*)?"
    rf"(?:(?:(?i:flat|apartment|apt|unit|room|plot|berth|suite|number|no\.)){HSP}*(?:[0-9]{{1,4}}(?:/[0-9A-Za-z]{{1,2}})?[A-Za-z]?|[A-Z])(?![\w/])"
    rf"|[0-9]{{1,2}}F[0-9]{{1,2}}|[0-9]{{1,2}}/[0-9]{{1,2}}|(?i:c/o){HSP}+[^,\n]{{1,40}})"
    rf"{HSP}*,?{HSP}*\n?{HSP}*)$"
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
    rf"|(?:[a-z]+{HSP}+){{1,3}}(?:street|st|road|rd|avenue|ave|lane|crescent|terrace|drive|gardens|ct|mews|wynd))"
    rf"(?:,?{HSP}+(?:[a-z]+{HSP}+){{1,2}}(?:st|street|rd|road|lane|ct|court))?)(?![\w])"
)


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


AGE_AFTER_NAME = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*|[ \u00a0]+\(|[ \u00a0]+)(?P<n>[0-9]{1,3})(?:\))?"
    r"(?=[ \u00a0]*(?:[,;)]|$)|[ \u00a0]+[^0-9:/])"
)

