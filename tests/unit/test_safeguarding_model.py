"""The safeguarding model beside the rules: it only adds, how it alerts and checks in, where it may overrule a rule
that judged its match no risk, long reflections, and plain short answers that must raise nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bot.core.safety.safeguarding_model import Model
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH, MODEL_RULE, SafeguardingRules, Tier

# --------------------------------------------------------------------------------------------
# the classifier beside the rules
# --------------------------------------------------------------------------------------------


#: wording no rule has, that the shipped model catches (the tier it must give)
MODEL_CATCHES = [
    ("the charge nurse keeps standing right behind me and breathing on my neck while I write notes", Tier.ALERT),
]
#: ordinary, clinical and figurative messages the model must leave alone
MODEL_LEAVES = [
    "I told the patient I was sorry for her loss and she thanked me",
    "I could murder a pizza after that shift",
    "the registrar was strict but fair about my presentation",
    "Lovely day, the ward sister praised my bloods",
    "I'm exhausted after nights but had a lovely chat with my mum",
]


def test_the_model_only_adds_to_what_the_rules_decided(rules: SafeguardingRules) -> None:
    assert rules.model is not None
    never = rules.with_model(rules.model.with_thresholds(1.01, 1.01))
    always = rules.with_model(rules.model.with_thresholds(0.0, 0.0))
    alone = SafeguardingRules.from_toml(model_path=None)
    for text in ("I want to kill myself", "I feel hopeless", "the patient took an overdose", "lovely day on the ward"):
        assert never.check(text).as_dict() == alone.check(text).as_dict(), text  # a silent model changes nothing
    assert always.check("lovely day on the ward").tier is Tier.ALERT  # it can raise the alert by itself
    assert always.check("lovely day on the ward").rule == MODEL_RULE
    # a rules' alert is never lowered, whatever the model thinks
    assert never.check("I want to kill myself").tier is Tier.ALERT


def test_the_model_alerts_on_risk_it_cannot_place_as_explicit_or_warning(rules: SafeguardingRules) -> None:
    """Round four (issue 10): the alert compares explicit + warning + harassment with the threshold (when the
    warning share is not the larger), so a message the model is sure is risk, split between explicit and warning
    signs, alerts; the explicit share alone would not."""
    assert rules.model is not None
    text = "Life just feels like something I'm waiting to be over."
    s = rules.model.scores(rules.normalise(text))
    assert s.explicit > 0.05 and s.warning > 0.05, s  # the model splits it
    between = (max(s.explicit, s.harassment) + s.alerting) / 2
    tuned = rules.with_model(rules.model.with_thresholds(between, 1.01))
    assert SafeguardingRules.from_toml(model_path=None).check(text).tier is Tier.NONE  # no rule has it
    verdict = tuned.check(text)
    assert verdict.tier is Tier.ALERT and verdict.rule == MODEL_RULE, verdict.summary()


def test_a_mostly_warning_sign_message_gets_the_check_in_not_the_alert(rules: SafeguardingRules) -> None:
    """The tiers hold with the model: sure of risk, but mostly a warning sign, is the gentle check-in."""
    assert rules.model is not None
    text = "everything feels grey and pointless lately, like nothing I do matters"
    assert SafeguardingRules.from_toml(model_path=None).check(text).tier is Tier.NONE  # no rule has it
    s = rules.model.scores(rules.normalise(text))
    assert s.warning > s.explicit + s.harassment, s
    eager = rules.with_model(rules.model.with_thresholds(0.0, 0.0))
    verdict = eager.check(text)
    assert verdict.tier is Tier.CHECK_IN and verdict.rule == MODEL_RULE, verdict.summary()


def test_the_model_overrules_a_rule_that_judged_its_match_no_risk_only_when_very_sure(
    rules: SafeguardingRules,
) -> None:
    """Round eleven: a negation or attribution the rules misread ("harder not to act on") no longer silences the
    model; it alerts there at ``over_kept_rule_threshold``, never checks in, and without that setting it keeps out."""
    assert rules.model is not None and rules.model.over_kept_rule_threshold is not None
    misread = "it's getting harder not to act on the thoughts about ending it"
    alone = SafeguardingRules.from_toml(model_path=None).check(misread)
    assert alone.tier is Tier.NONE and alone.negated, alone.summary()  # the rule matched and read a negation
    verdict = rules.check(misread)
    assert verdict.tier is Tier.ALERT and verdict.rule == MODEL_RULE, verdict.summary()
    quiet = copy.copy(rules.model)
    quiet.over_kept_rule_threshold = None
    assert rules.with_model(quiet).check(misread).tier is Tier.NONE  # the round-eight behaviour
    for text in ("I'm not suicidal, just exhausted after nights.", "The patient said she wasn't going to kill herself.",
                 "I would never hurt myself, I promise, I'm just tired."):  # fmt: skip
        assert rules.check(text).tier is Tier.NONE, (text, rules.check(text).summary())


def test_the_shipped_model_catches_wording_no_rule_has(rules: SafeguardingRules) -> None:
    """prompts/safeguarding/model: loaded by default; what it adds beyond the rules, and what it leaves alone."""
    alone = SafeguardingRules.from_toml(model_path=None)
    for text, tier in MODEL_CATCHES:
        assert alone.check(text).tier is Tier.NONE, text  # no rule has this wording...
        verdict = rules.check(text)
        assert verdict.rule == MODEL_RULE and verdict.tier is tier, (text, verdict.summary())  # ...the model has
    for text in MODEL_LEAVES:
        assert rules.check(text).tier is Tier.NONE, (text, rules.check(text).summary())


def test_a_risk_at_the_end_of_a_long_reflection_is_still_read(rules: SafeguardingRules) -> None:
    assert rules.model is not None
    story = "We saw a man with low mood in clinic and the registrar talked through his medication with him. " * 45
    assert len(story) > 4000
    text, tier = MODEL_CATCHES[0]
    verdict = rules.check(story + text)  # a 4 KB message is read in runs of two sentences
    assert verdict.rule == MODEL_RULE and verdict.tier is tier, verdict.summary()


def test_a_model_folder_with_other_classes_is_refused(tmp_path: Path) -> None:
    shipped = DEFAULT_MODEL_PATH
    for name in ("network.onnx", "encoder_tokenizer.json"):
        (tmp_path / name).write_bytes((shipped / name).read_bytes())
    meta = json.loads((shipped / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**meta, "classes": ["a", "b"]}))
    with pytest.raises(ValueError, match="classes"):
        Model.load(tmp_path)


#: plain answers to the five Balint questions, short as students type them: nothing here is risk (round six,
#: issue 10: a sentence-encoder model alerted on 7 of 32 such answers, "Can I come back to this tomorrow?",
#: "A man on the ward who would not look at me", and was not shipped)
PLAIN_ANSWERS = [
    "A woman in clinic who cried when I asked about her son.",
    "Sad, mostly. And a bit useless.",
    "Probably scared of what the scan would show.",
    "I think she wanted me to stay and I wanted to leave.",
    "That I don't have to fix everything.",
    "An old man who kept asking when he could go home.",
    "Embarrassed, because I didn't know the answer.",
    "Maybe lonely. His wife died last year.",
    "We kept missing each other.",
    "To listen before I start talking.",
    "A teenager on the ward who wouldn't speak to me.",
    "Frustrated and then guilty for feeling frustrated.",
    "He probably felt ganged up on by all of us.",
    "She didn't trust me and I didn't blame her.",
    "Next time I'll sit down.",
    "The patient who shouted at the nurse.",
    "Honestly I felt nothing, which worried me.",
    "Tired of being poked and prodded.",
    "I was trying too hard to be liked.",
    "I'd like to talk to my supervisor about it.",
    "Can I come back to this tomorrow?",
    "Why did I feel so angry with him?",
    "I left the room as soon as I could.",
    "I couldn't wait to get out of there.",
    "He told me to go away.",
    "I don't know what I take away from it yet.",
    "Nothing really, it was a normal day.",
    "My consultant asked me to present and I froze.",
    "A mum who wouldn't let me examine her baby.",
    "A man on the ward who would not look at me.",
    "Can I just explain why I left?",
]


def test_plain_answers_to_the_five_questions_raise_nothing(rules: SafeguardingRules) -> None:
    raised = [(t, rules.check(t).summary()) for t in PLAIN_ANSWERS if rules.check(t).tier is not Tier.NONE]
    assert raised == [], raised


# Plain answers the shipped model checks in on: known false alarms (docs/safeguarding.md, "Known limits"). Strict,
# so a model that stops raising one fails here and the line moves up into PLAIN_ANSWERS.
KNOWN_FALSE_ALARMS = [
    "Sometimes being there matters more than getting the history.",  # round 8, warning p 0.89; round 11 still
    "Attempt 1: the same failure again",  # round 11, explicit p 0.92: "attempt" read as a suicide attempt
]


@pytest.mark.xfail(strict=True, reason="a known false alarm of the shipped model")
@pytest.mark.parametrize("text", KNOWN_FALSE_ALARMS)
def test_known_false_alarms_on_plain_answers(rules: SafeguardingRules, text: str) -> None:
    assert rules.check(text).tier is Tier.NONE, rules.check(text).summary()
