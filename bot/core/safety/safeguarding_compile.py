"""The safeguarding rule file compiled: macros, word families, whole-word patterns and the literal prefilter.

``CompiledRules`` reads ``prompts/safeguarding/rules.toml`` (as a dict) into patterns and word lists; the reading of
a message with them is ``safeguarding_analysis``. docs/safeguarding.md, "How the rules are built", explains the
choices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bot.core.paths import PROMPTS
from bot.core.safety import literals
from bot.core.safety.safeguarding_verdict import Category, Subject
from bot.core.safety.textnorm import fold
from bot.core.safety.word_forms import expand_families

if TYPE_CHECKING:  # the model brings numpy and onnxruntime: imported where the rules are loaded, not by
    # every command that lists alerts or reads a Verdict
    from bot.core.safety.safeguarding_model import Model

PROMPTS_DIR = PROMPTS
SAFEGUARDING_DIR = PROMPTS_DIR / "safeguarding"
DEFAULT_RULES_PATH = SAFEGUARDING_DIR / "rules.toml"
DEFAULT_RESOURCES_PATH = SAFEGUARDING_DIR / "resources.toml"
DEFAULT_REPLY_TEMPLATE = SAFEGUARDING_DIR / "support_reply.md.j2"
DEFAULT_MODEL_PATH = SAFEGUARDING_DIR / "model"


_MACRO_RE = re.compile(r"\{([A-Za-z_]+)\}")

_GRAM = 4  # length of the literal prefixes checked against the message's substrings before a full search


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _starts_word(text: str, i: int) -> bool:
    """No word character just before ``i``; an apostrophe after a letter is inside a word ("i'd"), after a space it
    opens a quotation ("called me 'the ...'")."""
    if i == 0:
        return True
    before = text[i - 1]
    if _is_word_char(before):
        return False
    return not (before in "'’" and i >= 2 and _is_word_char(text[i - 2]))


class Bounded:
    """A pattern that matches whole words only: it starts where a word starts and ends where one ends.

    The start is checked in Python, not with a look-behind in the pattern: a pattern that begins with a look-behind
    loses the regex engine's fast scan for its first characters, which made every rule about 40 times slower on
    long messages. The results are the same: after a match that starts inside a word the search goes on from the
    next character.
    """

    __slots__ = ("body", "flags", "pattern", "regex")

    def __init__(self, body: str) -> None:
        self.body = body
        self.regex = re.compile(rf"(?:{body})(?!\w)")
        self.pattern = self.regex.pattern
        self.flags = self.regex.flags

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        search = self.regex.search
        while pos <= end:
            m = search(text, pos, end)
            if m is None:
                return
            start = m.start()
            if _starts_word(text, start):
                yield m
                pos = m.end() if m.end() > start else start + 1
            else:
                pos = start + 1

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return next(self.finditer(text, pos, endpos), None)

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        out: list[str] = []
        last = 0
        for m in self.finditer(text):
            out += [text[last : m.start()], repl(m)]
            last = m.end()
        return "".join(out) + text[last:] if out else text


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category
    subject: Literal["student", "context", "patient"]
    default_subject: Subject | None  # None = topic
    subject_ref: Literal["auto", "before"]
    patterns: tuple[Bounded, ...]
    description: str
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    not_followed_by: re.Pattern[str] | None = None  # "suicidal patients": an adjective, not a state


@dataclass(frozen=True)
class Exclusion:
    id: str
    kind: str
    patterns: tuple[Bounded, ...]
    applies_to: frozenset[str]  # rule ids or category names; empty = all
    examples: tuple[str, ...]


_QUOTE_CHARS = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'}
)


def _compile(pattern: str, macros: dict[str, str], where: str) -> Bounded:
    def expand(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in macros:
            raise ValueError(f"{where}: unknown macro {{{name}}}")
        return macros[name]

    expanded = expand_families(_MACRO_RE.sub(expand, pattern))
    left = re.search(r"\{=?[A-Za-z_][^}]*\}", expanded)
    if left:
        what = f"{left.group(0)!r} is neither a macro nor a word family ({{=word|word}})"
        raise ValueError(f"{where}: {what} in {pattern!r}")
    try:
        return Bounded(expanded)
    except re.error as exc:
        raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _word_alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_MY_SELF_RE = re.compile(r"\bmy self\b(?![-\w])")


class CompiledRules:
    """The rule file compiled: patterns, word lists and the prefilter (``SafeguardingRules`` adds the check)."""

    def __init__(self, data: dict[str, Any], *, source: str = "<dict>", model: Model | None = None) -> None:
        self.source = source
        self.model = model  # the second opinion (bot.core.safety.safeguarding_model), asked unless the rules alerted
        macros: dict[str, str] = {}
        for name, value in (data.get("macros") or {}).items():
            # macros may use earlier macros
            macros[name] = expand_families(_MACRO_RE.sub(lambda m: macros.get(m.group(1), m.group(0)), str(value)))
        self._macros = macros

        norm = data.get("normalise") or {}
        pairs = [(str(a).lower(), str(b)) for a, b in norm.get("contractions", [])]
        self._contractions = dict(pairs)
        self._contraction_re = Bounded(_word_alternation(self._contractions)) if self._contractions else None

        neg = data.get("negation") or {}
        self._negators = self._patterns(neg.get("negators", []), macros, "negation.negators")
        self._neg_exceptions = self._patterns(neg.get("exceptions", []), macros, "negation.exceptions")
        self._fillers = frozenset(str(w) for w in neg.get("fillers", []))
        self._canceller_re = self._alternation(neg.get("cancellers", []), macros, "negation.cancellers")
        self.window = int(neg.get("window", 6))

        ctx = data.get("context") or {}
        self._conjunctions = frozenset(str(w) for w in ctx.get("conjunctions", []))
        self._hypothetical_re = self._alternation(ctx.get("hypothetical", []), macros, "context.hypothetical")
        self._topic_clause_re = self._alternation(ctx.get("topic_clause", []), macros, "context.topic_clause")
        self._activity = frozenset(str(w) for w in ctx.get("activity", []))
        self._activity_fillers = frozenset(str(w) for w in ctx.get("activity_fillers", []))
        topic_after = [str(w) for w in ctx.get("topic_after", [])]
        self._topic_after_re = (
            re.compile(r"^\s*(?:" + _word_alternation(topic_after) + r")(?!\w)") if topic_after else None
        )
        speech = [str(w) for w in ctx.get("speech_verbs", [])]
        self._speech_re = Bounded(_word_alternation(speech)) if speech else None
        self._own_quote_intro = re.compile(str(ctx["own_quote_intro"])) if ctx.get("own_quote_intro") else None
        self._own_quote_outro = re.compile(str(ctx["own_quote_outro"])) if ctx.get("own_quote_outro") else None

        people = data.get("people") or {}
        pronoun_kinds: dict[str, str] = {}
        for kind, key in (
            ("first", "first_person"),
            ("third", "third_person"),
            ("generic", "second_person"),
            ("indefinite", "indefinite"),
        ):
            for w in people.get(key, []):
                pronoun_kinds[str(w)] = kind
        self._pronoun_kinds = pronoun_kinds
        self._pronoun_re = Bounded(_word_alternation(pronoun_kinds)) if pronoun_kinds else None
        self._np_res: list[tuple[str, Bounded]] = []
        for kind in ("peer", "staff", "patient"):
            for i, p in enumerate(people.get(kind, [])):
                self._np_res.append((kind, _compile(str(p), macros, f"people.{kind}[{i}]")))

        rules: list[Rule] = []
        seen: set[str] = set()
        for i, raw in enumerate(data.get("rule", [])):
            rid = str(raw.get("id") or f"rule[{i}]")
            if rid in seen:
                raise ValueError(f"duplicate rule id {rid!r}")
            seen.add(rid)
            try:
                category = Category(raw["category"])
            except (KeyError, ValueError) as exc:
                raise ValueError(f"rule {rid}: category must be one of {[c.value for c in Category]}") from exc
            subject = str(raw.get("subject", "context"))
            if subject not in ("student", "context", "patient"):
                raise ValueError(f"rule {rid}: subject must be student, context or patient")
            default = str(raw.get("default_subject", "student"))
            if default not in ("student", "topic"):
                raise ValueError(f"rule {rid}: default_subject must be student or topic")
            subject_ref = str(raw.get("subject_ref", "auto"))
            if subject_ref not in ("auto", "before"):
                raise ValueError(f"rule {rid}: subject_ref must be auto or before")
            patterns = tuple(
                _compile(str(p), macros, f"rule {rid} pattern {j}") for j, p in enumerate(raw.get("patterns", []))
            )
            if not patterns:
                raise ValueError(f"rule {rid}: no patterns")
            nfb = [str(x) for x in raw.get("not_followed_by", [])]
            try:
                not_followed_by = re.compile(r"^\s*(?:" + "|".join(nfb) + r")(?!\w)") if nfb else None
            except re.error as exc:
                raise ValueError(f"rule {rid}: bad not_followed_by: {exc}") from exc
            rules.append(
                Rule(
                    id=rid,
                    category=category,
                    subject=subject,  # type: ignore[arg-type]
                    default_subject=Subject.STUDENT if default == "student" else None,
                    subject_ref=subject_ref,  # type: ignore[arg-type]
                    patterns=patterns,
                    description=str(raw.get("description", "")),
                    examples=tuple(str(x) for x in raw.get("examples", [])),
                    counter_examples=tuple(str(x) for x in raw.get("counter_examples", [])),
                    not_followed_by=not_followed_by,
                )
            )
        self.rules: tuple[Rule, ...] = tuple(rules)
        # Most messages match no pattern at all. Each pattern needs one of a few plain strings ("want", "overdose"),
        # so a message without any of them skips that pattern, and one that needs no pattern skips the analysis.
        self._by_literal: dict[str, set[tuple[int, int]]] = {}  # string -> (rule, pattern) positions needing it
        self._unfiltered: set[tuple[int, int]] = set()  # patterns with nothing to require: always tried
        self._needs: dict[Bounded, frozenset[str] | None] = {}  # pattern -> the strings it needs
        for r, rule in enumerate(self.rules):
            for i, pattern in enumerate(rule.patterns):
                need = literals.required(pattern)
                self._needs[pattern] = need
                for lit in need or ():
                    self._by_literal.setdefault(lit, set()).add((r, i))
                if need is None:
                    self._unfiltered.add((r, i))
        # A literal is looked for in the message only when its first, middle and last _GRAM characters occur in it:
        # one set of the message's substrings of that length replaces ~1,200 scans of the whole text.
        self._literal_grams: tuple[tuple[str, str, str, str], ...] = tuple(
            (lit[:_GRAM], lit[len(lit) // 2 - 2 : len(lit) // 2 + 2], lit[-_GRAM:], lit) for lit in self._by_literal
        )

        exclusions: list[Exclusion] = []
        for i, raw in enumerate(data.get("exclusion", [])):
            eid = str(raw.get("id") or f"exclusion[{i}]")
            exclusions.append(
                Exclusion(
                    id=eid,
                    kind=str(raw.get("kind", "exclusion")),
                    patterns=tuple(
                        _compile(str(p), macros, f"exclusion {eid} pattern {j}")
                        for j, p in enumerate(raw.get("patterns", []))
                    ),
                    applies_to=frozenset(str(x) for x in raw.get("applies_to", [])),
                    examples=tuple(str(x) for x in raw.get("examples", [])),
                )
            )
        self.exclusions: tuple[Exclusion, ...] = tuple(exclusions)

    @staticmethod
    def _patterns(items: Sequence[Any], macros: dict[str, str], where: str) -> tuple[Bounded, ...]:
        return tuple(_compile(str(item), macros, f"{where}[{i}]") for i, item in enumerate(items))

    @staticmethod
    def _alternation(items: Sequence[Any], macros: dict[str, str], where: str) -> Bounded | None:
        if not items:
            return None
        parts = []
        for i, item in enumerate(items):
            parts.append(f"(?:{_compile(str(item), macros, f'{where}[{i}]').body})")
        return Bounded("|".join(parts))


    # ---------------------------------------------------------------------------------------
    # text handling
    # ---------------------------------------------------------------------------------------

    def normalise(self, text: str) -> str:
        # invisible characters and look-alike letters first (bot.core.safety.textnorm), then case and quotes
        text = unicodedata.normalize("NFKC", fold(text).text).translate(_QUOTE_CHARS).lower()
        text = text.replace("&", " and ")
        text = re.sub(r"[^\S\n]+", " ", text)
        text = re.sub(r" *\n *", "\n", text).strip()
        text = _MY_SELF_RE.sub("myself", text)  # "hurting my self", but not "my self-harm"
        if self._contraction_re is not None:
            # two passes so "i am not" -> "i'm not" and "do not" chains settle
            for _ in range(2):
                text = self._contraction_re.sub(lambda m: self._contractions[m.group(0)], text)
        return text


    def _present(self, text: str) -> set[str]:
        """The literals of the rules that occur in ``text``."""
        grams = {text[i : i + _GRAM] for i in range(len(text) - _GRAM + 1)}
        return {
            lit
            for head, mid, tail, lit in self._literal_grams
            if (len(lit) < _GRAM or (head in grams and mid in grams and tail in grams)) and lit in text
        }

    def _live_patterns(self, text: str, present: set[str] | None = None) -> list[tuple[Rule, tuple[Bounded, ...]]]:
        """Each rule with those of its patterns that could match ``text``, in file order (rules with none left out).
        ``present``: the literals that occur in ``text``, if already known."""
        if present is None:
            present = self._present(text)
        live = set(self._unfiltered)
        for lit in present:
            live.update(self._by_literal[lit])
        by_rule: dict[int, list[Bounded]] = {}
        for r, i in sorted(live):
            by_rule.setdefault(r, []).append(self.rules[r].patterns[i])
        return [(self.rules[r], tuple(patterns)) for r, patterns in by_rule.items()]

    def examples(self) -> list[tuple[str, str, bool]]:
        """(rule or exclusion id, example text, must_trigger) for every example in the rule file."""
        out: list[tuple[str, str, bool]] = []
        for rule in self.rules:
            out += [(rule.id, x, True) for x in rule.examples]
            out += [(rule.id, x, False) for x in rule.counter_examples]
        for exc in self.exclusions:
            out += [(exc.id, x, False) for x in exc.examples]
        return out

