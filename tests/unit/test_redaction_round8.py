"""Round 8 of the redactor (issue 10): the kinds of miss the `gen-r8` development lines and the round's probes showed,
checked with other names, numbers and streets than those lines hold, and the look-alikes each rule must leave."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import hidden, shown


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a word listed with a name is a name
        ("Wanjiru, Otieno and Kiptoo came in together", "Kiptoo"),
        ("Wanjiru, Otieno and Kiptoo came in together", "Otieno"),
        ("tendai and kemi were on the same firm", "tendai"),
        # a sentence opener followed by a role, a team or a desk
        ("Rutendo the physio got him walking", "Rutendo"),
        ("Thabo on the discharge team sorted the transport", "Thabo"),
        ("nomvula the receptionist knew him", "nomvula"),
        # an apposed age, a person's verb or auxiliary, a dash apposition, a question to them
        ("Tafadzwa, 38, came in with sickle cell crisis", "Tafadzwa"),
        ("Bongani (61) asked for his wife", "Bongani"),
        ("Lindiwe will go home on Friday", "Lindiwe"),
        ("Themba never complained once", "Themba"),
        ("Zanele hates hospitals", "Zanele"),
        ("Sipho – the HCA – sat with her", "Sipho"),
        ('"Mulugeta, can you help me up?"', "Mulugeta"),
        ("tsegaye was upset when we left", "tsegaye"),
        ("the hca meseret stayed late", "meseret"),
        # lower case after "spoke to"; "calls him"; a title glued to its name
        ("spoke to hiwot about the swap, all fine", "hiwot"),
        ("everyone on the ward calls him Tee-Jay", "Tee-Jay"),
        ("Dr.Mwangi said I could go", "Mwangi"),
        # names from the round's lists, where no context helps
        ("Kelechi on nights again", "Kelechi"),
        ("Robbo on the porter team", "Robbo"),
        ("Ionut is my clinical partner", "Ionut"),
    ],
)
def test_round_eight_names(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("a lass of 15 who had taken an overdose", "15"),
        ("she is fifty today and spent it on the ward", "fifty"),
        ("he is 70 tomorrow", "70"),
        ("at seventy-two, she still walked to the shops", "seventy-two"),
        ("And at sixty-three, he retired", "sixty-three"),
        ("will be 16 next month so still paeds", "16"),
        ("she will turn 40 in the spring", "40"),
        ("they celebrated his 90th on the ward", "90th"),
        ("a 3/7 old baby with jaundice", "3/7"),
    ],
)
def test_round_eight_ages(r: Redactor, text: str, age: str) -> None:
    assert hidden(r, text, age), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("42 Broadway, Didcot was the address on the letter", "42 Broadway, Didcot"),
        ("her flat at 9 Southgate, Elgin had damp", "9 Southgate, Elgin"),
        ("his house at 3 Mill Lane, Settle has a ramp now", "3 Mill Lane, Settle"),
    ],
)
def test_round_eight_addresses(r: Redactor, text: str, address: str) -> None:
    assert hidden(r, text, address), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("we meet at twenty, she said", "twenty"),
        ("you'll turn left at the lights", "left"),
        ("his PSA was 9 and rising", "9"),
        ("in with DKA again, second time this year", "DKA"),
        ("a 2yo with a barking cough and stridor", "stridor"),
        ("a young man (19) with testicular pain", "testicular"),
        ("Doppler showed a DVT", "Doppler"),
        ("Korotkoff sounds were hard to hear", "Korotkoff"),
        ("Heol means road in Welsh", "Heol"),
        ("nothin feels real anymore", "nothin"),
        ("her mum doesn't know yet", "doesn't"),
        ("Faith in the team is what got me through", "Faith"),
        ("Tazocin on the drug chart was missed", "Tazocin"),
        ("Okafor and Crohn's disease", "Crohn's"),
        ("Dr Okafor, Tuesday and Thursday clinics", "Tuesday"),
        ("Ammi says to be patient", "Ammi"),
    ],
)
def test_round_eight_look_alikes_stay(r: Redactor, text: str, kept: str) -> None:
    assert shown(r, text, kept), r.redact(text).text


def test_copula_after_a_town_still_opens_its_own_clause(r: Redactor) -> None:
    # round 7's choice stands: a town before "is" starts a clause of its own
    text = "She lives at 8 Ffordd Las, Rhyl is where she grew up"
    assert shown(r, text, "Rhyl is where")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I asked rutendo to check the obs", "rutendo"),
        ("Me and wambui went for lunch after clinic", "wambui"),
        ("Mrs chebet was upset about the delay", "chebet"),
        ("Dr kiptoo was lovely to me", "kiptoo"),
    ],
)
def test_lower_case_name_in_capitalised_text(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("She told the nurse she'd been self-harming.", "she'd"),
        ("I sat down and didn't speak again.", "didn't"),
        ("I clerked a woman with catatonia.", "catatonia"),
        ("The sim facilitator said it was fine.", "facilitator"),
        ("I saw thrombolysis for the first time.", "thrombolysis"),
    ],
)
def test_lower_case_words_in_capitalised_text_stay(r: Redactor, text: str, kept: str) -> None:
    assert shown(r, text, kept), r.redact(text).text
