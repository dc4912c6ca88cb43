"""The learned identifier tagger beside the redaction rules (round 13): what it adds, what it leaves, and that the
rules work alone when it is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.privacy.redaction import Redactor, default_redactor
from bot.core.privacy.redaction_tagger import DEFAULT_TAGGER_PATH, Tagger
from tests.support.redaction_support import hidden, shown


@pytest.fixture(scope="module")
def both() -> Redactor:
    return default_redactor()


def test_the_shipped_redactor_has_the_tagger_beside_its_rules(both: Redactor) -> None:
    assert isinstance(both.ner, Tagger)
    assert 0.5 <= both.ner.threshold < 1.0


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("the list with Baker ran late", "Baker"),  # a surname that is a word, after "with", no verb of speech
    ],
)
def test_it_finds_names_the_rules_miss(r: Redactor, both: Redactor, text: str, part: str) -> None:
    assert shown(r, text, part)  # the rules alone leave it
    assert hidden(both, text, part), both.redact(text).text


@pytest.mark.parametrize(
    "text",
    [
        "Can I come back to this tomorrow?",
        "He told me to go away.",
        "I felt out of my depth when she started crying.",
        "She took 32 paracetamol and was seen in A&E.",
    ],
)
def test_plain_answers_stay_readable(both: Redactor, text: str) -> None:
    assert both.redact(text).text == text


def test_a_lower_case_english_word_after_a_name_stays(both: Redactor) -> None:
    assert both.redact("her son Ravi rang twice.").text == "her son [NAME] rang twice."


def test_an_age_keeps_its_unit_and_a_rule_span_keeps_its_type(both: Redactor) -> None:
    out = both.redact("I clerked Mrs Okafor, a 45-year-old teacher.").text
    assert out == "I clerked Mrs [NAME], a [AGE]-year-old teacher.", out


def test_without_the_tagger_installed_the_rules_work_alone(tmp_path: Path) -> None:
    assert Tagger.load(tmp_path) is None
    alone = Redactor.from_toml(ner=Tagger.load(tmp_path))
    assert alone.redact("Call Mrs Jones on 07700 900123").text == "Call Mrs [NAME] on [PHONE]"
    assert (DEFAULT_TAGGER_PATH / "tagger.onnx").exists()
