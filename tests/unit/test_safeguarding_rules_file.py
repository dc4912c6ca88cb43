"""Safeguarding phrase rules: loading the rule file, an institution's own phrases, the negation window it sets, and
the rules it rejects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.safety.safeguarding_rules import DEFAULT_RULES_PATH, Category, SafeguardingRules, default_rules
from tests.support.paths import ROOT

# --------------------------------------------------------------------------------------------
# loading and validating the rule file
# --------------------------------------------------------------------------------------------


def _rules_data() -> dict:  # type: ignore[type-arg]
    import tomllib

    return tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_negation_window_is_configurable() -> None:
    data = _rules_data()
    data["negation"]["window"] = 0
    narrow = SafeguardingRules(data)
    # "never" is three fillers away from "killing myself": outside a window of 0
    assert narrow.check("I have never once thought about killing myself").risk
    assert not default_rules().check("I have never once thought about killing myself").risk


def test_from_toml_default_path() -> None:
    loaded = SafeguardingRules.from_toml()
    assert loaded.source == str(DEFAULT_RULES_PATH)
    assert DEFAULT_RULES_PATH == ROOT / "prompts" / "safeguarding" / "rules.toml"
    assert {r.category for r in loaded.rules} == set(Category)


def test_institution_can_add_a_phrase(tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    text += (
        """
[[rule]]
id = "local.slang"
category = "suicidal"
subject = "context"
patterns = ["""
        "'''(?:want|wanna) to unalive'''"
        """]
"""
    )
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    local = SafeguardingRules.from_toml(path)
    verdict = local.check("honestly i want to unalive")
    assert verdict.alerts_facilitator and verdict.rule == "local.slang"
    # the shipped rules have no such phrase (the model, reading the meaning, catches it anyway)
    assert not SafeguardingRules.from_toml(model_path=None).check("honestly i want to unalive").risk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "sadness"}, "category must be one of"),
        ({"patterns": ["(unclosed"]}, "bad pattern"),
        ({"patterns": ["{NOPE} die"]}, "unknown macro"),
        ({"subject": "teacher"}, "subject must be"),
        ({"patterns": []}, "no patterns"),
    ],
)
def test_bad_rules_are_rejected(change: dict, message: str) -> None:  # type: ignore[type-arg]
    data = _rules_data()
    data["rule"][0] = {**data["rule"][0], **change}
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        SafeguardingRules(data)
    if "category" not in change:
        assert data["rule"][0]["id"] in str(info.value)


def test_duplicate_rule_ids_are_rejected() -> None:
    data = _rules_data()
    data["rule"].append(dict(data["rule"][0]))
    with pytest.raises(ValueError, match="duplicate rule id"):
        SafeguardingRules(data)
