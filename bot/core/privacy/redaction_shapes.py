"""De-identification rules by shape and context word (issue 10, round three): the kinds of identifier that
text written outside this repository showed, each caught by its shape rather than by a listed example.

* ages in clinical shorthand: "F, 72", "M, 58", "72F", "(eighty-two)" after a name or a person;
* places of care written with a lower-case "ward" / "unit" ("Rowan ward", "Larch ward"), hospitals known by
  a possessive ("Liverpool Women's", "Queen Charlotte's", "Sheffield Children's");
* initials: a single letter after a person word ("Baby M", "the child, T.,"), two or three capitals doing
  what a person does ("DK refused the bloods");
* surnames with lower-case particles ("van der Berg", "de la Cruz", "bin Laden"), not eponyms
  ("von Willebrand disease", "de Quervain's").

Split out of :mod:`bot.core.privacy.redaction_rules` for size;
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its word sets through :class:`RuleHost`).
Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    ACRONYMS,
    AGENT_VERBS,
    CAP,
    GENERIC_UNIT_WORDS,
    HSP,
    LO,
    NUMBER_WORD,
    UP,
    Candidate,
    RuleHost,
    is_sentence_initial,
)

# People a bracketed or apposed age may follow ("the lad (sixteen)", "a woman, 72,").
PERSON_NOUNS = frozenset(
    """man woman lady gentleman gent girl boy lad lass bloke chap guy fella patient pt child baby infant toddler
    teenager teen student son daughter mum dad mother father wife husband partner brother sister grandson
    granddaughter grandmother grandfather gran grandma grandad granddad nan nana aunt uncle niece nephew cousin
    friend flatmate boyfriend girlfriend fiancé fiancée resident client neighbour twin twins male female""".split()
)
CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday weekend today tomorrow yesterday morning afternoon
    evening night january february march april june july august september october november december""".split()
)
CARE_PLACE_WORDS = ("ward", "unit", "home", "hospice", "surgery", "practice", "centre", "hospital", "clinic")
# particles that only ever start a surname ("van Dijk", "Ó Briain", "Ní Bhriain", "Mac Giolla")
STRONG_PARTICLES = frozenset("van von bin bint binti ibn ap ó ní nic uí mac mic dos das".split())
SMALL_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve".split())
PARENT_NOUNS = frozenset("mum mother father dad grandmother grandfather gran grandma grandad granddad nan nana".split())
SEX = r"(?:[MF]|(?i:male|female))"
AGE_NUM = rf"(?:1[01][0-9]|[1-9]?[0-9]|{NUMBER_WORD})"
# Team, service and test abbreviations that do things in a sentence ("SLT said", "CT showed"): never initials.
MORE_ACRONYMS = frozenset(
    """SLT SALT PT ANP ACP CNS RMN RGN HCSW AHP MSK OOH SPR STR ICB CCG GMC BMA CQC DWP PALS AMHP CPN CMHT CRHT
    HTT TPN NG NJ PEG CVC ABG VBG FBC LFT UE CRP ESR INR APTT BNP USS CXR AXR KUB OGD EUA TOE TTE EMU MAU
    DKA SAH ACS AF VF VT PEA ROSC CPR BLS ALS ILS CAMHS IAPT CBT DBT EMDR OCD PTSD ADHD ASD BPD EUPD GAD
    PHQ BMI NEWS AVPU GCS DNR TTO IT OK UK USA EU UN WHO BBC ITV NHS RCN RCGP RCP RCS UCAS SU FY1 FY2 ST
    SHO CT1 CT2 IMT GPST ACCS DN HV MW SW SN RN CSW ODP PA AP""".split()
)
# The word after a name that shows an eponym, not a person ("von Willebrand disease", "de Quervain's").
EPONYM_AFTER = re.compile(
    r"(?:['’]s)?[ \u00a0]+(?i:disease|syndrome|fracture|sign|factor|tenosynovitis|thyroiditis|classification|"
    r"criteria|procedure|operation|test|manoeuvre|maneuver|score|scale|triad|law|reflex|deformity|ulcer)\b"
    r"|['’]s(?![\w])"
)
STREET_WORD_BEFORE = re.compile(rf"(?i:rue|via|calle|avenida|strada|place|avenue){HSP}+$")
WARD_NUMBER = re.compile(
    rf"(?<![\w])(?i:ward|wrd|wd)\.?{HSP}+(?P<n>[0-9]{{1,3}}[A-Za-z]?(?![\w])|(?i:{NUMBER_WORD})(?![\w-]))"
)
LOWER_SAINT = re.compile(
    rf"(?<![\w])(?i:at|in|to|from|into|on|transferred|moved|visit|visiting){HSP}+(?:the{HSP}+)?"
    rf"(?P<loc>st\.?{HSP}+(?P<n>[a-z]+(?:['’]?s)?)(?:{HSP}+(?:hospital|hospice|nursing{HSP}+home|care{HSP}+home|"
    rf"surgery|medical{HSP}+centre|primary|school|church|ward|unit))?)(?![\w'’])"
)
ROLES = (
    r"OT|PT|SALT|HCA|HCSW|CSW|SHO|FY1|FY2|F1|F2|ST[1-8]|CT[12]|GPST[1-4]|SpR|reg|registrar|consultant|"
    r"physio|physiotherapist|dietitian|dietician|pharmacist|porter|midwife|chaplain|receptionist|ward clerk|"
    r"sister|charge nurse|nurse|matron|ODP|anaesthetist|psychologist|social worker|care coordinator|CPN|"
    r"F2 doctor|junior doctor|GP|trainee|SpR|houseman|nursing assistant|student nurse|medical student|volunteer|"
    r"interpreter|cleaner|domestic|ward manager|bed manager|discharge coordinator|paramedic|tech|radiographer|"
    r"phlebotomist|ANP|ACP|PA|physician associate|orthoptist|ECG tech"
)
ROLE_APPOSITION = re.compile(
    rf"(?<![\w'’-])(?P<n>[{UP}][{LO}]{{2,}})(?:"
    rf"{HSP}+\(?(?:the|our|my|a|one of the|the new|the lovely){HSP}+(?:[a-z]+{HSP}+)?(?:{ROLES})(?![\w])"
    rf"|,{HSP}+(?:the|our|my){HSP}+(?:[a-z]+{HSP}+)?(?:{ROLES})(?![\w])"
    rf"|{HSP}+(?:in|from){HSP}+(?:pharmacy|radiology|physio|the{HSP}+(?:chaplaincy|pharmacy|lab|path lab|"
    rf"discharge team|"
    rf"crisis team|CAMHS team|mental health team|ward office))(?![\w])"
    rf"|{HSP}+in{HSP}+(?:bed|bay|side{HSP}+room|room|cubicle){HSP}*[0-9]{{1,2}}[A-Za-z]?(?![\w])"
    rf"|(?P<and_i>{HSP}+and{HSP}+(?:I|me)(?![\w'’])))"
)
NOT_BY_ROLE = frozenset(
    "the this that then today yesterday tonight also both everyone nobody someone anyone he she they we you it "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december mum dad nan gran grandma grandad auntie uncle sister brother patient "
    "doctor nurse consultant surgeon student students team staff reg registrar".split()
)
ADJECTIVE_END = ("al", "ac", "ic", "ical", "ive", "ous", "ary", "ory", "ful", "less", "ing", "ed")


