"""The sentence encoder all-MiniLM-L6-v2, run with NumPy: a 384-number meaning of a message.

Why: the safeguarding model's first version read each word piece on its own (static vectors, a small
convolution). It caught about three quarters of the explicit risk in messages written by people it had never
seen. A contextual encoder reads "I took all of them" with the words around it, which is how risk that names no
risk word shows. On the development batches held out by writer, the same classifier head over this encoder's
meaning caught about a tenth more explicit risk and a fifth more harassment (docs/safeguarding.md, round six).

What ships (``prompts/safeguarding/model/encoder.npz``, written by ``benchmarks/safeguarding_model_train.py
--export-encoder``): the BERT weights of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), the word-piece
table stored as int8 with one scale per row and the six layers as float16, so the file is about a third of the
original. Nothing is downloaded; no torch at run time.

The forward pass is BERT's: embeddings and LayerNorm, six layers of twelve-head self-attention and a GELU
feed-forward, then the mean over the pieces and a unit length, as sentence-transformers computes it. The
test suite checks it against sentence-transformers' own output (tests/test_sentence_encoder.py, skipped where
that is not installed) and against vectors stored at export.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bot.core.safety.word_pieces import WordPieces

__all__ = ["SentenceEncoder"]

CLS_ID, SEP_ID = 101, 102
#: the encoder was trained on at most this many pieces; longer text is read in windows (see ``encode_long``)
MAX_PIECES = 256


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7): BERT's GELU is the exact, erf one."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return s * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class SentenceEncoder:
    def __init__(self, path: Path, tokenizer: Path) -> None:
        with np.load(path) as z:
            q, scale = z["word_q"], z["word_scale"]
            self.word = q  # int8, dequantised per looked-up row
            self.word_scale = scale.astype(np.float32)
            self.pos = z["pos"].astype(np.float32)
            self.type0 = z["type0"].astype(np.float32)
            self.emb_ln = (z["emb_ln_w"].astype(np.float32), z["emb_ln_b"].astype(np.float32))
            self.layers: list[dict[str, np.ndarray]] = []
            n_layers = int(z["n_layers"])
            for i in range(n_layers):

                def g(name: str, i: int = i) -> np.ndarray:
                    return z[f"l{i}.{name}"].astype(np.float32)

                self.layers.append(
                    {
                        # query, key and value as one product: (384, 1152)
                        "qkv_w": np.ascontiguousarray(np.concatenate([g("q_w"), g("k_w"), g("v_w")], 0).T),
                        "qkv_b": np.concatenate([g("q_b"), g("k_b"), g("v_b")]),
                        "o_w": np.ascontiguousarray(g("o_w").T),
                        "o_b": g("o_b"),
                        "ln1_w": g("ln1_w"),
                        "ln1_b": g("ln1_b"),
                        "i_w": np.ascontiguousarray(g("i_w").T),
                        "i_b": g("i_b"),
                        "f_w": np.ascontiguousarray(g("f_w").T),
                        "f_b": g("f_b"),
                        "ln2_w": g("ln2_w"),
                        "ln2_b": g("ln2_b"),
                    }
                )
            self.heads = int(z["heads"])
        self.dim = self.pos.shape[1]
        self.pieces = WordPieces.from_file(tokenizer)

    @classmethod
    def load(cls, folder: Path) -> SentenceEncoder:
        """The encoder shipped in a model folder (``encoder.npz`` and ``encoder_tokenizer.json``)."""
        return cls(folder / "encoder.npz", folder / "encoder_tokenizer.json")

    def ids(self, text: str) -> list[int]:
        return self.pieces.ids(text)

    def encode_ids(self, ids: list[int]) -> np.ndarray:
        """The unit-length meaning of one run of at most ``MAX_PIECES - 2`` pieces."""
        seq = np.array([CLS_ID, *ids[: MAX_PIECES - 2], SEP_ID])
        n = len(seq)
        x = self.word[seq].astype(np.float32) * self.word_scale[seq, None] + self.pos[:n] + self.type0
        x = _layer_norm(x, *self.emb_ln)
        h, d = self.heads, self.dim // self.heads
        for L in self.layers:
            qkv = x @ L["qkv_w"] + L["qkv_b"]
            q, k, v = (qkv[:, j * self.dim : (j + 1) * self.dim].reshape(n, h, d).transpose(1, 0, 2) for j in range(3))
            att = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = _layer_norm(ctx @ L["o_w"] + L["o_b"] + x, L["ln1_w"], L["ln1_b"])
            f = _gelu(x @ L["i_w"] + L["i_b"]) @ L["f_w"] + L["f_b"]
            x = _layer_norm(f + x, L["ln2_w"], L["ln2_b"])
        m = x.mean(0)
        return (m / (np.linalg.norm(m) + 1e-12)).astype(np.float32)

    def encode(self, text: str) -> np.ndarray:
        return self.encode_ids(self.ids(text) or [0])
