"""The safeguarding model's network, run with ONNX Runtime: five probabilities for one run of word pieces.

What it is (``prompts/safeguarding/model/network.onnx``, written by ``benchmarks/safeguarding_model_train.py
--export``): the sentence encoder all-MiniLM-L6-v2 (Apache-2.0), its mean pooling and a linear layer to the five
classes, fine-tuned together on the development messages, with its softmax. Its weights are int8, one scale per
output channel (ONNX Runtime's dynamic quantisation): a third of the time of the same network in full precision.

Why an encoder: the first model read each word piece on its own (static vectors, a small convolution) and
caught about three quarters of the explicit risk in messages written by people it had never seen. The encoder
reads "I took all of them" with the words around it, which is how risk that names no risk word shows; trained
whole rather than frozen under a small classifier, it also learns who a sentence is about and what a negation
reaches (docs/safeguarding.md, rounds six and seven).

Each run is read on its own, never padded into a batch: int8 quantisation of the activations is per tensor, so
in a batch one run's numbers would shift another's probabilities. Nothing is downloaded; no torch at run time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from bot.core.safety.word_pieces import WordPieces

__all__ = ["CLS_ID", "MAX_PIECES", "SEP_ID", "Network", "one_thread_session"]

CLS_ID, SEP_ID = 101, 102
#: the encoder was trained on at most this many pieces; longer text is read in runs (``safeguarding_model.chunks``)
MAX_PIECES = 256


def one_thread_session(path: Path) -> ort.InferenceSession:
    """An ONNX Runtime session on one CPU thread (the redaction tagger's too): one text at a time, so more threads
    only fight each other (and the bot) for the cores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class Network:
    def __init__(self, path: Path, tokenizer: Path) -> None:
        self.session = one_thread_session(path)
        self.pieces = WordPieces.from_file(tokenizer)

    @classmethod
    def load(cls, folder: Path) -> Network:
        """The network shipped in a model folder (``network.onnx`` and ``encoder_tokenizer.json``)."""
        return cls(folder / "network.onnx", folder / "encoder_tokenizer.json")

    def ids(self, text: str) -> list[int]:
        return self.pieces.ids(text)

    def probs(self, ids: list[int]) -> np.ndarray:
        """The five class probabilities of one run of at most ``MAX_PIECES - 2`` pieces."""
        seq = np.array([[CLS_ID, *ids[: MAX_PIECES - 2], SEP_ID]], dtype=np.int64)
        (out,) = self.session.run(None, {"ids": seq, "mask": np.ones_like(seq)})
        return np.asarray(out[0], dtype=np.float32)
