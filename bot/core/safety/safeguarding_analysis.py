"""A message read with the safeguarding rules: its hits, each examined (exclusions, negation, topic, subject), the
verdict, and the model's second opinion.

The steps, in order, are described in docs/safeguarding.md, "How the rules are built".
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from bot.core.safety.safeguarding_compile import (
    DEFAULT_MODEL_PATH,
    DEFAULT_RULES_PATH,
    Bounded,
    CompiledRules,
    Exclusion,
    Rule,
)
from bot.core.safety.safeguarding_people import MessageText, done_to_student
from bot.core.safety.safeguarding_verdict import MODEL_RULE, NO_RISK, Category, Hit, Subject, Verdict, verdict_of

if TYPE_CHECKING:  # the model brings numpy and onnxruntime: imported in from_toml, not by every command
    from bot.core.safety.safeguarding_model import Model


class _Token(NamedTuple):  # a tuple: a 4 KB message has about 800 of them
    text: str
    start: int
    end: int
    word: bool


_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*|\S")
_NON_BARRIER_PUNCT = frozenset("-/*#@&+'’")

_NEGATED_LIST = re.compile(
    r"(?:\bnot|\bnever|n['’]t(?:\s+been|\s+feeling|\s+felt)?|\bneither)\s+[a-z'’-]+(?:\s*,\s*[a-z'’-]+){0,3}\s*,?\s+(?:or|nor)\s+$"
)
_NOBODY = re.compile(
    r"(?:^|[,(]\s*|\b(?:and|so|honestly|thankfully|luckily)\s+)(?:nobody|no\s?-?one|noone|none\s+of\s+(?:them|us|the\s+\w+|my\s+\w+)"
    r"|not\s+(?:one|a\s+single)\s+(?:person|one|of\s+them)|no\s+(?:consultant|doctor|registrar|reg|nurse|staff|member\s+of"
    r"\s+staff|colleague|tutor|supervisor|senior|patient)s?)(?:['’]s)?\b"
)
_ASKED_IF = re.compile(r"\b(?:asked|asking|asks|wondered|checking|checked)\b[^.!?]{0,50}\b(?:if|whether)\b")
_ANSWERED_NO = re.compile(
    r"[^.!?]{0,60}[.!?,;]?\s*(?:and\s+|but\s+)?(?:i\s+(?:said|told\s+(?:him|her|them))\s+(?:no|that\s+i\s+(?:haven't|hadn't|don't|didn't|wasn't))\b"
    r"|no\s*[,.]\s*i\s+(?:haven't|don't|do\s+not|am\s+not|i'm\s+not)\b|i\s+(?:do|have|had|did|am|was)\s+not\b[^.!?]{0,20}(?:[.!?]|$)"
    r"|i\s+(?:don't|haven't|hadn't|didn't|wasn't)\b[^.!?]{0,5}(?:[.!?;,]|$))"
)
_ANSWERED_YES = re.compile(
    r"[^.!?]{0,60}[.!?,;]?\s*(?:and\s+|but\s+)?(?:honestly\s+|truthfully\s+)?(?:i\s+(?:said|told\s+(?:him|her|them))\s+"
    r"(?:yes|yeah|that\s+i\s+(?:have|had|do|did|was|am))\b|i\s+(?:do|have|am|was|did)\s*(?:[.!?,;]|$))"
)
_SOMEONE_ELSE_ACTS = re.compile(r"\b(?:he|she|they|i|we|who|that|which|if|after|him|her|them)\b")


class _Message(MessageText):
    """Per-message analysis state."""

    def __init__(self, rules: CompiledRules, text: str, present: set[str] | None = None) -> None:
        super().__init__(rules, text)
        self.present = present  # the literals of the rules that occur in the text (None: not worked out)
        self._literal_sentences: dict[str, set[int]] = {}
        self._neg_by_sentence: dict[tuple[int, int], set[int]] = {}
        self._exclusions_by_sentence: dict[tuple[int, int], list[tuple[Exclusion, int, int]]] = {}
        self._longest_span = 0  # the longest hit's length, set by hits()

    # The tokens, like the quotes and people, are worked out only when a pattern matched.

    @functools.cached_property
    def tokens(self) -> list[_Token]:
        tokens = []
        for m in _TOKEN_RE.finditer(self.text):
            tok = m.group(0)
            tokens.append(_Token(tok, m.start(), m.end(), tok[0].isalnum()))
        return tokens

    @functools.cached_property
    def token_starts(self) -> list[int]:
        return [t.start for t in self.tokens]

    def neg(self, pos: int) -> set[int]:
        """Indexes of the negator tokens in the sentence around ``pos`` (worked out once per sentence)."""
        span = self._sentence_of(pos)
        marked = self._neg_by_sentence.get(span)
        if marked is None:
            marked = self._mark(self.r._negators, span) - self._mark(self.r._neg_exceptions, span)
            self._neg_by_sentence[span] = marked
        return marked

    def _mark(self, patterns: Sequence[Bounded], span: tuple[int, int]) -> set[int]:
        """Indexes of tokens covered by any match of any of the patterns inside ``span``."""
        marked: set[int] = set()
        for pattern in patterns:
            for m in pattern.finditer(self.text, *span):
                i = bisect.bisect_left(self.token_starts, m.start())
                while i < len(self.tokens) and self.tokens[i].end <= m.end():
                    marked.add(i)
                    i += 1
        return marked

    def _is_barrier(self, tok: _Token) -> bool:
        return not tok.word and tok.text not in _NON_BARRIER_PUNCT

    def _first_token_at(self, pos: int) -> int:
        return bisect.bisect_left(self.token_starts, pos)

    def _clause_start(self, pos: int, sent_start: int) -> int:
        j = self._first_token_at(pos) - 1
        while j >= 0 and self.tokens[j].start >= sent_start:
            tok = self.tokens[j]
            if self._is_barrier(tok) or tok.text in self.r._conjunctions:
                return tok.end
            j -= 1
        return sent_start

    def _clause_end(self, pos: int, sent_end: int) -> int:
        j = self._first_token_at(pos)
        while j < len(self.tokens) and self.tokens[j].start < sent_end:
            tok = self.tokens[j]
            if self._is_barrier(tok) or tok.text in self.r._conjunctions:
                return tok.start
            j += 1
        return sent_end

    # -- the pipeline -----------------------------------------------------------------------

    def hits(self, live: Sequence[tuple[Rule, Sequence[Bounded]]]) -> list[Hit]:
        """The matches of the rules and patterns worth trying (``live``), examined."""
        found: list[tuple[int, int, int, int]] = []  # (sentence, rule, start, end)
        for r, (rule, patterns) in enumerate(live):
            for pattern in patterns:
                for k in self._sentences_needing(pattern):
                    s0, s1 = self.sentences[k]
                    sentence = self.text[s0:s1]
                    for m in pattern.finditer(sentence):
                        if m.end() == m.start():
                            continue
                        if rule.not_followed_by is not None and rule.not_followed_by.match(sentence[m.end() :]):
                            continue
                        found.append((k, r, s0 + m.start(), s0 + m.end()))
        # one hit per overlapping group within a rule and sentence: keep the earliest, longest
        found.sort(key=lambda f: (f[0], f[1], f[2], -f[3]))
        raw: list[tuple[Rule, int, int]] = []
        last: tuple[int, int, int] = (-1, -1, -1)  # sentence, rule, end of the last hit kept
        for k, r, s, e in found:
            if (k, r) != last[:2] or s >= last[2]:
                raw.append((live[r][0], s, e))
                last = (k, r, e)
        spans = sorted((s, e) for _, s, e in raw)
        self._longest_span = max((e - s for s, e in spans), default=0)
        return [self._examine(rule, s, e, spans) for rule, s, e in raw]

    def _sentences_needing(self, pattern: Bounded) -> list[int]:
        """Indexes of the sentences that hold one of the strings the pattern needs (all, if it needs none)."""
        need = self.r._needs.get(pattern)
        if need is None or len(self.sentences) == 1:
            return list(range(len(self.sentences)))
        found: set[int] = set()
        for lit in need:
            found |= self._sentences_with(lit)
        return sorted(found)

    def _sentences_with(self, lit: str) -> set[int]:
        cached = self._literal_sentences.get(lit)
        if cached is None:
            cached = set()
            if self.present is not None and lit not in self.present:
                self._literal_sentences[lit] = cached
                return cached
            at = self.text.find(lit)
            while at != -1:
                k = bisect.bisect_right(self.sentence_starts, at) - 1
                if k >= 0 and at + len(lit) <= self.sentences[k][1]:
                    cached.add(k)
                at = self.text.find(lit, at + 1)
            self._literal_sentences[lit] = cached
        return cached

    def _examine(self, rule: Rule, s: int, e: int, spans: list[tuple[int, int]]) -> Hit:
        excluded = self._excluded(rule, s, e)
        negated = self._negated(s, e, spans) or self._negated_further(rule, s, e)
        # "the consultant asked if I was on my period", "shared my video from the sim session to mock me": what was
        # done or said to the student is no topic of teaching, whatever words surround it
        topic = False if done_to_student(rule) else self._topic(s, e)
        if topic and _ANSWERED_YES.match(self.text, e, e + 120) and _ASKED_IF.search(self.text, max(0, s - 80), s):
            topic = False  # "my tutor asked if I'd been self-harming and I said yes": a question, answered
        subject, quoted, reported, subj_topic = self._subject(rule, s, e)
        return Hit(
            rule=rule.id,
            category=rule.category,
            matched=self.text[s:e],
            start=s,
            end=e,
            subject=subject,
            negated=negated,
            quoted=quoted,
            reported=reported,
            topic=topic or subj_topic,
            excluded_by=excluded,
        )

    def exclusion_spans(self, pos: int) -> list[tuple[Exclusion, int, int]]:
        """The exclusion matches in the sentence around ``pos`` (worked out once per sentence)."""
        span = self._sentence_of(pos)
        found = self._exclusions_by_sentence.get(span)
        if found is None:
            found = [
                (exc, m.start(), m.end())
                for exc in self.r.exclusions
                for p in exc.patterns
                for m in p.finditer(self.text, *span)
            ]
            self._exclusions_by_sentence[span] = found
        return found

    def _excluded(self, rule: Rule, s: int, e: int) -> str | None:
        for exc, a, b in self.exclusion_spans(s):
            if exc.applies_to and rule.id not in exc.applies_to and str(rule.category) not in exc.applies_to:
                continue
            if a < e and s < b:
                return exc.id
        return None

    def _negated(self, s: int, e: int, spans: list[tuple[int, int]]) -> bool:
        idx = self._first_token_at(s)
        fillers = 0
        negated = False
        j = idx - 1
        while j >= 0:
            tok = self.tokens[j]
            if self._is_barrier(tok):
                break
            if not tok.word:
                j -= 1
                continue
            if j in self.neg(s):
                negated = True
                break
            if self._inside_other_hit(tok, (s, e), spans):
                j -= 1
                continue
            if tok.text in self.r._fillers:
                fillers += 1
                if fillers > self.r.window:
                    break
                j -= 1
                continue
            break
        if negated and self.r._canceller_re is not None:
            sent_end = self._sentence_of(s)[1]
            tail = self.text[e:sent_end]
            stop = re.search(r"[,;:()\"]", tail)
            if self.r._canceller_re.search(tail[: stop.start()] if stop else tail):
                negated = False
        return negated

    def _negated_further(self, rule: Rule, s: int, e: int) -> bool:
        """Two negations that reach further than the word before the match (round six, issue 10):

        * a list after a negator: "I'm not depressed or suicidal", "never anxious, low or hopeless";
        * nobody did it to the student: "nobody at placement has ever touched me inappropriately", "no one's
          harassed me", "none of the team shared my reflection" (harassment done to the student only; "nobody
          would miss me" is risk, and no self-risk rule is negated this way);
        * someone asked and the student said no: "my supervisor asked whether I'd been feeling hopeless and I said
          no", "asked if I restrict my eating. I do not".
        """
        start = self._sentence_of(s)[0]
        before = self.text[max(start, s - 80) : s]
        if _NEGATED_LIST.search(before):
            return True
        if _ASKED_IF.search(before) and _ANSWERED_NO.match(self.text, e, e + 120):
            return True  # "she asked if I'd ever had suicidal thoughts and I said no"
        if not done_to_student(rule):
            return False
        clause = re.split(r"[;:!?]|\b(?:but|because|although|though|until|when|whereas|except)\b", before)[-1]
        m = _NOBODY.search(clause)
        return m is not None and not _SOMEONE_ELSE_ACTS.search(clause[m.end() :])

    def _inside_other_hit(self, tok: _Token, own: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
        """Whether the token lies inside another hit's span. ``spans`` is sorted: only the hits starting at most
        the longest hit's length before the token can hold it, so a long message's hits are not all scanned for
        each hit (a 4 KB message of risk sentences has ~100 hits)."""
        lo = bisect.bisect_left(spans, (tok.start - self._longest_span, -1))
        hi = bisect.bisect_right(spans, (tok.start, len(self.text) + 1))
        return any(tok.end <= b and (a, b) != own for a, b in spans[lo:hi])

    def _topic(self, s: int, e: int) -> bool:
        r = self.r
        # activity words just before: "asked about", "teaching on", "simulation on managing"
        j = self._first_token_at(s) - 1
        steps = 0
        while j >= 0 and steps <= 5:
            tok = self.tokens[j]
            if self._is_barrier(tok):
                break
            if tok.text in r._activity:
                return True
            if tok.text not in r._activity_fillers:
                break
            steps += 1
            j -= 1
        # topic nouns just after: "suicide risk", "self-harm presentations"
        if r._topic_after_re is not None and r._topic_after_re.search(self.text[e : e + 40]):
            return True
        # "not eating can be a sign of depression": a teaching marker anywhere in the trigger's clause
        if r._topic_clause_re is not None:
            sent_start, sent_end = self._sentence_of(s)
            clause = self.text[self._clause_start(s, sent_start) : self._clause_end(e, sent_end)]
            if r._topic_clause_re.search(clause):
                return True
        # questions and hypotheticals in the same clause before the trigger
        if r._hypothetical_re is not None:
            sent_start = self._sentence_of(s)[0]
            clause = self.text[self._clause_start(s, sent_start) : s]
            if r._hypothetical_re.search(clause):
                return True
        return False



class SafeguardingRules(CompiledRules):
    """A compiled rule set. Build with :meth:`from_toml`; call :meth:`check`."""

    @classmethod
    def from_toml(cls, path: Path | None = None, *, model_path: Path | None = DEFAULT_MODEL_PATH) -> SafeguardingRules:
        """The rules in ``path`` (default: the installed rules.toml) with the model in ``model_path`` (default: the
        installed one; None: the rules alone)."""
        path = path or DEFAULT_RULES_PATH
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        from bot.core.safety.safeguarding_model import Model

        model = Model.load(model_path) if model_path is not None else None  # a missing model is an error
        return cls(data, source=str(path), model=model)

    def with_model(self, model: Model | None) -> SafeguardingRules:
        """The same rules with another classifier (or none)."""
        other = copy.copy(self)
        other.model = model
        return other

    # ---------------------------------------------------------------------------------------
    # checking
    # ---------------------------------------------------------------------------------------

    def check(self, text: str) -> Verdict:
        norm = self.normalise(text or "")
        if not norm:
            return NO_RISK
        present = self._present(norm)
        live = self._live_patterns(norm, present)
        verdict = verdict_of(_Message(self, norm, present).hits(live)) if live else NO_RISK
        if self.model is None or verdict.alerts_facilitator or verdict.category is Category.PATIENT_SAFETY:
            # the model keeps out of a patient-safety concern, a kind it has no class for ("told to sign the
            # controlled drugs book for something I didn't witness" read to it as the student's own risk, round seven)
            return verdict
        if all(h.risk for h in verdict.hits):
            return self._second_opinion(norm, verdict)
        return self._over_kept_rule(norm, verdict)

    def _over_kept_rule(self, norm: str, verdict: Verdict) -> Verdict:
        """A rule matched and judged its match no risk (negated, quoted, a patient's, a figure of speech, teaching).

        That reading is usually closer than the model's, so the model does not check in here, never overrules an
        exclusion (a literal reading the rules name: an accident, an idiom, traffic), and it alerts only when it is
        very sure (``over_kept_rule_threshold``): the rules' negation and attribution miss some turns
        ("it's getting harder not to act on the thoughts about ending it", "I'd be fine with dying. not killing
        myself, just dying"), and those were a third of the explicit risk the two together missed (round eleven,
        docs/safeguarding.md)."""
        assert self.model is not None
        over = self.model.over_kept_rule_threshold
        if over is None or any(h.excluded_by for h in verdict.hits):
            # an exclusion names the literal reading ("cut myself shaving", "trapped in traffic"): it stands
            return verdict
        s = self.model.scores(norm)
        if s.alerts(max(over, self.model.thresholds(norm)[0])):
            category = Category.HARASSMENT if s.harassment > s.own_risk else Category.SUICIDAL
            return Verdict(True, category, Subject.STUDENT, MODEL_RULE, f"p={s.alerting:.2f}", hits=verdict.hits)
        return verdict

    def _second_opinion(self, norm: str, verdict: Verdict) -> Verdict:
        """The rules did not alert: the model may raise the alert or a check-in.

        It only ever adds: whatever the rules decided stays unless the model asks for more. Thresholds are in
        ``model.json`` and were chosen on development batches the model was not trained on, to keep false
        alarms under 5 % (docs/safeguarding.md, "The model").
        """
        assert self.model is not None
        s = self.model.scores(norm)
        alert_at, check_in_at = self.model.thresholds(norm)
        shown = f"p={s.alerting:.2f}"
        if s.alerts(alert_at):
            # sure of risk, split between explicit and warning signs, and not mostly a warning sign: the alert (round
            # four, issue 10: such messages went unanswered when only the explicit share counted). Mostly a warning
            # sign: the check-in below, as the tiers say.
            category = Category.HARASSMENT if s.harassment > s.own_risk else Category.SUICIDAL
            return Verdict(True, category, Subject.STUDENT, MODEL_RULE, shown, hits=verdict.hits)
        if verdict.risk:
            return verdict  # the rules' check-in, someone-else or patient-safety reply stands
        if s.own_risk >= check_in_at:
            # a peer's disclosure is left to the rules: the model learnt "my friend told me" too well
            shown = f"p={s.own_risk:.2f}"
            return Verdict(True, Category.WARNING_SIGN, Subject.STUDENT, MODEL_RULE, shown, hits=verdict.hits)
        return verdict

