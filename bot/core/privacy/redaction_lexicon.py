"""De-identification rules for names that lean on word lists: names from the name lists and the English lexicon,
in any case, initials, and the names listed beside them ("Ade, Bisi and Chidi").

Split out of :mod:`bot.core.privacy.redaction_rules` for size (places, addresses, dates and ages, once here too,
are in :mod:`redaction_places`, :mod:`redaction_addresses`, :mod:`redaction_dates` and :mod:`redaction_ages`);
:class:`bot.core.privacy.redaction_rules.RuleSet` runs them (reading its word sets through :class:`RuleHost`).
Pure functions over ``str`` (the folded text): no I/O, no telegram, no storage.

The lexicon test is what lets names generalise beyond any list: a capitalised word in the middle of a
sentence that is neither an English word (SCOWL's lower-case list) nor a known place is, in a student's
reflection, almost always a person ("Okonkwo", "Lindqvist"); a word in the name lists that is not an
English word is a name wherever it stands, in any case ("siobhan", "Brennan").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from bot.core.privacy.redaction_context import PERSON_PAST
from bot.core.privacy.redaction_patterns import (
    ACRONYMS,
    AGENT_VERBS,
    HSP,
    LO,
    LOWER_TOKEN,
    LOWERCASE_STYLE,
    NAME_TOKEN,
    ROLE_NEXT,
    UP,
    Candidate,
    RuleHost,
    _alt,
    is_sentence_initial,
    misspellings,
)

DOTTED_NOT_INITIALS = frozenset({"U.K.", "U.S.", "N.H.S.", "D.O.B.", "A.M.", "P.M.", "E.G.", "I.E.", "A.K.A."})


class LexiconRules:
    """The list-driven name rules, compiled once for a :class:`RuleSet` (whose word sets they share)."""

    def __init__(self, base: RuleHost) -> None:
        cfg = base.cfg
        self.base = base
        self.english = cfg.english_words
        self.places = frozenset(p.casefold() for p in cfg.places)
        self.names = cfg.listed_first_names | cfg.surnames | base.first_names
        self.suffixes = cfg.not_name_suffixes
        self.title_initial_re = re.compile(
            rf"(?<![\w]){_alt(cfg.titles, ignore_case=False)}\.?{HSP}+(?P<i>[{UP}]\.(?:{HSP}?[{UP}]\.)*)"
        )
        self.caps_before_re = re.compile(
            rf"(?<![\w])(?i:patient|pt|client|resident|service{HSP}+user|baby|child|mr|mrs|ms|miss|dr|mx|called|named|"
            rf"call{HSP}+(?:her|him|them)|as|initials|saw|met|seen|see|visited|examined|reviewed|clerked|with)"
            rf"(?:,?{HSP}+|{HSP}*:{HSP}*)['‘\"(]?$"  # "Patient: FA" (round 11)
        )
        self.dotted_re = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,3}(?!\w)")

    def rules(self) -> dict[str, Callable[[str], Iterator[Candidate]]]:
        return {
            "name_initials": self.name_initials,
            "name_lexicon": self.name_lexicon,
            "name_unknown_capitalised": self.name_unknown_capitalised,
            "name_lexicon_lowercase": self.name_lexicon_lowercase,
            "name_lowercase_in_context": self.name_lowercase_in_context,
        }

    def name_initials(self, text: str) -> Iterator[Candidate]:
        if _DOTTED_CAPITAL.search(text):
            for m in self.title_initial_re.finditer(text):
                yield Candidate(m.start("i"), m.end("i"), "NAME", "name_initials")
            for m in self.dotted_re.finditer(text):
                if m.group() not in DOTTED_NOT_INITIALS:
                    yield Candidate(m.start(), m.end(), "NAME", "name_initials")
        for m in _CAPS_WORD.finditer(text):  # "patient JD", "we saw TK", "JB, 45,"
            if m.group() in ACRONYMS and not (  # "pt TB, 59,": an acronym's letters with an age are a person's
                AGE_APPOSED.match(text, m.end()) and self.caps_before_re.search(text, max(0, m.start() - 24), m.start())
            ):
                continue
            if self.caps_before_re.search(text, max(0, m.start() - 24), m.start()) or (
                is_sentence_initial(text, m.start()) and re.match(rf",{HSP}*[0-9]{{1,3}},", text[m.end() : m.end() + 6])
            ):
                yield Candidate(m.start(), m.end(), "NAME", "name_initials")
        for m in _CAPS_SURNAME.finditer(text):  # "Mr OKONKWO", "NWANKWO, Chiamaka": a surname in capitals (round 10)
            word = m.group("w")
            if word in ACRONYMS or self._blocked(word.casefold()):
                continue
            first = m.group("f")
            listed_first = first and first.casefold() in self.names and not self._is_word(first)
            listed = word.casefold() in self.names and not self._is_word(word)  # not "URGENT, Thomas", "AMHP, Jo"
            if (listed_first and listed) or _TITLE_BEFORE_CAPS.search(text, max(0, m.start() - 8), m.start()):
                yield Candidate(m.start("w"), m.end("w"), "NAME", "name_initials")

    def _is_word(self, token: str) -> bool:
        key = token.casefold().replace("’", "'")
        if key.endswith("'s"):
            key = key[:-2]
        if key in self.english:
            return True
        # a listed name whose parts are words is still a name ("Ji-hoon", round 10)
        return key not in self.names and all(part in self.english for part in key.split("-"))

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
            end = m.end()
            if listed and key in self.base.cfg.listed_first_names:
                end = self._surname_after(text, end)
            yield Candidate(start, end, "NAME", "name_lexicon" if listed else "name_unknown_capitalised")

    def _surname_after(self, text: str, end: int) -> int:
        """A listed first name takes the surname after it even where that is also a word ("Jignesh Shah",
        "Ji-hoon Park"), unless the pair names a place ("Kwame Nkrumah Ward") (round 10)."""
        nxt = FOLLOWING_TOKEN.match(text, end)
        if nxt is None:
            return end
        key = nxt.group(1).casefold().replace("’", "'")
        if key not in self.base.cfg.surnames or self._blocked(key) or key in self.base.inst_after:
            return end
        if self.base._institutional(text, nxt.start(1), nxt.end(1)):
            return end
        return nxt.end(1)

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
        if verb is None or verb in self.base.person_verbs or verb in AGENT_VERBS or verb in PERSON_PAST:
            return True  # "Jayshree made everyone laugh" (round 11)
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
        # "Mrs tendai", "Dr otieno" (round 8); and in text all in lower case, "dr okonjo" (round 10)
        for m in LOWER_TITLE_UNLISTED.finditer(text):
            tok = m.group("n")
            if self._blocked(tok) or self._is_word(tok) or tok.endswith(self.suffixes) or self._near_word(tok):
                continue
            yield Candidate(m.start("n"), m.end("n"), "NAME", "name_lowercase_in_context")
        for m in LOWER_TOKEN.finditer(text):
            tok = m.group()
            if len(tok) < 4 or self._blocked(tok) or tok.endswith(self.suffixes):
                continue
            if self._verb_form(tok):
                continue  # "rigoring", "sundowning": a ward verb a dictionary lacks, no name (round 9)
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
                strong = STRONG_LOWER_BEFORE.search(text, max(0, m.start() - 20), m.start()) or (
                    len(tok) >= 5  # "Sat with tshepiso", "Spoke to nimali's mum" (round 11)
                    and not tok.endswith(CLINICAL_END)
                    and (MIXED_LOWER_BEFORE.search(text, max(0, m.start() - 24), m.start())
                         or KIN_AFTER.match(text, m.end()))
                )
                if strong and not CONTRACTION_NEXT.match(text, m.end()) and not self._near_word(tok):
                    yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")
                continue
            if before or LOWER_AFTER.match(text, m.end()) or self._role_follows(text, m.end()):
                yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")
            elif (  # "it was ebele who helped" (round 10); not "the hcas who", nor a slip from a word
                WHO_AFTER.match(text, m.end())
                and not self._near_word(tok)
                and not (tok.endswith("s") and tok[:-1] in self.english)
            ):
                yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")
            elif (
                not CONTRACTION_NEXT.match(text, m.end())  # "doesn't", "won't": a contraction, not a name
                and not self._near_word(tok)
                and (self._lower_subject(text, m.start(), m.end()) or self._lower_role_before(text, m.start()))
            ):
                yield Candidate(m.start(), m.end(), "NAME", "name_lowercase_in_context")

    def _verb_form(self, tok: str) -> bool:
        """An "-ing" form of an English word ("rigoring", "sundowning", "desaturating"), which is no one's name;
        "xiaoling" and "zhiming" stand on no English stem (round 9)."""
        if len(tok) < 7 or not tok.endswith("ing"):
            return False
        stem = tok[:-3]
        stems = (stem, stem + "e", stem + "s", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else "")
        return any(s in self.english for s in stems if len(s) >= 4)

    def _lower_subject(self, text: str, start: int, end: int) -> bool:
        """ "tendai was upset", "otieno's mum rang", "wambui can't walk far": a sentence opened by the word, then
        what a person does (round 8)."""
        if (
            not is_sentence_initial(text, start)
            and not CHAT_OPENER.search(text, max(0, start - 16), start)
            and not CLAUSE_OPENER.search(text, max(0, start - 20), start)
        ):  # "omg kalaiselvi just told me off", "i think tamuka is upset": a clause still opens there (round 11)
            return False
        if re.match(r"['’]s[ \u00a0]+[a-z]", text[end : end + 4]) or self._person_acts(text, end):
            return True
        nxt = re.match(r"[ \u00a0]+([a-z'’]+)", text[end : end + 30])
        if nxt is None:
            return False
        verb = nxt.group(1)  # "mthunzi signed the form", "ebele made us tea" (round 11); not "sooo tired"
        if ELONGATED.search(text, start, end):
            return False
        return (verb in self.base.person_verbs or verb in AGENT_VERBS or verb in PERSON_PAST
                or (len(verb) > 4 and verb.endswith("ed") and verb in self.english))

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


ELONGATED = re.compile(r"([a-z])\1\1")  # "sooo", "yesss": a word drawn out in chat, no name
LOWER_APOSTROPHE_NAME = re.compile(rf"(?<![\w'’])[od]['’][{LO}]{{3,}}(?:-[{LO}]+)?(?![\w'’])")
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
    rf"(?P<n>(?:[od]['’])?[{LO}]{{3,}}(?:-[{LO}]{{2,}})?)(?![\w'’-])"  # accents too: "dr wiśniewska" (round 10)
)
STRONG_LOWER_BEFORE = re.compile(
    r"(?<![\w])(?:asked|told|thanked|texted|messaged|met|hugged|[Mm]e and|and me|spoke to|spoke with|talked to|"
    r"chatted with|rang|phoned|ask|tell|thank|text|message|remind|swap with|cover for)[ \u00a0]+$"  # "ask suhail if"
)
# what opens a clause in text typed in lower case ("i think tamuka is upset", "cos rudo was late"); round 11
CLAUSE_OPENER = re.compile(
    r"(?<![\w'’])(?:i[ \u00a0]+(?:think|thought|reckon|guess|heard|know|knew|hope|feel[ \u00a0]+like)"
    r"(?:[ \u00a0]+that)?|because|cos|coz|but|so|when|if|apparently|maybe|probably)[ \u00a0]+$"
)
# chat words that may come before the word opening a sentence ("omg", "ngl", "tbh"); round 11
CHAT_OPENER = re.compile(
    r"(?:^|[.!?\n][ \u00a0]*)(?:omg|lol|ngl|tbh|btw|fyi|ok|okay|so|also|honestly|apparently|update|ugh|wow|yeah|yh|"
    r"oh|um|erm|hmm|well|anyway|literally|basically|guys|update:)[,:!]?[ \u00a0]+$"
)
# endings of clinical and abstract words a general dictionary lacks ("thrombolysis", "papilloedema", "disinhibition")
CLINICAL_END = (
    "sis", "tion", "ema", "oma", "algia", "plegia", "rrhoea", "uria", "pathy", "ectomy", "ostomy", "otomy", "scopy",
    "itis", "aemia", "emia", "ism", "ics", "ness", "ment", "ity", "ology", "gram", "graphy", "plasty",
)
# in text with capitals, what before a lower-case word in no dictionary shows a person (round 11); not "saw" or
# "then", which meet clinical signs and drugs a dictionary lacks ("saw asterixis", "then labetalol")
MIXED_LOWER_BEFORE = re.compile(
    r"(?<![\w])(?:visited|visiting|[Tt]hanks to|teaching with|session with|[Ss]at with|shadowed|shadowing|"
    r"[Ww]ent to see|[Cc]ame to see|checked on)[ \u00a0]+$"
)
KIN_AFTER = re.compile(
    r"['’]s[ \u00a0]+(?:mum|dad|mother|father|husband|wife|son|daughter|family|partner|brother|sister|nan|gran|"
    r"carer|baby|kids|children|grandson|granddaughter|girlfriend|boyfriend)\b"
)
CONTRACTION_NEXT = re.compile(r"['’](?:t|ll|ve|re|d|m)(?![\w])")
ROLE_BEFORE_LOWER = re.compile(r"(?<![\w'’-])(?:the|my|our|his|her|their)[ \u00a0]+([a-z0-9]+)[ \u00a0]+$")
AGE_APPOSED = re.compile(
    r"(?:[ \u00a0]*,[ \u00a0]*[0-9]{1,3}(?:[ \u00a0]*(?:[MFmf]|y/?o|yrs?))?[ \u00a0]*[,;)]"
    r"|[ \u00a0]+\([ \u00a0]*[0-9]{1,3}(?:[ \u00a0]*(?:[MFmf]|y/?o|yrs?))?[ \u00a0]*\))"
)
FOLLOWING_TOKEN = re.compile(rf"[ \u00a0]([{UP}][{LO}]+)(?![\w'’-])")
PRECEDING_TOKEN = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ \u00a0]$")
LOWER_BEFORE = re.compile(
    r"(?<![\w])(?:saw|met|told|asked|with|me and|and me|thanked|texted|messaged|called|named|helped|"
    r"shadowed|shadowing|hugged|and|spoke to|spoke with|talked to|talked with|chatted to|chatted with|rang|phoned|"
    r"ask|tell|thank|text|message|remind|cover for|seen|hey|hi|thanks|cheers)[ \u00a0]+$"
)
CONDITION_HOST = re.compile(
    r"(?i:old|yo|y/o|[0-9]+[mf]?|patient|pt|man|woman|lady|gent|gentleman|boy|girl|baby|child|kid|infant|teen|"
    r"toddler|admitted|presented|presenting|presents|diagnosed|dx|came in|brought in|known|lives|living|"
    r"someone|people|person|adult|adults|children|patients|ward|bay|bed)[ \u00a0]*$"
)
LOWER_AFTER = re.compile(r"[ \u00a0]+(?:said|says|told|asked|explained|replied|texted|messaged|and i|and me)\b")
WHO_AFTER = re.compile(r"[ \u00a0]+who\b")
PLACE_BEFORE = re.compile(
    r"(?<![\w])(?:in|near|outside|around|towards|across|nr"
    r"|(?:drove|drive|driving|driven|travelled|traveled|commuted|commute|flew|relocated)"
    r"(?:[ \u00a0]+(?:out|up|down|over))?[ \u00a0]+to)[ \u00a0]+$"
)
_DOTTED_CAPITAL = re.compile(r"[A-Z]\.")
_CAPS_SURNAME = re.compile(
    r"(?<![\w&'’-])(?P<w>(?:[OD]['’])?[A-Z]{4,}(?:[-'’][A-Z]{2,})*)(?![\w&'’-])(?:,[ \u00a0]+(?P<f>[A-Z][a-z]+))?"
)
_TITLE_BEFORE_CAPS = re.compile(r"(?<![\w])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ \u00a0]+$")
_CAPS_WORD = re.compile(r"(?<![\w&'’-])[A-Z]{2,3}(?![\w&'’-])")
