"""The literal prefilter never skips a pattern that would have matched."""

from __future__ import annotations

import re

import pytest

from bot.core.safety.literals import required
from bot.core.safety.safeguarding_rules import default_rules


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"overdose", {"overdose"}),
        (r"(?:want|wants|wanted) to die", {" to die"}),  # "want" and " to die" both needed; the longer wins
        (r"kill(?:ed|ing)? myself", {" myself"}),
        (r"(?:cut|cuts|cutting)\s+my(?:self)?", {"cut"}),
        (r"end\s+it\s+all", {"end"}),
        (r"(?:hang|jump)ing", {"hang", "jump"}),  # one of the alternatives, not the shorter "ing"
        (r"x?", None),  # may match nothing at all
        (r"\w+", None),
        (r"(?:a|\w)bc", {"bc"}),
    ],
)
def test_required_reads_what_every_match_contains(pattern: str, expected: set[str] | None) -> None:
    got = required(re.compile(pattern))
    assert (set(got) if got is not None else None) == expected


def test_case_insensitive_patterns_are_not_filtered() -> None:
    assert required(re.compile("overdose", re.IGNORECASE)) is None
    assert required(re.compile("(?i:overdose)")) is None


def test_every_match_of_every_safeguarding_pattern_contains_a_required_string() -> None:
    rules = default_rules()
    texts = [rules.normalise(text) for _, text, _ in rules.examples()]
    checked = 0
    for rule in rules.rules:
        for pattern in rule.patterns:
            need = required(pattern)
            for text in texts:
                for m in pattern.finditer(text):
                    if m.group(0):
                        checked += 1
                        assert need is None or any(s in m.group(0) for s in need), (rule.id, pattern.pattern)
    assert checked > 100  # the examples really exercise the patterns


def test_a_message_that_needs_no_pattern_is_no_risk() -> None:
    rules = default_rules()
    verdict = rules.check("On the ward today I sat with a patient who was frightened, and I wanted to fix it.")
    assert not verdict.risk and verdict.hits == ()
    assert rules.check("I want to die").alerts_facilitator
