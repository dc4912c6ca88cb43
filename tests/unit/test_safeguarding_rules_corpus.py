"""Safeguarding phrase rules against the corpus: its shape, the goals (recall, false alarms, categories) on
every split, non-risk and patient messages, the evaluation script, the rule file's own examples."""

from __future__ import annotations

import pytest

from benchmarks.safeguarding_eval import DEFAULT_CORPUS, FALSE_ALARM_GOAL, NON_RISK_LABELS, evaluate, load_corpus
from bot.core.safety.safeguarding_rules import Category, SafeguardingRules, Subject

# --------------------------------------------------------------------------------------------
# corpus goals
# --------------------------------------------------------------------------------------------


def test_corpus_shape() -> None:
    items = load_corpus()
    labels = [i.label for i in items]
    assert len(items) >= 180
    explicit_student = [i for i in items if i.label == "risk" and i.explicit and i.subject == "student"]
    assert len(explicit_student) >= 40
    assert labels.count("non_risk") >= 50
    assert labels.count("negated") >= 30
    assert labels.count("patient") >= 35
    assert labels.count("hyperbole") >= 20
    assert any(i.label == "risk" and not i.explicit for i in items)
    for i in items:
        assert i.category in (None, *[c.value for c in Category]), i.text
        assert i.subject in (None, *[s.value for s in Subject]), i.text
        if i.label == "risk":
            assert i.category and i.subject, i.text
    texts = [i.text for i in items]
    assert len(texts) == len(set(texts)), "duplicate corpus messages"


@pytest.mark.parametrize("split", [None, "dev", "heldout"])
def test_corpus_goals(rules: SafeguardingRules, split: str | None) -> None:
    items = [i for i in load_corpus() if split is None or i.split == split]
    res = evaluate(items, rules)
    assert res["explicit_recall"] == 1.0, res["missed"]
    assert res["false_alarm_rate"] < FALSE_ALARM_GOAL, res["false_alarms"]
    assert res["category_accuracy"] >= 0.95, res["wrong_category"]


def test_non_risk_messages_raise_nothing_about_the_student() -> None:
    alone = SafeguardingRules.from_toml(model_path=None)
    for item in load_corpus():
        if item.label in NON_RISK_LABELS:
            assert not alone.check(item.text).alerts_facilitator, item.text


def test_the_model_adds_few_alerts_on_non_risk_messages(rules: SafeguardingRules) -> None:
    """The rules raise nothing on these; the model, reading meaning not phrases, raises the odd one (round six:
    "I cut my finger on a glass ampoule...", an accident it reads as self-harm). At most one in fifty."""
    items = [i for i in load_corpus() if i.label in NON_RISK_LABELS]
    alerted = [i.text for i in items if rules.check(i.text).alerts_facilitator]
    assert len(alerted) <= 0.02 * len(items), alerted


def test_patient_content_is_not_a_risk(rules: SafeguardingRules) -> None:
    for item in load_corpus():
        if item.label == "patient":
            verdict = rules.check(item.text)
            assert not verdict.risk, (item.text, verdict.summary())


def test_eval_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.safeguarding_eval import main

    assert main(["--corpus", str(DEFAULT_CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "recall, explicit risk:   1.000" in out
    assert "false-alarm rate" in out


def test_rule_file_examples(rules: SafeguardingRules) -> None:
    """Every example in rules.toml triggers its rule; every counter-example raises nothing from it."""
    problems = []
    for rid, text, must_trigger in rules.examples():
        verdict = rules.check(text)
        risky = {h.rule for h in verdict.hits if h.risk}
        if must_trigger and rid not in risky:
            problems.append(f"{rid}: should trigger: {text!r} -> {verdict.summary()}")
        if not must_trigger and (rid in risky or (rid.split(".")[0] in ("hyperbole", "accident") and verdict.risk)):
            problems.append(f"{rid}: should not trigger: {text!r} -> {verdict.summary()}")
    assert not problems, "\n".join(problems)
