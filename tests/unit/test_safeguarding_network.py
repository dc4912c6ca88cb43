"""The safeguarding model's network (bot.core.safety.safeguarding_network): what it gives, and how a message is
cut into the runs it reads (bot.core.safety.safeguarding_model.chunks)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.safety.safeguarding_model import CHUNK, CLASSES, WHOLE, chunks
from bot.core.safety.safeguarding_network import Network
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH


@pytest.fixture(scope="module")
def network() -> Network:
    return Network.load(DEFAULT_MODEL_PATH)


def test_five_probabilities_that_sum_to_one(network: Network) -> None:
    for text in ("ok", "i'm fine, honestly", "we saw a man with low mood in clinic " * 20):
        p = network.probs(network.ids(text))
        assert p.shape == (len(CLASSES),) and p.dtype == np.float32
        assert abs(float(p.sum()) - 1.0) < 1e-4 and float(p.min()) >= 0.0


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("i have been saving up my tablets so i can take them all at once", "explicit_self_risk"),
        ("the registrar grabbed my waist in the sluice room and told me to keep quiet about it", "harassment"),
        ("lovely day on the ward, the sister let me take bloods on my own", "no_risk"),
        ("the patient told us she had taken an overdose of paracetamol last night", "no_risk"),
    ],
)
def test_plain_messages_get_their_class(network: Network, text: str, cls: str) -> None:
    p = network.probs(network.ids(text))
    assert CLASSES[int(np.argmax(p))] == cls, dict(zip(CLASSES, p.round(3), strict=True))


def test_a_run_reads_the_same_alone_or_after_others(network: Network) -> None:
    """Runs are never batched (int8 activations are quantised per tensor): a run's probabilities do not depend on
    what was read before it."""
    ids = network.ids("i don't want to be here anymore")
    first = network.probs(ids)
    for other in ("a long and entirely ordinary sentence about clinic " * 6, "ok"):
        network.probs(network.ids(other))
    assert np.array_equal(network.probs(ids), first)


def test_a_long_message_is_read_in_runs_of_whole_sentences(network: Network) -> None:
    sentence = "we saw a lot of patients in clinic today and the registrar explained the plan for each one. "
    text = sentence * 40 + "i have written letters to everyone i love and i'm going to end it tonight."
    runs = chunks(network.ids, text)
    assert len(network.ids(text)) > WHOLE
    assert len(runs) > 1 and all(0 < len(r) <= CHUNK for r in runs)
    assert sum(len(r) for r in runs) == len(network.ids(text))  # nothing dropped, nothing read twice
    short = "i'm fine, honestly"
    assert chunks(network.ids, short) == [network.ids(short)]
