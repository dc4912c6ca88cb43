"""A learned identifier tagger beside the redaction rules: which words of a text are part of an identifier.

Why: rounds 9-12 of hand-written rules each gained 8-13 points on their own development lines and 0-3 on the
next writer's text (docs/researchers.md). This network (all-MiniLM-L6-v2 with a linear layer per word piece,
fine-tuned on the 4,354 development lines in ``tests/data/redaction_corpus.jsonl``; int8 ONNX in
``prompts/redaction_model/``) reads a name or a number from the words around it, as the safeguarding model
reads risk. It only adds: its words join the rules' spans through the redactor's NER hook (rule ``ner``), so
whatever the rules find stays, and a word it alone finds is redacted as ``NAME`` (no digit) or ``REDACTED``.

Each word (a run of letters, digits and apostrophes; a hyphen parts words, so "45-year-old" gives "45") is one
unit: it is redacted when any of its word pieces reaches ``threshold`` (``tagger.json``). Long texts are read in
windows of 126 pieces. Nothing is downloaded; no torch at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.paths import PROMPTS
from bot.core.safety.safeguarding_network import CLS_ID, SEP_ID, one_thread_session
from bot.core.safety.word_pieces import WordPieces

__all__ = ["DEFAULT_TAGGER_PATH", "Tagger"]

DEFAULT_TAGGER_PATH = PROMPTS / "redaction_model"
WINDOW, STRIDE = 126, 96
_TOKEN = re.compile(r"[\w'’]+|[^\w\s]")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class TaggedSpan:
    start: int
    end: int
    type: str
    text: str


class Tagger:
    def __init__(self, folder: Path) -> None:
        meta = json.loads((folder / "tagger.json").read_text(encoding="utf-8"))
        self.threshold = float(meta["threshold"])
        self.session = one_thread_session(folder / "tagger.onnx")
        self.pieces = WordPieces.from_file(folder / "encoder_tokenizer.json")

    @classmethod
    def load(cls, folder: Path = DEFAULT_TAGGER_PATH) -> Tagger | None:
        """The shipped tagger, or None when its files are not installed (the rules then work alone)."""
        return cls(folder) if (folder / "tagger.onnx").exists() else None

    def _probs(self, ids: list[int]) -> np.ndarray:
        seq = np.array([[CLS_ID, *ids, SEP_ID]], dtype=np.int64)
        (out,) = self.session.run(None, {"ids": seq, "mask": np.ones_like(seq)})
        return np.asarray(out[0, 1:-1], dtype=np.float32)

    def __call__(self, text: str) -> list[TaggedSpan]:
        """The words the network takes for part of an identifier, as spans into ``text``."""
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        ids: list[int] = []
        owner: list[int] = []  # the token each piece belongs to
        for k, (a, b) in enumerate(tokens):
            got = self.pieces.ids(text[a:b].lower())
            ids.extend(got)
            owner.extend([k] * len(got))
        if not ids:
            return []
        best = np.zeros(len(tokens), dtype=np.float32)
        start = 0
        while True:
            window = ids[start : start + WINDOW]
            probs = self._probs(window)
            for j, p in enumerate(probs):
                k = owner[start + j]
                best[k] = max(best[k], float(p))
            if start + WINDOW >= len(ids):
                break
            start += STRIDE
        out: list[TaggedSpan] = []
        for k, (a, b) in enumerate(tokens):
            if best[k] >= self.threshold and (b - a > 1 or text[a].isalnum()):
                piece = text[a:b]
                out.append(TaggedSpan(a, b, "REDACTED" if _DIGIT.search(piece) else "NAME", piece))
        return out
