"""Safeguarding phrase rules: the student's own risk, negation, quotation, patients and someone else, hyperbole
and accidents, and the API's details.

The corpus goals are in test_safeguarding_rules_corpus, loading and validating the rule file in
test_safeguarding_rules_file, the resources and the reply in test_safeguarding_rules_reply.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.safeguarding_eval import load_corpus
from bot.core.safety.safeguarding_rules import (
    Category,
    SafeguardingRules,
    Subject,
    Verdict,
    check,
    default_rules,
    normalise,
    reply_variant,
)

# --------------------------------------------------------------------------------------------
# the student's own risk
# --------------------------------------------------------------------------------------------

STUDENT_RISK = [
    ("I want to kill myself", Category.SUICIDAL),
    ("I've been cutting again", Category.SELF_HARM),
    ("I feel like ending it all", Category.SUICIDAL),
    ("what's the point of going on", Category.SUICIDAL),
    ("I can't go on", Category.SUICIDAL),
    ("everyone would be better off without me", Category.SUICIDAL),
    ("I've been thinking about taking all my pills", Category.SUICIDAL),
    ("I don't feel safe at home", Category.UNSAFE),
    ("my partner hits me", Category.UNSAFE),
    ("the registrar keeps touching me and I don't know what to do", Category.HARASSMENT),
    ("the consultant humiliated me in front of everyone again, it's every day", Category.HARASSMENT),
    ("I'm being bullied by the team", Category.HARASSMENT),
    ("kms", Category.SUICIDAL),
    ("KMS honestly", Category.SUICIDAL),
    ("I don't want to live anymore", Category.SUICIDAL),
    ("I'm not sure I want to be alive", Category.SUICIDAL),
    ("Im not sure i want to be alive tbh", Category.SUICIDAL),
    ("I dont want to live any more", Category.SUICIDAL),
    ("Want to die.", Category.SUICIDAL),
    ("Suicidal again tonight.", Category.SUICIDAL),
    ("I've been really low and suicidal", Category.SUICIDAL),
    ("I self-harmed last night", Category.SELF_HARM),
    ("The patient's story made me want to die", Category.SUICIDAL),
    ("voices tell me to kill myself", Category.SUICIDAL),
    ("I told my GP I want to die", Category.SUICIDAL),
    ("I keep thinking \u201cwhat\u2019s the point of going on\u201d", Category.SUICIDAL),
    ("A patient punched me and nobody asked if I was ok", Category.UNSAFE),
    ("She told me I should kill myself", Category.HARASSMENT),
]


@pytest.mark.parametrize(("text", "category"), STUDENT_RISK)
def test_student_risk(rules: SafeguardingRules, text: str, category: Category) -> None:
    verdict = rules.check(text)
    assert verdict.risk, verdict.summary()
    assert verdict.alerts_facilitator
    assert verdict.subject is Subject.STUDENT
    assert verdict.category is category, verdict.summary()
    assert not verdict.negated
    assert verdict.rule is not None and verdict.matched
    assert reply_variant(verdict) == "self"


def test_most_serious_hit_wins(rules: SafeguardingRules) -> None:
    verdict = rules.check("The consultant keeps humiliating me and honestly I want to die.")
    assert verdict.category is Category.SUICIDAL
    assert {h.category for h in verdict.hits if h.risk} == {Category.SUICIDAL, Category.HARASSMENT}


# --------------------------------------------------------------------------------------------
# negation
# --------------------------------------------------------------------------------------------

NEGATED = [
    "I'm not suicidal",
    "I have never self-harmed",
    "no thoughts of harming myself",
    "I don't want to die",
    "I do not want to die, I want a holiday",
    "I would never kill myself",
    "I'm not going to hurt myself",
    "I've not had any thoughts of ending my life",
    "At no point did I think about killing myself",
    "I have no plans to end my life",
    "None of the staff have ever made me feel unsafe.",
    "I'd never take an overdose",
    "I have no thoughts of self-harm or suicide and I've never self-harmed or felt suicidal",
    "I wouldn't say I'm being bullied, the team is just stretched",
    "Nobody harassed me, it was just awkward",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert not verdict.risk, verdict.summary()
    assert not verdict.alerts_facilitator


@pytest.mark.parametrize(
    "text",
    ["I'm not suicidal", "I have never self-harmed", "no thoughts of harming myself", "I don't want to die"],
)
def test_negated_hit_is_recorded(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert verdict.negated and verdict.subject is Subject.STUDENT and verdict.rule is not None


NOT_NEGATED = [
    # negations that belong to the risk phrase itself
    "I don't want to live anymore",
    "I'm not sure I want to be alive",
    "I can't go on",
    "I don't feel safe at home",
    # negators that do not govern the trigger
    "I can't sleep I want to die",
    "I can't stop thinking about killing myself",
    "I'm not okay. I want to die.",
    "not gonna lie i want to die",
    "I'm not going to lie, I want to die",
    "No I want to die",
    "I'm not suicidal but I have been cutting again",
    "I don't want to die but I don't want to be here anymore",
    # cancellers
    "I've never wanted to die more than today",
]


@pytest.mark.parametrize("text", NOT_NEGATED)
def test_not_negated(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert verdict.alerts_facilitator, verdict.summary()


# --------------------------------------------------------------------------------------------
# quotation, reported speech, patients, someone else
# --------------------------------------------------------------------------------------------

PATIENT_CONTENT = [
    "the patient said she wanted to die",
    "he told me he'd taken an overdose",
    "she had cut herself",
    "The patient kept saying 'I want to kill myself' during the interview.",
    'She said "I want to die"',
    "She said \u201cI don\u2019t want to be here anymore\u201d and went quiet.",
    "The teenager told the nurse 'I just want to die' and then refused to talk.",
    "she said I want to die",
    "He keeps telling the nurses he wants to die and refusing food.",
    "I saw the consultant and then a patient. He said he wanted to die.",
    "Mr B described wanting to end it all since his wife died.",
    "She said she doesn't feel safe at home because of her husband.",
    "The patient was actively suicidal and needed one-to-one observation.",
]


@pytest.mark.parametrize("text", PATIENT_CONTENT)
def test_patient_content(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert not verdict.risk, verdict.summary()
    assert verdict.subject is Subject.PATIENT, verdict.summary()
    assert verdict.category is not None
    assert reply_variant(verdict) is None


def test_quoted_flag(rules: SafeguardingRules) -> None:
    verdict = rules.check("The patient kept saying 'I want to kill myself' during the interview.")
    assert verdict.quoted and verdict.subject is Subject.PATIENT
    own = rules.check("I keep telling myself 'I want to die' and I can't shake it")
    assert own.alerts_facilitator and own.quoted


OTHER_AT_RISK = [
    "My flatmate told me she wants to kill herself.",
    "I'm really worried about my friend, she's been cutting herself",
    "One of my friends in our year said he's going to end it all after finals.",
    "My friend is suicidal",
]


@pytest.mark.parametrize("text", OTHER_AT_RISK)
def test_someone_else_at_risk(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert verdict.risk and verdict.subject is Subject.OTHER, verdict.summary()
    assert verdict.concerns_someone_else
    assert not verdict.alerts_facilitator  # the participant information only covers the student's own risk
    assert reply_variant(verdict) == "someone_else"


PATIENT_SAFETY = [
    "the nurse hit the patient",
    "the wrong drug was given to bed 4",
    "nobody checked on him and he absconded",
    "There was a near miss today where the wrong patient's bloods were labelled.",
    "The registrar smelled of alcohol on the night shift.",
    "I was told to sign the controlled drugs book for something I didn't witness.",
]


@pytest.mark.parametrize("text", PATIENT_SAFETY)
def test_patient_safety(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert verdict.risk and verdict.category is Category.PATIENT_SAFETY, verdict.summary()
    assert verdict.is_patient_matter and verdict.subject is Subject.PATIENT
    assert not verdict.alerts_facilitator
    assert reply_variant(verdict) == "patient_safety"


TOPICS = [
    "Had teaching on suicide risk assessment this morning.",
    "I asked the patient about thoughts of suicide for the first time.",
    "Today I learnt how to ask about self-harm sensitively.",
    "The patient asked if I'd ever self-harmed, and I wasn't sure how to answer.",
    'We were told to ask "have you ever thought about killing yourself?" directly.',
    "If you ever feel unsafe on placement, contact the placement lead.",
    "Suicidal ideation is common in depression.",
    "I find it hard to talk to suicidal patients.",
    "We covered how a near miss should be reported in our patient safety teaching.",
    "Everyone wants to die at home, says the palliative care team.",
    "The lecture made me think about suicide in doctors.",
]


@pytest.mark.parametrize("text", TOPICS)
def test_topics_are_not_disclosures(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert not verdict.risk, verdict.summary()


BEREAVEMENT = [
    "My grandad took his own life when I was twelve, and this placement brings it back.",
    "I keep thinking about the man who killed himself on the ward last year.",
    "We lost a consultant to suicide last year.",
]


@pytest.mark.parametrize("text", BEREAVEMENT)
def test_someone_elses_past_suicide_is_not_a_current_risk(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert not verdict.risk, verdict.summary()
    assert all(h.excluded_by == "bereavement.completed" or not h.risk for h in verdict.hits)


def test_bereavement_does_not_hide_the_students_own_risk(rules: SafeguardingRules) -> None:
    verdict = rules.check("My best friend killed herself in October and since then I've wanted to die.")
    assert verdict.alerts_facilitator and verdict.category is Category.SUICIDAL


def test_generic_plurals_are_nobody_in_particular(rules: SafeguardingRules) -> None:
    assert not rules.check("Doctors who feel suicidal rarely ask for help.").risk
    assert not rules.check("My consultant told me that one in four doctors has thought about suicide.").risk
    assert rules.check("The nurses were rough with the patient.").is_patient_matter


# --------------------------------------------------------------------------------------------
# hyperbole and accidents
# --------------------------------------------------------------------------------------------

HYPERBOLE = [
    "this essay is killing me",
    "I could murder a coffee",
    "I died of embarrassment",
    "dying to see how she gets on",
    "just killing time before clinic",
    "I wanted to die of embarrassment when my phone went off",
    "That teaching session was so boring I wanted to die.",
    "I could have killed myself laughing",
    "I overdosed on caffeine before the OSCE",
    "My consultant will kill me if I'm late again.",
    "I cut myself shaving this morning",
    "I hurt myself playing netball",
    "I can't go on placement tomorrow, I've got a temperature",
    "it really hit me that she was my age",
    "that story really touched me",
    "My friend told me she'd been cutting back on caffeine.",
    "I've been burning out this term",
    "The registrar was drunk at the Christmas party, which was funny.",
]


@pytest.mark.parametrize("text", HYPERBOLE)
def test_hyperbole(rules: SafeguardingRules, text: str) -> None:
    verdict = rules.check(text)
    assert not verdict.risk, verdict.summary()


def test_exclusion_is_recorded(rules: SafeguardingRules) -> None:
    verdict = rules.check("I wanted to die of embarrassment")
    assert verdict.rule is None
    assert [h.excluded_by for h in verdict.hits] == ["hyperbole.die_of"]
    assert "excluded: hyperbole.die_of" in verdict.summary()


# --------------------------------------------------------------------------------------------
# API details
# --------------------------------------------------------------------------------------------


def test_empty_and_whitespace(rules: SafeguardingRules) -> None:
    for text in ("", "   ", "\n\n"):
        verdict = rules.check(text)
        assert verdict == Verdict(False, None, None, None, None)
        assert not verdict.alerts_facilitator and not verdict.is_patient_matter


def test_default_check_is_cached() -> None:
    assert default_rules() is default_rules()
    assert check("I want to kill myself").alerts_facilitator


def test_normalise() -> None:
    assert normalise("I\u2019m  NOT ok\u2026 I dont know") == "i'm not ok... i don't know"
    assert normalise("I am not, I do not") == "i'm not, i don't"
    assert normalise("\u201cquoted\u201d") == '"quoted"'


def test_verdict_as_dict_is_json(rules: SafeguardingRules) -> None:
    verdict = rules.check("The patient said she wanted to die. I want to die too.")
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["alerts_facilitator"] is True
    assert data["category"] == "suicidal" and data["subject"] == "student"
    assert {h["subject"] for h in data["hits"]} == {"patient", "student"}


def test_summary_lines(rules: SafeguardingRules) -> None:
    assert rules.check("I want to kill myself").summary().startswith("ALERT  suicidal/student")
    assert rules.check("the nurse hit the patient").summary().startswith("RISK  patient_safety/patient")
    assert rules.check("lovely day on the ward").summary() == "ok"
    assert "[negated]" in rules.check("I'm not suicidal").summary()


def test_long_message_is_fast(rules: SafeguardingRules) -> None:
    import time

    text = " ".join(i.text for i in load_corpus())[:4096]  # Telegram's limit
    started = time.perf_counter()
    rules.check(text)
    assert time.perf_counter() - started < 1.0
