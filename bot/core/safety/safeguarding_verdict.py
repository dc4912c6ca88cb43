"""What the safeguarding rules say about a message: the kinds of concern, the hits and the verdict.

No rule matching here (``safeguarding_analysis``), only the answer's shape and how the most important hit is chosen;
docs/safeguarding.md, "How the rules are built", says what each field means.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: the rule id a verdict raised by the model (bot.core.safety.safeguarding_model) carries
MODEL_RULE = "model"


class Category(StrEnum):
    SELF_HARM = "self_harm"
    SUICIDAL = "suicidal"
    UNSAFE = "unsafe"  # feeling unsafe: at home, threatened, assaulted
    HARASSMENT = "harassment"  # harassed, bullied, sexually harassed, humiliated by staff
    PATIENT_SAFETY = "patient_safety"  # a patient at risk: harm by staff, error, near miss, neglect
    WARNING_SIGN = "warning_sign"  # indirect signs (hopeless, trapped, a burden...): a gentle check-in, no alert


class Tier(StrEnum):
    """What the bot does about a message that concerns the student themself."""

    ALERT = "alert"  # explicit risk: the support reply now and the facilitator alert
    CHECK_IN = "check_in"  # warning signs only: ask gently whether they are safe; "not safe"/"unsure" alerts
    NONE = "none"


class Subject(StrEnum):
    STUDENT = "student"
    PATIENT = "patient"
    OTHER = "other"


#: Categories that concern a person's own safety (as opposed to patient safety).
PERSONAL_CATEGORIES = frozenset({Category.SUICIDAL, Category.SELF_HARM, Category.UNSAFE, Category.HARASSMENT})
#: A friend's warning signs ("my flatmate isn't eating, says she feels hopeless") get the someone-else reply too.
_SOMEONE_ELSE_CATEGORIES = PERSONAL_CATEGORIES | {Category.WARNING_SIGN}
#: Order of importance when a message has several hits.
SEVERITY = (
    Category.SUICIDAL,
    Category.SELF_HARM,
    Category.UNSAFE,
    Category.HARASSMENT,
    Category.WARNING_SIGN,
    Category.PATIENT_SAFETY,
)


@dataclass(frozen=True)
class Hit:
    """One rule match and everything decided about it."""

    rule: str
    category: Category
    matched: str  # the matched phrase in the normalised text
    start: int
    end: int
    subject: Subject | None  # None: a topic, nobody in particular
    negated: bool = False
    quoted: bool = False
    reported: bool = False  # inside reported/direct speech of someone else
    topic: bool = False  # teaching, a question, a hypothetical, a generic statement
    excluded_by: str | None = None  # id of the hyperbole/accident/idiom exclusion

    @property
    def risk(self) -> bool:
        if self.excluded_by or self.negated or self.topic:
            return False
        if self.category is Category.PATIENT_SAFETY:
            return True
        return self.subject in (Subject.STUDENT, Subject.OTHER)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": str(self.category),
            "subject": str(self.subject) if self.subject else None,
            "matched": self.matched,
            "risk": self.risk,
            "negated": self.negated,
            "quoted": self.quoted,
            "reported": self.reported,
            "topic": self.topic,
            "excluded_by": self.excluded_by,
        }


@dataclass(frozen=True)
class Verdict:
    risk: bool
    category: Category | None
    subject: Subject | None
    rule: str | None
    matched: str | None
    negated: bool = False
    quoted: bool = False
    hits: tuple[Hit, ...] = ()

    @property
    def alerts_facilitator(self) -> bool:
        """The student's own risk: reply with support and tell the facilitator their name."""
        return self.risk and self.subject is Subject.STUDENT and self.category in PERSONAL_CATEGORIES

    @property
    def concerns_someone_else(self) -> bool:
        """A friend/relative/colleague of the student is at risk: support reply, no alert."""
        return self.risk and self.subject is Subject.OTHER and self.category in _SOMEONE_ELSE_CATEGORIES

    @property
    def is_patient_matter(self) -> bool:
        """A patient-safety concern the student should raise through clinical channels."""
        return self.risk and self.category is Category.PATIENT_SAFETY

    @property
    def checks_in(self) -> bool:
        """Warning signs about the student, nothing explicit: ask whether they are safe."""
        return self.risk and self.subject is Subject.STUDENT and self.category is Category.WARNING_SIGN

    @property
    def tier(self) -> Tier:
        if self.alerts_facilitator:
            return Tier.ALERT
        if self.checks_in:
            return Tier.CHECK_IN
        return Tier.NONE

    def summary(self) -> str:
        """One line for `balint safeguarding check`."""
        if self.risk:
            head = "ALERT" if self.alerts_facilitator else "CHECK-IN" if self.checks_in else "RISK"
        else:
            head = "ok"
        if self.rule is None:
            excluded = next((h for h in self.hits if h.excluded_by), None)
            return f"{head}" + (f"  (excluded: {excluded.excluded_by})" if excluded else "")
        flags = [f for f, on in (("negated", self.negated), ("quoted", self.quoted)) if on]
        top = next((h for h in self.hits if h.rule == self.rule and h.matched == self.matched), None)
        if top is not None and top.topic:
            flags.append("topic")
        extra = f" [{', '.join(flags)}]" if flags else ""
        return f'{head}  {self.category}/{self.subject or "-"}  {self.rule}  "{self.matched}"{extra}'

    def as_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk,
            "tier": str(self.tier),
            "alerts_facilitator": self.alerts_facilitator,
            "checks_in": self.checks_in,
            "concerns_someone_else": self.concerns_someone_else,
            "is_patient_matter": self.is_patient_matter,
            "category": str(self.category) if self.category else None,
            "subject": str(self.subject) if self.subject else None,
            "rule": self.rule,
            "matched": self.matched,
            "negated": self.negated,
            "quoted": self.quoted,
            "hits": [h.as_dict() for h in self.hits],
        }


NO_RISK = Verdict(risk=False, category=None, subject=None, rule=None, matched=None)


def _rank(hit: Hit) -> tuple[int, int, int]:
    if hit.risk:
        if hit.category is Category.PATIENT_SAFETY:
            group = 2
        elif hit.subject is Subject.STUDENT:
            group = 0
        else:
            group = 1
        return group, SEVERITY.index(hit.category), hit.start
    return 3, 0, hit.start


def verdict_of(hits: list[Hit]) -> Verdict:
    candidates = [h for h in hits if not h.excluded_by]
    if not candidates:
        return Verdict(False, None, None, None, None, hits=tuple(hits))
    top = min(candidates, key=_rank)
    return Verdict(
        risk=top.risk,
        category=top.category,
        subject=top.subject,
        rule=top.rule,
        matched=top.matched,
        negated=top.negated,
        quoted=top.quoted,
        hits=tuple(hits),
    )
