"""De-identification rules of round 11 (issue 10): names told by what the sentence says of them, whatever the word.

The list and lexicon rules (:mod:`redaction_lexicon`) find a word that is no English word; these find a name by its
predicate, so they reach names that are words, names that end like a medicine and names in no list:

* ``name_naming_predicate``: "Frank was his name", "Will and Hope were the names of the twins", "Baker was the
  name of the surgical reg", "Mac an Bhaird was the surname" (not "Pearl was the name of the boat");
* ``name_role_predicate``: "Marsh was the anaesthetist", "Peregrine was the medical student", "Comfort was the
  health visitor", "Ottoline was ninety": a role or an age said of a capitalised word that could be a name;
* ``name_surname_speaks``: "Wood told me to go home", "Baker asked us": a surname that is also an English word,
  capitalised, before a verb of speech and its listener.

Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.  :class:`RuleSet` runs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_patterns import (
    ACRONYMS,
    HSP,
    NAME_TOKEN,
    NUMBER_WORD,
    Candidate,
    RuleHost,
    _fold,
)
from bot.core.privacy.word_scan import scan

PARTICLE_WORDS = r"(?:van|von|der|den|de|da|di|du|del|della|dos|das|le|la|bin|bint|binti|ibn|al|el|ap|an|na|ni|nic)"
_TOKEN = NAME_TOKEN.pattern
_RUN = rf"(?:{PARTICLE_WORDS}{HSP}+){{0,2}}{_TOKEN}(?:{HSP}+(?:{PARTICLE_WORDS}{HSP}+){{0,2}}{_TOKEN}){{0,3}}"
# the capitalised words right before a predicate: "Mac an Bhaird ", "Will and Hope ", "Peregrine Worsley "
SUBJECT_BEFORE = re.compile(rf"(?P<a>{_RUN})(?:{HSP}+(?:and|&){HSP}+(?P<b>{_RUN}))?{HSP}+$")
# "was his name", "is her surname", "were the names", "was the name on the wristband", "was the name of the reg"
NAMING = re.compile(
    rf"(?<![\w'’])(?:was|is|were|are)(?:{HSP}+(?:actually|really|also|apparently))?{HSP}+"
    rf"(?:(?:the|his|her|their|my|our){HSP}+)?(?:(?:first|family|last|maiden|middle|real|given|full|pet|nick|sur)"
    rf"{HSP}?)?names?(?![\w'’])(?P<of>{HSP}+of{HSP}+(?:the|a|an|my|our|his|her|their){HSP}+(?P<what>[a-z]+(?:{HSP}+[a-z]+)?))?"
)
# "was the (Israeli) physio", "is a (Mexican) student nurse", "was our F1": a role said of the word before it
ROLE_PREDICATE = re.compile(  # "has been a volunteer" too (round 11)
    rf"(?<![\w'’])(?:was|is|has{HSP}+been|had{HSP}+been)(?:{HSP}+(?:actually|also|still|now|then|once))?{HSP}+"
    rf"(?:the|a|an|my|our|his|her|their){HSP}+"
    rf"(?P<words>[A-Za-z0-9][\w\-]*(?:{HSP}+[A-Za-z0-9][\w\-]*){{0,3}})"
)
# "was ninety", "is only 19": an age said of the word before it
AGE_PREDICATE = re.compile(
    rf"(?<![\w'’])(?:was|is|had{HSP}+been|has{HSP}+been|turned|turns){HSP}+(?:(?:only|just|nearly|almost|barely){HSP}+)?"
    rf"(?:[0-9]{{1,3}}|(?i:{NUMBER_WORD}))(?:{HSP}+(?:years?{HSP}+old|and|but|when|now)|(?=[ \u00a0]*[,.;!?)]|$))"
)
# past tenses only: a rule, a law or a guideline "says" and "tells" ("Law says you need consent")
SPEAKING_VERBS = frozenset(
    "told asked said showed taught explained warned reminded thanked let made sent rang phoned texted emailed messaged"
    .split()
)
# verbs of speech that need no listener ("Marsh said the bloods were fine", "Afterwards Wood explained")
SPEECH_ALONE = frozenset(
    "said explained replied agreed insisted admitted mentioned whispered shouted laughed sighed nodded".split()
)
# abstract nouns the surname lists hold, which "say" and "tell" things only figuratively ("Anger told me nothing",
# "Silence said more than words")
ABSTRACT_END = ("ence", "ance", "ness", "ity", "ism", "ment", "tion", "sion", "ship", "dom", "hood", "ure")
ABSTRACT = frozenset(
    """anger fear grief guilt shame pride love hate envy doubt panic rage sorrow despair relief worry stress instinct
    logic reason sense time life death nature law order truth hope faith luck fate god heaven hell war peace money
    power age youth""".split()
)
SPEAKS = re.compile(
    rf"(?:{'|'.join(sorted(SPEAKING_VERBS, key=len, reverse=True))}){HSP}+(?:me|us|him|her|them|to{HSP}+me|to{HSP}+us)"
    rf"(?![\w'’])|(?:{'|'.join(sorted(SPEECH_ALONE, key=len, reverse=True))})(?![\w'’-])"
)
# what one does to a person right before a capitalised surname that is a word ("I asked Stone whether", "I was
# shadowing Marsh", "I bleeped Heath")
DONE_TO_VERBS = frozenset(
    """asked told thanked helped met phoned rang emailed messaged texted bleeped paged called shadowing shadowed shadow
    joined followed assisted assisting assist thank ask tell""".split()
)
DONE_TO = re.compile(
    rf"(?:{'|'.join(sorted(DONE_TO_VERBS, key=len, reverse=True))}){HSP}+(?P<t>[A-Z][a-z]+)(?![\w'’-])"
)
NAMING_STARTS = frozenset({"was", "is", "were", "are"})
# names given in a list: "named her triplets Hope, Faith and Charity", "called the twins Will and Ivy"
_CAPS = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
NAMED_LIST = re.compile(
    rf"(?<![\w'’])(?:named|called|calls|call|name){HSP}+(?:(?:her|his|their|the|my|our){HSP}+(?:new{HSP}+|baby{HSP}+)?"
    rf"(?:son|sons|daughter|daughters|baby|babies|twins|triplets|boys|girls|kids|children|grandson|granddaughter)"
    rf"{HSP}+)?(?P<list>{_CAPS}(?:{HSP}*,{HSP}*{_CAPS})*,?{HSP}+(?:and|&){HSP}+{_CAPS})(?![\w'’-])"
)
NAMED_LIST_STARTS = frozenset({"named", "called", "calls", "call", "name"})
# a name with its other form in brackets: "Mags (Margaret)", "Margaret (Mags)"
NICKNAME = re.compile(rf"\({HSP}*(?P<b>{_CAPS}){HSP}*\)")  # matched at each bracket; the name before it looked back for
CAPS_BEFORE = re.compile(rf"(?<![\w'’-])(?P<a>{_CAPS}){HSP}*$")
BRACKET = re.compile(r"\(")
# a name before a dash or bracket that gives the real one: "Sunny – real name Sunil", "Gaz (full name Gareth)"
REAL_NAME = re.compile(rf"(?:real|full|proper|actual|given){HSP}+name(?![\w])")
REAL_NAME_STARTS = frozenset({"real", "full", "proper", "actual", "given"})
NAME_BEFORE_DASH = re.compile(rf"(?<![\w'’-])(?P<a>{_CAPS}){HSP}*[–—\-(]{HSP}*$")
ROLE_STARTS = frozenset({"was", "is", "has", "had"})
AGE_STARTS = frozenset({"was", "is", "had", "has", "turned", "turns"})
# what a person did, irregular past tenses a list of "-ed" forms misses ("Jayshree made everyone laugh"); used only
# after a word in no dictionary and no list, so "Hope made the difference" stays a word
PERSON_PAST = frozenset(
    """made got did ran spent lost found taught bought caught drove wrote sang slept woke ate drank fell paid met read
    sent put let became began broke chose forgot hid hurt led meant rode saw shook sold spoke swore threw understood
    wore won fought flew grew heard held hung knelt lay lit rang sought sank sat spat stuck stung swam swung tore
    told wept""".split()
)
# the words that may stand between the article and the role ("the new Polish staff nurse"), not a preposition
NOT_BETWEEN = frozenset("of for to with in on at from by and or but that who which the a an about than as".split())
# person nouns a naming phrase may be the name of ("the names of the twins"); besides the relation words
NAMED_PEOPLE = frozenset("twins triplets patient patients baby babies boy boys girl girls child children".split())
# English words in the surname lists that are groups, services or things before "told me" ("Police told us")
NOT_SPEAKERS = frozenset(
    """staff police parents people boss medicine family everyone security management radiology pharmacy
    bloods switchboard reception control triage admissions outpatients theatres theatre surgery paeds
    obs gynae ortho neuro research education nursing day night morning evening life work school home
    church chapel court council social services team admin bank agency""".split()
)
# before a capitalised word, what makes it a thing rather than a person ("the Surgery was ...", "My Brother ...")
THING_BEFORE = re.compile(rf"(?<![\w'’])(?i:the|a|an|this|that|these|those|our|my|his|her|their|its|your){HSP}+$")


class ContextRules:
    """The predicate rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.names = cfg.listed_first_names | cfg.surnames | base.first_names
        self.surnames = cfg.surnames
        self.places = frozenset(p.casefold() for p in cfg.places)
        self.titles = _fold(cfg.titles)
        self.roles = frozenset(w.casefold() for w in cfg.relation_words)

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "name_naming_predicate": self.name_naming_predicate,
            "name_role_predicate": self.name_role_predicate,
            "name_surname_speaks": self.name_surname_speaks,
        }

    # ------------------------------------------------------------------ helpers

    def _blocked(self, key: str) -> bool:
        b = self.base
        return (
            key in b.function_words
            or key in b.never_names
            or key in b.not_names
            or key in self.places
            or key in b.inst_after
            or key in self.roles
        )

    def _could_be_name(self, token: str, *, words_too: bool) -> bool:
        """A capitalised token that may be a name: listed, in no dictionary, or (``words_too``) any English word
        the name lists hold as a first name or surname ("Marsh", "Comfort")."""
        key = token.casefold().replace("’", "'")
        if key.endswith("'s"):
            return False
        if token.isupper() or token in ACRONYMS or self._blocked(key):
            return False
        if key not in self.english and not all(p in self.english for p in key.split("-")):
            return True
        return words_too and (key in self.names or key in self.base.ambiguous)

    def _subject(self, text: str, end: int, *, words_too: bool, pair: bool) -> list[tuple[int, int]]:
        """The name tokens right before ``end`` (the predicate's start), or [] when they are no name: leading
        titles and function words are dropped ("The", "Mr"), every token must be able to be a name."""
        i = end - 1
        while i >= 0 and text[i] in " \u00a0":
            i -= 1
        j = i
        while j >= 0 and (text[j].isalpha() or text[j] in "'’-"):
            j -= 1
        if i < 0 or not text[j + 1 : j + 2].isupper():
            return []  # the word right before is no capitalised one: the common case, answered cheaply
        lo = max(0, end - 120)
        m = SUBJECT_BEFORE.search(text, lo, end)
        if m is None:
            return []
        runs = [(m.start("a"), m.end("a"))]
        if m.group("b") is not None:
            if not pair:
                runs = [(m.start("b"), m.end("b"))]
            else:
                runs.append((m.start("b"), m.end("b")))
        out: list[tuple[int, int]] = []
        for start, stop in runs:
            tokens = list(NAME_TOKEN.finditer(text, start, stop))
            dropped = False
            while tokens and (tokens[0].group().casefold() in self.titles
                              or tokens[0].group().casefold() in self.base.function_words):
                tokens.pop(0)
                dropped = True
            if not tokens or not all(self._could_be_name(t.group(), words_too=words_too) for t in tokens):
                return []
            first = tokens[0].start() if dropped else start  # a leading particle stays: "dos Santos"
            if THING_BEFORE.search(text, max(0, first - 8), first):
                return []
            out.append((first, tokens[-1].end()))
        return out

    def _listed_first(self, token: str) -> bool:
        key = token.casefold()
        listed = key in self.base.first_names or key in self.base.cfg.listed_first_names
        return listed and key not in self.english and not self._blocked(key)

    # ------------------------------------------------------------------ rules

    def name_naming_predicate(self, text: str) -> Iterator[Candidate]:
        starts = self.base.word_starts(text)
        for m in scan(NAMED_LIST, text, starts, NAMED_LIST_STARTS):  # "named her triplets Hope, Faith and Charity"
            for t in NAME_TOKEN.finditer(text, m.start("list"), m.end("list")):
                if t.group().casefold() not in self.base.function_words:  # named so: "Ash, Rowan and Bay"
                    yield Candidate(t.start(), t.end(), "NAME", "name_naming_predicate")
        if "(" in text:  # "Mags (Margaret)", "Margaret (Mags)": a name and its other form
            for br in BRACKET.finditer(text):
                nick = NICKNAME.match(text, br.start())
                prev = CAPS_BEFORE.search(text, max(0, br.start() - 30), br.start()) if nick else None
                if nick is None or prev is None:
                    continue
                a, b = prev.group("a"), nick.group("b")
                if any(self._listed_first(x) for x in (a, b)) and all(
                    self._could_be_name(x, words_too=True) for x in (a, b)
                ):
                    yield Candidate(prev.start("a"), prev.end("a"), "NAME", "name_naming_predicate")
                    yield Candidate(nick.start("b"), nick.end("b"), "NAME", "name_naming_predicate")
        if "name" not in text:
            return
        for r in scan(REAL_NAME, text, starts, REAL_NAME_STARTS):  # "Sunny – real name Sunil", "Smudge – real name"
            before = NAME_BEFORE_DASH.search(text, max(0, r.start() - 30), r.start())
            if before and before.group("a").casefold() not in self.base.function_words:
                yield Candidate(before.start("a"), before.end("a"), "NAME", "name_naming_predicate")
        for m in scan(NAMING, text, starts, NAMING_STARTS):
            if m.group("of") is not None:
                what = m.group("what").split()
                if not any(w in self.roles or w in NAMED_PEOPLE or w.rstrip("s") in self.roles for w in what):
                    continue  # "Pearl was the name of the boat"
            elif re.match(rf"{HSP}+for(?![\w])", text[m.end() : m.end() + 5]):
                continue  # "Grief was her name for it"
            for start, end in self._subject(text, m.start(), words_too=True, pair=True):
                yield Candidate(start, end, "NAME", "name_naming_predicate")

    def name_role_predicate(self, text: str) -> Iterator[Candidate]:
        starts = self.base.word_starts(text)
        for m in scan(ROLE_PREDICATE, text, starts, ROLE_STARTS):
            if not self._role_follows(m.group("words"), text, m.end()):
                continue
            for start, end in self._subject(text, m.start(), words_too=True, pair=True):
                yield Candidate(start, end, "NAME", "name_role_predicate")
        for m in scan(AGE_PREDICATE, text, starts, AGE_STARTS):
            for start, end in self._subject(text, m.start(), words_too=False, pair=False):
                yield Candidate(start, end, "NAME", "name_role_predicate")

    def _role_follows(self, phrase: str, text: str, end: int) -> bool:
        """A role among the first words after the article, each word before it no preposition, the role itself not
        a possessive ("the patient's")."""
        words = phrase.split()
        for i, w in enumerate(words):
            key = w.casefold()
            if key in NOT_BETWEEN or key in self.base.function_words:
                return False
            two = f"{key} {words[i + 1].casefold()}" if i + 1 < len(words) else ""
            if two in self.roles:
                return True
            if key in self.roles:
                return not (i == len(words) - 1 and text[end : end + 1] in ("'", "’"))
        return False

    def name_surname_speaks(self, text: str) -> Iterator[Candidate]:
        for m in scan(SPEAKS, text, self.base.word_starts(text), SPEAKING_VERBS | SPEECH_ALONE):
            if text[m.start() - 1 : m.start()] not in (" ", "\u00a0"):
                continue
            tok = None
            for t in NAME_TOKEN.finditer(text, max(0, m.start() - 30), m.start() - 1):
                tok = t
            if tok is None or tok.end() != m.start() - 1:
                continue
            key = tok.group().casefold()
            if key not in self.surnames or key in NOT_SPEAKERS or self._blocked(key) or tok.group().isupper():
                continue
            if key in ABSTRACT or key.endswith(ABSTRACT_END):
                continue
            if key.endswith("s") and key[:-1] in self.english:
                continue  # "Nurses told us": a plural
            if THING_BEFORE.search(text, max(0, tok.start() - 8), tok.start()):
                continue
            yield Candidate(tok.start(), tok.end(), "NAME", "name_surname_speaks")
        for d in scan(DONE_TO, text, self.base.word_starts(text), DONE_TO_VERBS):
            if d.start() > 0 and (text[d.start() - 1].isalnum() or text[d.start() - 1] in "'’"):
                continue
            key = d.group("t").casefold()
            if key not in self.surnames or key in NOT_SPEAKERS or self._blocked(key):
                continue
            if key.endswith("s") and key[:-1] in self.english:
                continue
            yield Candidate(d.start("t"), d.end("t"), "NAME", "name_surname_speaks")