class ShapeRules:
    """The shape-and-context rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        self.base = base
        self.english = base.cfg.english_words
        self.names = base.cfg.listed_first_names | base.cfg.surnames | base.first_names
        self.places = frozenset(p.casefold() for p in base.cfg.places)
        self.verbs = base.person_verbs | AGENT_VERBS | frozenset(v.casefold() for v in base.cfg.object_verbs)
        # "F, 72" / "M, 58" / "female, 72" opening a note, a quotation or a bracket; "72F", "72 M," anywhere
        self.sex_age_re = re.compile(
            rf"(?<![\w'’])(?P<sex>{SEX}),?{HSP}*(?P<n>1[01][0-9]|[1-9]?[0-9])(?![\w%/:.]|\.[0-9]|{HSP}*[-–]{HSP}*[0-9])"
        )
        self.age_sex_re = re.compile(
            rf"(?<![\w\-/.])(?P<n>1[01][0-9]|[1-9]?[0-9])(?:{HSP}?(?:yo|y/o|y\.o\.))?(?:(?P<tight>[MF])|{HSP}(?P<loose>[MF])"
            rf"|,{HSP}*(?P<word>(?i:male|female))|y{HSP}+(?P<yword>(?i:male|female|man|woman|boy|girl)))(?![\w&'’])"
        )
        self.bracket_word_age_re = re.compile(rf"\({HSP}*(?:(?i:aged){HSP}+)?(?P<n>(?i:{NUMBER_WORD})){HSP}*\)")
        self.word_before_re = re.compile(rf"([\w'’]+){HSP}+$")
        self.lower_ward_re = re.compile(
            rf"(?<![\w'’-])(?P<words>{CAP}(?:{HSP}+{CAP}){{0,2}}){HSP}+(?P<kind>ward|unit|care{HSP}+home|nursing{HSP}+home"
            rf"|residential{HSP}+home|hospice|surgery|practice|medical{HSP}+centre|health{HSP}+centre|hospital|clinic)"
            rf"(?![\w'’-])"
        )
        # a person noun, then an age in brackets or between commas: "grandad (91)", "a lady of ninety"
        self.person_age_re = re.compile(
            rf"\({HSP}*(?P<a>{AGE_NUM}){HSP}*\)|,{HSP}*(?P<b>{AGE_NUM}),"
            rf"|(?<=[{LO}]){HSP}+of{HSP}+(?P<c>(?i:{NUMBER_WORD}))(?![\w-])"
        )
        self.lower_word_before_re = re.compile(rf"(?<![\w'’])([{LO}]+){HSP}*$")
        self.possessive_hospital_re = re.compile(
            rf"(?<![\w'’])(?P<loc>(?:{CAP}{HSP}+){{1,2}}(?:Women|Children|Womens|Childrens)['’]s?"
            rf"|(?:Queen|King|Prince|Princess|Lady|Royal|Sir){HSP}+{CAP}['’]s?)(?![\w'’])"
        )
        self.single_initial_re = re.compile(
            rf"(?<![\w])(?P<ctx>(?i:patient|pt|baby|child|client|resident|service{HSP}+user|boy|girl|man|woman|lady|"
            rf"gentleman|student|initials?|called|named)),?{HSP}+(?P<i>[{UP}])(?:\.|(?![\w&'’.]))"
        )
        self.caps_verb_re = re.compile(r"(?<![\w&'’./-])(?P<i>[A-Z]{2,3})(?=[ \u00a0]+(?P<verb>[a-z'’]+))")
        self.lower_title_re = re.compile(
            rf"(?<![\w])(?:dr|mr|mrs|ms|prof|mx)\.?{HSP}+(?P<n>[{LO}][{LO}'’]+(?:-[{LO}]+)?)(?![\w'’-])"
        )
        self.particle_re = re.compile(
            rf"(?<![\w'’-])(?P<p>(?:[Vv]an|[Vv]on|[Dd]e|[Dd]os|[Dd]as|[Dd]a|[Dd]i|[Dd]u|[Dd]el|[Ll]e|[Ll]a|binti|bint|bin|ibn"
            rf"|ap|[Aa]l|[Ee]l|Ó|O|Ní|Nic|Uí|Mac|Mic)"  # "dos Santos", "Siti binti Hassan" (round 11)
            rf"(?:{HSP}+(?:der|den|de|la|le|los|las|del|van|y|an|na))?){HSP}+"  # "Mac an Bhaird" (round 11)
            # an Irish name may be eclipsed or prefixed after its article ("Mac an tSaoi", "Ó hAodha"); round 11
            rf"(?P<n>(?:t|n|h|bh|b|d|g|m)?[{UP}][{LO}]+(?:-[{UP}][{LO}]+)?)(?![\w])"
        )

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "age_sex_shorthand": self.age_sex_shorthand,
            "age_words_in_brackets": self.age_words_in_brackets,
            "age_after_person": self.age_after_person,
            "location_lowercase_ward": self.location_lowercase_ward,
            "location_possessive": self.location_possessive,
            "name_initial_in_context": self.name_initial_in_context,
            "name_particles": self.name_particles,
            "name_after_lowercase_title": self.name_after_lowercase_title,
            "location_ward_number": self.location_ward_number,
            "location_lowercase_saint": self.location_lowercase_saint,
            "name_by_role": self.name_by_role,
        }

    # ------------------------------------------------------------------ ages

    def age_sex_shorthand(self, text: str) -> Iterator[Candidate]:
        """ "F, 72, lives alone", "M 58", "89M", "34yo F", "72, female": the clinical note's sex-and-age."""
        for m in self.sex_age_re.finditer(text):
            sex = m.group("sex")
            # a bare letter only where a note or a bracket starts ("F, 72" not "Vitamin D 50")
            if len(sex) == 1 and not (is_sentence_initial(text, m.start()) or text[m.start() - 1 : m.start()] in "(/"):
                continue
            nxt = re.match(r"[ \u00a0]*([A-Za-z]+)", text[m.end() : m.end() + 20])
            if nxt and nxt.group(1).casefold() in self.base.not_age_units:
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_sex_shorthand")
        for m in self.age_sex_re.finditer(text):
            opens = is_sentence_initial(text, m.start()) or text[m.start() - 1 : m.start()] in "(/"
            stop = re.match(r"[ \u00a0]*(?:[,;:)\n]|$)", text[m.end() : m.end() + 3])
            if m.group("loose") and not (opens and stop):
                continue  # "72 M, fall at home": with a space, only where a note starts and before a stop
            if m.group("tight") and not (opens or stop):
                continue  # "89M fall at home", "pt 89M." but not "a 5F catheter"
            if m.group("word") and not (
                is_sentence_initial(text, m.start()) or text[m.start() - 1 : m.start()] in "(/"
            ):
                continue
            yield Candidate(m.start("n"), m.end("n"), "AGE", "age_sex_shorthand")

    def age_after_person(self, text: str) -> Iterator[Candidate]:
        """ "grandad (91)", "her nephew, 7, was", "a lady of ninety": an age beside a person noun."""
        for m in self.person_age_re.finditer(text):
            before = self.lower_word_before_re.search(text, max(0, m.start() - 20), m.start())
            if before is None or before.group(1) not in PERSON_NOUNS:
                continue
            grp = next(g for g in ("a", "b", "c") if m.group(g) is not None)
            n = m.group(grp).casefold()
            if n in SMALL_NUMBER_WORDS and (grp != "c" or n in ("one", "two", "three")):
                continue  # "the twins (two)", "a mother of three": a count
            if grp == "c" and (n in SMALL_NUMBER_WORDS or before.group(1) in PARENT_NOUNS):
                continue
            yield Candidate(m.start(grp), m.end(grp), "AGE", "age_after_person")

    def age_words_in_brackets(self, text: str) -> Iterator[Candidate]:
        """ "Mr Hussein (eighty-two)", "the lad (sixteen)": an age in words in brackets after a person."""
        if "(" not in text:
            return
        for m in self.bracket_word_age_re.finditer(text):
            before = self.word_before_re.search(text, max(0, m.start() - 30), m.start())
            who = before.group(1) if before else ""
            if who and (who[0].isupper() or who.casefold() in PERSON_NOUNS):
                if m.group("n").casefold() not in ("one", "two", "three"):  # "(two)" after a name is a count
                    yield Candidate(m.start("n"), m.end("n"), "AGE", "age_words_in_brackets")

    # ------------------------------------------------------------------ places of care

    def _generic(self, word: str) -> bool:
        key = word.casefold().strip("'’")
        if key in GENERIC_UNIT_WORDS or key in self.base.function_words or key in self.base.never_names:
            return True
        return key.endswith(ADJECTIVE_END) and key in self.english  # "Surgical ward", "Busy ward"

    def location_lowercase_ward(self, text: str) -> Iterator[Candidate]:
        """ "moved to Rowan ward", "Larch ward rang", "Oakhaven care home": a capitalised name before a
        lower-case ward, unit, care home, hospice, surgery, practice, centre, hospital or clinic."""
        if not any(k in text for k in CARE_PLACE_WORDS):
            return
        for m in self.lower_ward_re.finditer(text):
            if re.match(r"[ \u00a0]+rounds?\b", text[m.end() : m.end() + 8]):
                continue  # "Busy ward round on Monday"
            tokens = m.group("words").split()
            while tokens and self._generic(tokens[0]):
                tokens.pop(0)
            if not tokens or all(self._generic(t) for t in tokens):
                continue
            if re.sub(r"['’]s?$", "", tokens[0]).casefold() in CALENDAR_WORDS:
                continue  # "Tuesday's clinic", "Monday clinic": a day's clinic, not a place's name
            kind = m.group("kind")
            if kind not in ("ward", "unit") and len(tokens) == 1 and tokens[0].casefold() in self.english:
                if is_sentence_initial(text, m.start()) or text[m.start() - 1 : m.start()] != " ":
                    continue  # "Knee surgery went well": an English word opening a sentence is no name
            if tokens[-1].upper() in ACRONYMS or tokens[-1].casefold() in self.places:
                continue
            start = m.end("words") - len(" ".join(tokens))
            if text[start : m.end("words")] != " ".join(tokens):  # odd spacing: keep the whole run
                start = m.start("words")
            yield Candidate(start, m.end(), "LOCATION", "location_lowercase_ward")

    def location_possessive(self, text: str) -> Iterator[Candidate]:
        """ "Liverpool Women's", "Sheffield Children's", "Queen Charlotte's": a hospital by its possessive."""
        for m in self.possessive_hospital_re.finditer(text):
            first = m.group("loc").split()[0]
            if first.casefold() in self.base.function_words:
                continue
            yield Candidate(m.start("loc"), m.end("loc"), "LOCATION", "location_possessive")

    # ------------------------------------------------------------------ initials and surnames

    def name_initial_in_context(self, text: str) -> Iterator[Candidate]:
        """ "Baby M", "the child, T.,", "patient K": one letter after a person word; "DK refused the
        bloods", "JB said": two or three capitals doing what a person does."""
        for m in self.single_initial_re.finditer(text):
            if m.group("i") in "XYZ" or (m.group("i") in "IA" and text[m.end("i") : m.end("i") + 1] != "."):
                continue  # "Patient X" is already a pseudonym; "as I walked": only "A." counts
            yield Candidate(m.start("i"), m.end("i"), "NAME", "name_initial_in_context")
        for m in self.caps_verb_re.finditer(text):
            caps, verb = m.group("i"), m.group("verb")
            if caps in ACRONYMS or caps in MORE_ACRONYMS or caps.casefold() in self.english:
                continue
            if verb in self.base.person_verbs or verb in AGENT_VERBS or verb in self.base.speech_verbs:
                yield Candidate(m.start("i"), m.end("i"), "NAME", "name_initial_in_context")

    def name_particles(self, text: str) -> Iterator[Candidate]:
        """ "van der Berg", "de la Cruz", "al Sayed": a surname with its lower-case particles."""
        for m in self.particle_re.finditer(text):
            particles = m.group("p").split()
            name = m.group("n")
            key = name.casefold()
            strong = len(particles) > 1 or particles[0].casefold() in STRONG_PARTICLES
            if not strong and not (key in self.names and key not in self.english):
                continue
            if key in self.base.never_names or key in self.places or EPONYM_AFTER.match(text, m.end()):
                continue
            if STREET_WORD_BEFORE.search(text, max(0, m.start() - 9), m.start()):
                continue  # "Rue de la Paix" is an address, found by the address rules
            yield Candidate(m.start(), m.end(), "NAME", "name_particles")

    def name_after_lowercase_title(self, text: str) -> Iterator[Candidate]:
        """ "dr smith said no", "mrs white in bay 2": a listed name after a lower-case title, even one that
        is also an English word (a capitalised title is handled by ``name_title``)."""
        for m in self.lower_title_re.finditer(text):
            key = m.group("n").replace("’", "'")
            if key in self.base.function_words or key in self.base.never_names or key not in self.names:
                continue
            if key in self.verbs or key in self.base.not_age_units:
                continue  # "dr said no", "mr came back"
            yield Candidate(m.start("n"), m.end("n"), "NAME", "name_after_lowercase_title")

    # ------------------------------------------------------------------ round six (issue 10)

    def location_ward_number(self, text: str) -> Iterator[Candidate]:
        """ "ward twelve", "wrd 14", "wd 7b": a ward by its number, however it is typed ("Ward 4B" is the
        lexicon's)."""
        for m in WARD_NUMBER.finditer(text):
            if not text[m.start()].isupper() or m.group("n")[0].isalpha():
                yield Candidate(m.start(), m.end(), "LOCATION", "location_ward_number")

    def location_lowercase_saint(self, text: str) -> Iterator[Candidate]:
        """ "at st barts", "back to st marys nursing home", "in st. john's": a saint's name is a hospital, a
        hospice or a home when someone is at, in, to or from it."""
        for m in LOWER_SAINT.finditer(text):
            if m.group("n").casefold().strip("'’s") in self.base.function_words:
                continue
            yield Candidate(m.start("loc"), m.end("loc"), "LOCATION", "location_lowercase_saint")

    def name_by_role(self, text: str) -> Iterator[Candidate]:
        """A capitalised word named by its job: "Amber the OT", "Will (the F2)", "Joy in pharmacy", "Pearl,
        our ward clerk", "Temi and I". Word-names (Amber, Joy, Will, Pearl) are found only this way."""
        for m in ROLE_APPOSITION.finditer(text):
            word = m.group("n")
            key = word.casefold()
            if key in self.base.function_words or key in NOT_BY_ROLE or key in self.base.never_names:
                continue
            if key in self.places or word.upper() == word:
                continue
            if m.group("and_i") and (key in PARENT_NOUNS or key in self.english and is_sentence_initial(text, m.start())
                                     and key not in self.names):
                continue  # "Mum and I", "Surgery and I": only a listed first name opens "X and I"
            yield Candidate(m.start("n"), m.end("n"), "NAME", "name_by_role")
