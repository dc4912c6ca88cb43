"""A small second opinion beside the safeguarding rules: a linear classifier over words and word pairs.

Trained with scikit-learn by ``benchmarks/safeguarding_classifier.py`` on the development messages; its
weights are data (``prompts/safeguarding/classifier.json``) and inference is plain Python: a sum of weights
and a softmax, no numpy or scikit-learn at run time, nothing downloaded.

How it combines with the rules (``SafeguardingRules.check``): it is asked only when the rules found nothing
at all in a message (no hit of any kind, so it never overrides a negation, a patient's story or a topic the
rules recognised), and it can only *raise* a gentle check-in (tier ``check_in``) when it is confident the
message is the student's own risk. It never suppresses a rule hit and never raises an alert by itself: a
student who answers the check-in with "not safe" or "not sure" is what raises the alert.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CLASSES", "Model", "features"]

#: what the classifier tells apart; "none" is ordinary, clinical, negated, figurative and teaching text
CLASSES = ("explicit", "warning", "harassment", "peer", "none")

_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)?|[.!?,;:]")
_NEGATORS = frozenset(
    ("not", "never", "no", "nobody", "nothing", "without", "don't", "didn't", "doesn't", "haven't", "hasn't",
     "hadn't", "isn't", "wasn't", "aren't", "won't", "wouldn't", "can't", "couldn't", "i'm not", "neither")
)  # fmt: skip
_NEGATION_SPAN = 3


def features(normalised: str) -> set[str]:
    """Words ("w:"), word pairs ("b:") and words within three of a negator ("n:") of a normalised message."""
    tokens = _TOKEN_RE.findall(normalised)
    out: set[str] = set()
    negated = 0
    prev = "<s>"
    for tok in tokens:
        if not tok[0].isalpha():
            negated = 0
            prev = "<s>"
            continue
        out.add(f"w:{tok}")
        out.add(f"b:{prev} {tok}")
        if negated:
            out.add(f"n:{tok}")
            negated -= 1
        if tok in _NEGATORS:
            negated = _NEGATION_SPAN
        prev = tok
    return out


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    threshold: float  # probability of the student's own risk (explicit + warning) that raises a check-in

    @classmethod
    def load(cls, path: Path) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        classes = tuple(str(c) for c in data["classes"])
        if classes != CLASSES:
            raise ValueError(f"{path}: classes {classes} are not {CLASSES}")
        return cls(
            classes=classes,
            intercept=tuple(float(x) for x in data["intercept"]),
            weights={str(k): tuple(float(x) for x in v) for k, v in data["weights"].items()},
            threshold=float(data["threshold"]),
        )

    def probabilities(self, normalised: str) -> dict[str, float]:
        """Class probabilities for a message already normalised by the rules."""
        scores = list(self.intercept)
        for feat in features(normalised):
            w = self.weights.get(feat)
            if w is not None:
                for i, x in enumerate(w):
                    scores[i] += x
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def own_risk(self, normalised: str) -> float:
        """Probability that the message is the student's own risk (explicit or a warning sign)."""
        p = self.probabilities(normalised)
        return p["explicit"] + p["warning"]
