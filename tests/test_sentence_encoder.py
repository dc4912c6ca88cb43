"""The NumPy sentence encoder (bot.core.safety.sentence_encoder) against the reference implementation.

tests/data/encoder_reference.json holds vectors that sentence-transformers itself computed for a few messages
(all-MiniLM-L6-v2, the weights ``encoder.npz`` was exported from). The bot's forward pass, with its int8 word
table and float16 layers, must give the same meaning: a cosine of at least 0.9995 with each.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.core.safety.safeguarding_model import CHUNK, WHOLE, chunks
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH
from bot.core.safety.sentence_encoder import SentenceEncoder

REFERENCE = Path(__file__).resolve().parent / "data" / "encoder_reference.json"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load(DEFAULT_MODEL_PATH)


def test_the_numpy_forward_pass_gives_the_reference_meaning(encoder: SentenceEncoder) -> None:
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    for text, want in zip(ref["texts"], ref["vectors"], strict=True):
        got = encoder.encode(text)
        assert got.shape == (384,)
        assert abs(float(np.linalg.norm(got)) - 1.0) < 1e-5
        assert float(got @ np.asarray(want, np.float32)) >= 0.9995, text


def test_meanings_tell_risk_from_ordinary_talk(encoder: SentenceEncoder) -> None:
    """Nearby meanings are near: two ways of saying one thing are closer than either is to something else."""
    a = encoder.encode("i've been saving up my tablets")
    b = encoder.encode("i have been stockpiling my pills")
    c = encoder.encode("the pharmacy was closed so i couldn't get my inhaler")
    assert float(a @ b) > float(a @ c) + 0.1


def test_a_long_message_is_read_in_runs_of_whole_sentences(encoder: SentenceEncoder) -> None:
    sentence = "we saw a lot of patients in clinic today and the registrar explained the plan for each one. "
    text = sentence * 40 + "i have written letters to everyone i love and i'm going to end it tonight."
    runs = chunks(encoder.ids, text)
    assert len(encoder.ids(text)) > WHOLE
    assert len(runs) > 1 and all(0 < len(r) <= CHUNK for r in runs)
    assert sum(len(r) for r in runs) == len(encoder.ids(text))  # nothing dropped, nothing read twice
    short = "i'm fine, honestly"
    assert chunks(encoder.ids, short) == [encoder.ids(short)]
