"""The second opinion beside the safeguarding rules: a sentence encoder and a small classifier over its meaning.

Why a learned model at all: hand-written rules scored perfectly on the corpora they were written against and
caught about half of the explicit risk in messages written by others (docs/safeguarding.md, "Measured"). The
rules stay, transparent and first; this model catches what they have no phrase for.

What it is, all of it data under ``prompts/safeguarding/model/`` (nothing is downloaded, no torch at run time):

* ``encoder.npz`` and ``encoder_tokenizer.json`` — the sentence encoder all-MiniLM-L6-v2, run with NumPy
  (:mod:`bot.core.safety.sentence_encoder`). It reads each word with the words around it, so "I took all of
  them last night" and "I've been saving my tablets" mean something to it even when no rule has the phrase.
* ``head.npz`` — three small networks (one hidden layer each, from different seeds) from the encoder's
  384-number meaning to five classes, their softmaxes averaged. Trained by
  ``benchmarks/safeguarding_model_train.py`` on the development messages in ``tests/data``; the held-out sets
  in ``tests/data/testset`` are never trained on.
* ``model.json`` — classes, the two thresholds and what it was trained on.

A message of one or two sentences is read whole; a longer one also (or, past 254 word pieces, only) in pairs of
neighbouring sentences, and the most worrying run speaks for it (``chunks``). About 15 ms for a one-line chat
message on one core, 45 ms for three sentences, 0.4 s for a 4 KB reflection (benchmarks/safeguarding_eval.py).
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
from threadpoolctl import threadpool_limits

from bot.core.safety.sentence_encoder import MAX_PIECES, SentenceEncoder
from bot.core.safety.word_pieces import WordPieces

__all__ = ["CLASSES", "Model", "Scores", "WordPieces", "chunks"]

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


class Head:
    """The classifier over the encoder's meaning: members of one hidden layer each, their softmaxes averaged."""

    def __init__(self, weights: Path) -> None:
        with np.load(weights) as w:
            n = int(w["members"])
            self.w1 = [w[f"m{m}.w1"].astype(np.float32) for m in range(n)]  # (384, hidden)
            self.b1 = [w[f"m{m}.b1"].astype(np.float32) for m in range(n)]
            self.w2 = [w[f"m{m}.w2"].astype(np.float32) for m in range(n)]  # (hidden, classes)
            self.b2 = [w[f"m{m}.b2"].astype(np.float32) for m in range(n)]

    def probs(self, vectors: np.ndarray) -> np.ndarray:
        """(chunks, 384) -> (chunks, classes), the members' mean."""
        out = np.zeros((vectors.shape[0], len(CLASSES)), np.float32)
        for w1, b1, w2, b2 in zip(self.w1, self.b1, self.w2, self.b2, strict=True):
            logits = np.maximum(vectors @ w1 + b1, 0.0) @ w2 + b2
            e = np.exp(logits - logits.max(-1, keepdims=True))
            out += e / e.sum(-1, keepdims=True)
        return out / len(self.w1)


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
        # one message at a time: BLAS threads only fight each other (and the bot) for the cores
        threadpool_limits(limits=1, user_api="blas")
        self.encoder = SentenceEncoder.load(folder)
        self.head = Head(folder / "head.npz")

    @classmethod
    def load(cls, folder: Path) -> Model:
        return cls(folder)

    def with_thresholds(self, alert: float, check_in: float) -> Model:
        """The same network with other thresholds (for measuring, and for tests)."""
        other = copy.copy(self)
        other.alert_threshold, other.check_in_threshold = alert, check_in
        return other

    def chunk_probs(self, normalised: str) -> np.ndarray:
        """(chunks, classes): the head's probabilities for each run the encoder reads."""
        runs = chunks(self.encoder.ids, normalised)
        return self.head.probs(np.stack([self.encoder.encode_ids(r) for r in runs]))

    def scores(self, normalised: str) -> Scores:
        """Scores of a message already normalised by the rules (lower case, invisible characters folded): those
        of its most worrying run, so a risk buried in one sentence of a long reflection still shows."""
        probs = self.chunk_probs(normalised)
        top = probs[int(np.argmin(probs[:, CLASSES.index("no_risk")]))]
        return Scores(explicit=float(top[0]), warning=float(top[1]), peer=float(top[2]), harassment=float(top[3]))
