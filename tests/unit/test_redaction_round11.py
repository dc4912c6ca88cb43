"""Round 11 of the redactor (issue 10): the shapes and context cues the `gen-r11` development lines showed slipping,
checked with other names, numbers and frames than those lines hold; and the look-alikes that must stay readable."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import hidden, shown


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # each part of a double-barrelled name may carry its own prefix
        ("we saw Mrs Doherty-McCann in clinic", "Doherty-McCann"),
        ("Dr Byrne-O'Hara was on call", "Byrne-O'Hara"),
        # a lower-case syllable after an apostrophe belongs to the name
        ("Mr Ka'iulani asked for water", "Ka'iulani"),
        # camel-case prefixes
        ("I met LaKeisha on the ward round", "LaKeisha"),
        # particles opening a sentence or between names
        ("das Neves was the patient in bed 3", "das Neves"),
        ("Nurul binti Ismail was her mother", "Nurul binti Ismail"),
        ("Nic an Bhreithimh was the name on her letter", "Nic an Bhreithimh"),
    ],
)
def test_round_eleven_name_shapes(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text
