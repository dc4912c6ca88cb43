"""The second opinion beside the safeguarding rules: a small convolutional network over word-piece embeddings.

Why a learned model at all: hand-written rules scored perfectly on the corpora they were written against and
caught about half of the explicit risk in messages written by others (docs/safeguarding.md, "Measured"). The
rules stay, transparent and first; this model catches what they have no phrase for.

What it is, all of it data under ``prompts/safeguarding/model/`` (nothing is downloaded, no torch at run time):

* ``tokenizer.json`` — the word-piece vocabulary of the sentence encoder all-MiniLM-L6-v2.
* ``pieces.npy`` — one 48-number vector per word piece: a static vector distilled from that encoder with
  Model2Vec (the encoder read each piece once; 128 principal components), times a projection learned in
  training. Similar words and pieces lie near each other, so "overdose", "ODed" and "took all my tablets"
  look alike to the model even when no rule has the phrase.
* ``weights.npz`` — convolutions over 1, 2 and 3 consecutive pieces (so word order, and "I" against "she",
  count), max-pooled over the whole message (a risk buried in one sentence of a long reflection still shows),
  then a softmax over five classes. Trained by ``benchmarks/safeguarding_model_train.py`` on the
  development messages in ``tests/data``; the held-out sets in ``tests/data/testset`` are never trained on.
* ``model.json`` — classes, kernel sizes, the two thresholds and what it was trained on.

Inference is NumPy: one lookup, three small matrix products and a max per 512-piece window.
How its verdict combines with the rules is ``SafeguardingRules.check``'s business.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["CLASSES", "Model", "Scores", "WordPieces"]

#: what the model tells apart; "no_risk" is ordinary, clinical, negated, figurative and teaching text
CLASSES = ("explicit_self_risk", "warning_sign", "peer", "harassment", "no_risk")
#: longer messages are read in windows of this many pieces (with an overlap), so a 4 KB message costs what
#: its length costs and no more
_WINDOW = 512
_OVERLAP = 16
#: up to this many pieces the members run fused (see _Fused); beyond it, one after another
_FUSED_UP_TO = 160


def _is_punctuation(ch: str) -> bool:
    """BERT's rule: ASCII symbols and every Unicode punctuation mark are words of their own."""
    o = ord(ch)
    return (
        33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126 or unicodedata.category(ch).startswith("P")
    )


def _words(chunk: str) -> list[str]:
    """One whitespace-free chunk split as BERT's pre-tokenizer does, accents stripped."""
    plain = "".join(
        c for c in unicodedata.normalize("NFD", chunk.lower()) if unicodedata.category(c) not in ("Mn", "Cc", "Cf")
    )
    words: list[str] = []
    current: list[str] = []
    for c in plain:
        if _is_punctuation(c) or 0x4E00 <= ord(c) <= 0x9FFF:
            if current:
                words.append("".join(current))
                current = []
            words.append(c)
        else:
            current.append(c)
    if current:
        words.append("".join(current))
    return words


class WordPieces:
    """BERT's uncased word-piece split (greedy longest match, "##" continuations), with a cache per word.

    The same split as the encoder's ``tokenizer.json``, in Python: the words of student messages repeat, so
    after the first few messages nearly every word is one dictionary lookup (the Rust tokenizer took longer
    on a 4 KB message than the whole network).
    """

    def __init__(self, vocab: dict[str, int], unk: str = "[UNK]", max_chars: int = 100) -> None:
        self.vocab, self.unk_id, self.max_chars = vocab, vocab[unk], max_chars
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPieces:
        model = json.loads(path.read_text(encoding="utf-8"))["model"]
        return cls(dict(model["vocab"]), model.get("unk_token", "[UNK]"), model.get("max_input_chars_per_word", 100))

    def _pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > self.max_chars:
            return (self.unk_id,)
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    out.append(self.vocab[piece])
                    break
                end -= 1
            else:
                return (self.unk_id,)
            start = end
        return tuple(out)

    def ids(self, text: str) -> list[int]:
        """Piece ids of ``text`` (lower case expected; accents are stripped here, as BERT uncased does)."""
        out: list[int] = []
        cache = self._cache
        for chunk in text.split():
            got = cache.get(chunk)
            if got is None:
                got = tuple(i for word in _words(chunk) for i in self._pieces(word))
                if len(cache) < 200_000:
                    cache[chunk] = got
            out.extend(got)
        return out


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


@dataclass(frozen=True)
class _Member:
    pieces: np.ndarray  # (pieces, dims)
    convs: list[tuple[np.ndarray, np.ndarray]]  # per kernel size: (k * dims, filters) and (filters,)
    out_w: np.ndarray  # (filters * kernels, classes)
    out_b: np.ndarray

    @staticmethod
    def logits(
        pieces: np.ndarray,
        convs: list[tuple[np.ndarray, np.ndarray]],
        out_w: np.ndarray,
        out_b: np.ndarray,
        ids: np.ndarray,
        kernels: tuple[int, ...],
    ) -> np.ndarray:
        emb = pieces[ids]  # (T, dims)
        n, dim = emb.shape
        pooled = []
        for k, (weight, bias) in zip(kernels, convs, strict=True):
            if n < k:
                emb = np.vstack([emb, np.zeros((k - n, dim), np.float32)])
                n = k
            windows = np.lib.stride_tricks.sliding_window_view(emb, (k, dim)).reshape(n - k + 1, k * dim)
            pooled.append(np.maximum(windows @ weight + bias, 0.0).max(axis=0))
        return np.asarray(np.concatenate(pooled) @ out_w + out_b)

    def probs(self, ids: np.ndarray, kernels: tuple[int, ...]) -> np.ndarray:
        logits = self.logits(self.pieces, self.convs, self.out_w, self.out_b, ids, kernels)
        e = np.exp(logits - logits.max())
        return np.asarray(e / e.sum())


