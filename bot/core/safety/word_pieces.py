"""BERT's uncased word-piece split, in Python (shared by the sentence encoder and the training script)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

__all__ = ["WordPieces"]


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
