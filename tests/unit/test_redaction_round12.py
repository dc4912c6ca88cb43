"""Round 12 of the redactor (issue 10): the context cues and broad shapes for ages, dates, addresses and names that
the `gen-r12` development lines showed slipping, checked with other numbers, names and frames than those lines hold;
and the look-alikes (doses, times, scores, gestations, counts, ordinals before nouns) that must stay readable."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import hidden, shown


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # an age opening a sentence before what the person is or does
        ("69 and still working on the farm, he told us", "69"),
        ("Seen today. 85 and never been admitted before.", "85"),
        # "at N" closing a clause
        ("she had her first stroke at 51.", "51"),
        ("he stopped drinking at forty", "forty"),
        ("at the age of 67, he said, he had never been ill", "67"),
        # a person of an age, an age told, an age guessed
        ("a baby of 3 with a wheeze", "3"),
        ("she gave her age as 57 but her notes said otherwise", "57"),
        ("she must be 90 if she's a day", "90"),
        ("he'd be about 75 or so", "75"),
        # a list of ages after plural people
        ("the residents were 81, 86 and 93", "86"),
        ("the residents were 81, 86 and 93", "93"),
        # an age told last in a note
        ("Lives with wife, walks with frame, 87", "87"),
        # a word age narrowed to its number, "-teen" words too
        ("a seventeen-year-old with a head injury", "seventeen"),
    ],
)
def test_round_twelve_ages(r: Redactor, text: str, age: str) -> None:
    assert hidden(r, text, age), r.redact(text).text


def test_round_twelve_word_ages_keep_their_unit(r: Redactor) -> None:
    text = "she was fourteen months old at the time"
    assert hidden(r, text, "fourteen")
    assert shown(r, text, "months old")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("between the 4th and 11th he barely slept", "4th"),
        ("between the 4th and 11th he barely slept", "11th"),
        ("she was on HDU from 2/4 to 6/4", "6/4"),
        ("he came back on the twenty-third", "twenty-third"),
        ("bloods taken 21/6, all normal", "21/6"),
        ("w/c 8/9 the rota changes", "8/9"),
        ("her appointment is 23.4 at the eye clinic", "23.4"),
        ("the flood was on Bonfire night 2016", "Bonfire night 2016"),
    ],
)
def test_round_twelve_dates(r: Redactor, text: str, date: str) -> None:
    assert hidden(r, text, date), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("he lives on a narrowboat called Morning Star, by the marina", "Morning Star"),
        ("they live aboard Windrush on the river", "Windrush"),
        ("she has a room in flat 7c above the shop", "flat 7c"),
        ("the address on his discharge letter was Hafan Deg, Abersoch", "Hafan Deg, Abersoch"),
        ("she lives on Wheal Agar near the old mine", "Wheal Agar"),
        ("he gave 31 Leith Brae as his address", "31 Leith Brae"),
    ],
)
def test_round_twelve_addresses(r: Redactor, text: str, address: str) -> None:
    assert hidden(r, text, address), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I was with Mason for the whole list", "Mason"),
        ("we did the clinic with Carpenter and she was brilliant", "Carpenter"),
        ("I was on nights with Fisher and Cook", "Cook"),
        ("worked with Turner on the stroke unit", "Turner"),
        ("Hye-jin Kim was the F2 that week", "Hye-jin"),
        ("Hye-jin Kim was the F2 that week", "Kim"),
    ],
)
def test_round_twelve_names(r: Redactor, text: str, name: str) -> None:
    assert hidden(r, text, name), r.redact(text).text


@pytest.mark.parametrize(
    ("text", "part"),
    [
        # doses, times, scores, gestations, durations, beds and results
        ("we gave 10 mg of metoclopramide", "10 mg"),
        ("teaching is at 2 and the ward round at 4", "at 2"),
        ("GCS 13 and dropping", "GCS 13"),
        ("PHQ-9 of 21 at the first review", "PHQ-9 of 21"),
        ("she was 8/52 pregnant", "8/52"),
        ("a 4/12 history of night sweats", "4/12"),
        ("the helpline is 24/7", "24/7"),
        ("a man in his 60s with a cough", "60s"),
        ("BP 150/95 on two readings", "150/95"),
        ("bay 2 bed 5 is the lady with the PE", "bed 5"),
        # "at N" after a time or a measure, a small count last in a line, ordinals before nouns
        ("we finished at 17.", "17"),
        ("her sats settled at 96.", "96"),
        ("Diet: soft, fluids: normal, 3", "3"),
        ("between 1st and 2nd year I took a year out", "1st"),
        ("the scan was flat 3 weeks later", "flat 3"),
        # not a person after "with": a condition, a possessive eponym, a drug
        ("I saw a girl with Down syndrome in clinic", "Down"),
        ("we met a man with Parkinson's disease", "Parkinson"),
        ("I treated her with Tazocin and fluids", "Tazocin"),
        # a hyphenated word that is English
        ("the X-ray and the co-op were both shut", "co-op"),
    ],
)
def test_round_twelve_look_alikes_stay_readable(r: Redactor, text: str, part: str) -> None:
    assert shown(r, text, part), r.redact(text).text
