"""The second opinion beside the safeguarding rules: a fine-tuned sentence encoder that reads risk.

Why a learned model at all: hand-written rules scored perfectly on the corpora they were written against and
caught about half of the explicit risk in messages written by others (docs/safeguarding.md, "Measured"). The
rules stay, transparent and first; this model catches what they have no phrase for.

What it is, all of it data under ``prompts/safeguarding/model/`` (nothing is downloaded, no torch at run time):

* ``network.onnx`` and ``encoder_tokenizer.json`` — all-MiniLM-L6-v2 with a linear layer to five classes,
  fine-tuned whole on the development messages in ``tests/data`` (``benchmarks/safeguarding_model_train.py``),
  run with ONNX Runtime, int8 (:mod:`bot.core.safety.safeguarding_network`). The held-out sets in
  ``tests/data/testset`` are never trained on.
* ``model.json`` — classes, the two thresholds and what it was trained on.

A message of one or two sentences is read whole; a longer one also (or, past 254 word pieces, only) in pairs of
neighbouring sentences, and the most worrying run speaks for it (``chunks``). About 2-4 ms for a chat message
on one core, a tenth of a second for a 4 KB reflection (benchmarks/safeguarding_eval.py prints it).
How its verdict combines with the rules is ``SafeguardingRules.check``'s business.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.safety.safeguarding_network import MAX_PIECES, Network

__all__ = ["CLASSES", "Model", "Scores", "chunks"]

#: what the model tells apart; "no_risk" is ordinary, clinical, negated, figurative and teaching text
CLASSES = ("explicit_self_risk", "warning_sign", "peer", "harassment", "no_risk")
#: a message of up to this many word pieces is read whole (the encoder's own limit)...
WHOLE = MAX_PIECES - 2
#: a pair of sentences read on its own is cut at this many pieces
CHUNK = 128


@dataclass(frozen=True)
class Scores:
    """Class probabilities of one message (the maximum over its windows for the risk classes)."""

    explicit: float
    warning: float
    peer: float
    harassment: float

    @property
    def own_risk(self) -> float:
        """Explicit self-risk or warning signs of the student themself."""
        return self.explicit + self.warning

    @property
    def alerting(self) -> float:
        """The student's own risk of any kind, or harassment of them: what the alert threshold is compared with.
        A message the model is sure is risk, unsure whether explicit or a warning sign, still alerts, unless the
        warning share is the larger (then it checks in)."""
        return self.explicit + self.warning + self.harassment

    def alerts(self, threshold: float) -> bool:
        """The model's own alert: sure enough of risk (``alerting``), and not mostly a warning sign."""
        return self.alerting >= threshold and self.explicit + self.harassment >= self.warning


_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")


def chunks(ids_of: Callable[[str], list[int]], text: str, limit: int = CHUNK) -> list[list[int]]:
    """The runs of word pieces the encoder reads, the most worrying of which speaks for the message.

    * One or two sentences: the message, whole.
    * More, up to ``WHOLE`` pieces: the message whole and every pair of neighbouring sentences. A meaning is an
      average, so one worrying sentence among six ordinary ones barely moves the whole; in a pair it shows.
    * Longer still: pairs of sentences, side by side without overlap (each at most ``limit`` pieces).

    The training script reads its messages through this same function, so what it learnt on is what the bot
    shows it."""
    ids = ids_of(text) or [0]
    sentences = [ids_of(m.group()) for m in _SENTENCE.finditer(text)]
    sentences = [x for x in sentences if x]
    if len(sentences) <= 2 and len(ids) <= WHOLE:
        return [ids]
    whole = len(ids) <= WHOLE
    # every pair overlapping when the message is read whole too; side by side (the last one alone if the count
    # is odd) when it is not
    starts = range(max(1, len(sentences) - 1)) if whole else range(0, len(sentences), 2)
    runs = [ids] if whole else []
    for i in starts:
        pair = [p for x in sentences[i : i + 2] for p in x]
        runs.extend(pair[j : j + limit] for j in range(0, len(pair), limit))
    return [r for r in runs if r] or [ids[:WHOLE]]


class Model:
    def __init__(self, folder: Path) -> None:
        meta: dict[str, Any] = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        classes = tuple(str(c) for c in meta["classes"])
        if classes != CLASSES:
            raise ValueError(f"{folder / 'model.json'}: classes {classes} are not {CLASSES}")
        self.folder = folder
        self.meta = meta
        #: probability of the student's own risk or harassment (``Scores.alerting``) at or above which the model
        #: alone raises the alert
        self.alert_threshold = float(meta["alert_threshold"])
        #: probability of the student's own risk at or above which the model alone asks the gentle check-in
        self.check_in_threshold = float(meta["check_in_threshold"])
        #: a message of at most ``short_words`` words needs at least ``short_threshold`` for either: a plain short
        #: answer to one of the five questions ("He told me to go away.") gives the network little to read, and
        #: those answers are most of what students write (round seven, docs/safeguarding.md)
        short: dict[str, Any] = meta.get("short_message", {})
        self.short_words = int(short.get("words", 0))
        self.short_threshold = float(short.get("threshold", 0.0))
        #: where a rule matched and judged its match no risk (negated, quoted, a patient's, teaching), the model may
        #: still raise the alert, but only this sure of it (round eleven: the rules' negation and attribution are
        #: fallible too, "it's getting harder not to act on the thoughts"); absent: the model keeps out
        over = meta.get("over_kept_rule_threshold")
        self.over_kept_rule_threshold = float(over) if over is not None else None
        self.network = Network.load(folder)

    @classmethod
    def load(cls, folder: Path) -> Model:
        return cls(folder)

    def with_thresholds(self, alert: float, check_in: float) -> Model:
        """The same network with other thresholds (for measuring, and for tests)."""
        other = copy.copy(self)
        other.alert_threshold, other.check_in_threshold = alert, check_in
        other.short_threshold = 0.0  # exactly these thresholds, whatever the length
        return other

    def thresholds(self, normalised: str) -> tuple[float, float]:
        """The alert and check-in thresholds for this message (a short one needs more)."""
        if len(normalised.split()) <= self.short_words:
            return max(self.alert_threshold, self.short_threshold), max(self.check_in_threshold, self.short_threshold)
        return self.alert_threshold, self.check_in_threshold

    def chunk_probs(self, normalised: str) -> np.ndarray:
        """(chunks, classes): the network's probabilities for each run it reads."""
        return np.stack([self.network.probs(r) for r in chunks(self.network.ids, normalised)])

    def scores(self, normalised: str) -> Scores:
        """Scores of a message already normalised by the rules (lower case, invisible characters folded): those
        of its most worrying run, so a risk buried in one sentence of a long reflection still shows."""
        probs = self.chunk_probs(normalised)
        top = probs[int(np.argmin(probs[:, CLASSES.index("no_risk")]))]
        return Scores(explicit=float(top[0]), warning=float(top[1]), peer=float(top[2]), harassment=float(top[3]))