@dataclass(frozen=True)
class _Fused:
    """The members as one wider network: one lookup and one product per kernel size, whatever their number.

    Their piece tables side by side, their weights block-diagonal; the members never mix (the zero blocks see
    to it), and each member's softmax is taken apart before the average. A few large products instead of many
    small ones: Python's overhead, not arithmetic, is most of the cost of a short message.
    """

    pieces: np.ndarray  # (pieces, members * dims)
    convs: list[tuple[np.ndarray, np.ndarray]]  # per kernel size: (k * members * dims, members * filters), bias
    out_w: np.ndarray  # (kernels * members * filters, members * classes)
    out_b: np.ndarray
    members: int

    @classmethod
    def of(cls, members: list[_Member], kernels: tuple[int, ...]) -> _Fused:
        n = len(members)
        dims = members[0].pieces.shape[1]
        filters = members[0].convs[0][0].shape[1]
        classes = members[0].out_b.shape[0]
        convs = []
        for i, k in enumerate(kernels):
            weight = np.zeros((k * n * dims, n * filters), np.float32)
            for m, member in enumerate(members):
                for tap in range(k):
                    rows = slice(tap * n * dims + m * dims, tap * n * dims + (m + 1) * dims)
                    weight[rows, m * filters : (m + 1) * filters] = member.convs[i][0][tap * dims : (tap + 1) * dims]
            convs.append((weight, np.concatenate([member.convs[i][1] for member in members])))
        out_w = np.zeros((len(kernels) * n * filters, n * classes), np.float32)
        for i in range(len(kernels)):
            for m, member in enumerate(members):
                rows = slice(i * n * filters + m * filters, i * n * filters + (m + 1) * filters)
                out_w[rows, m * classes : (m + 1) * classes] = member.out_w[i * filters : (i + 1) * filters]
        return cls(
            pieces=np.ascontiguousarray(np.concatenate([member.pieces for member in members], axis=1)),
            convs=convs,
            out_w=out_w,
            out_b=np.concatenate([member.out_b for member in members]),
            members=n,
        )

    def probs(self, ids: np.ndarray, kernels: tuple[int, ...]) -> np.ndarray:
        logits = _Member.logits(self.pieces, self.convs, self.out_w, self.out_b, ids, kernels)
        per_member = logits.reshape(self.members, -1)
        e = np.exp(per_member - per_member.max(axis=1, keepdims=True))
        return np.asarray((e / e.sum(axis=1, keepdims=True)).mean(axis=0))


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
        #: probability of any risk at or above which the model alone asks the gentle check-in
        self.check_in_threshold = float(meta["check_in_threshold"])
        self.kernels = tuple(int(k) for k in meta["kernels"])
        # the products are tiny: BLAS threads only fight each other (and the bot) for the cores, ten times slower
        threadpool_limits(limits=1, user_api="blas")
        self.pieces = WordPieces.from_file(folder / "tokenizer.json")
        # one network or an ensemble of a few trained from different seeds, their probabilities averaged:
        # pieces.npy is (members, pieces, dims), weights.npz has "m<i>." before each member's names
        pieces = np.load(folder / "pieces.npy").astype(np.float32)
        self._members: list[_Member] = []
        with np.load(folder / "weights.npz") as w:
            for m in range(pieces.shape[0]):
                convs = []
                for i, k in enumerate(self.kernels):
                    weight = w[f"m{m}.convs.{i}.weight"]  # Conv1d: (filters, dims, k)
                    # -> one (k * dims, filters) matrix over k consecutive piece vectors
                    convs.append((np.ascontiguousarray(weight.transpose(2, 1, 0).reshape(k * weight.shape[1], -1)),
                                  w[f"m{m}.convs.{i}.bias"].astype(np.float32)))  # fmt: skip
                self._members.append(
                    _Member(pieces[m], convs, w[f"m{m}.out.weight"].T.copy(), w[f"m{m}.out.bias"].copy())
                )
        self._fused = _Fused.of(self._members, self.kernels)

    @classmethod
    def load(cls, folder: Path) -> Model:
        return cls(folder)

    def with_thresholds(self, alert: float, check_in: float) -> Model:
        """The same network with other thresholds (for measuring, and for tests)."""
        other = copy.copy(self)
        other.alert_threshold, other.check_in_threshold = alert, check_in
        return other

    def _window_probs(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) <= _FUSED_UP_TO:  # short: overhead dominates, one wide product per kernel
            return self._fused.probs(ids, self.kernels)
        # long: arithmetic dominates, and the fused products would multiply the zero blocks too
        return np.asarray(np.mean([member.probs(ids, self.kernels) for member in self._members], axis=0))

    def scores(self, normalised: str) -> Scores:
        """Scores of a message already normalised by the rules (lower case, invisible characters folded)."""
        ids = np.asarray(self.pieces.ids(normalised) or [0], dtype=np.int64)
        step = _WINDOW - _OVERLAP
        probs = [self._window_probs(ids[i : i + _WINDOW]) for i in range(0, max(1, len(ids) - _OVERLAP), step)]
        top = np.max(np.stack(probs), axis=0)
        return Scores(explicit=float(top[0]), warning=float(top[1]), peer=float(top[2]), harassment=float(top[3]))
