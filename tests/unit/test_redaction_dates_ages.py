"""Tests for the redaction rules of dates and ages (bot.core.privacy.redaction_dates, redaction_ages), and the new
structured forms of issue 10 (mostly dates and ages, with some numbers, addresses and a place)."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import found, types_of

# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "date",
    [
        "12/03/2024",
        "12-03-24",
        "12.03.2024",
        "2024-03-12",
        "2024/02/28",
        "3 March 2024",
        "March 3rd",
        "3rd of March",
        "Monday 4th",
        "Tuesday 12th March",
        "Wednesday the 6th",
        "1st June 2023",
        "9 Sept 2023",
        "23 Dec 2023",
        "October 2022",
        "December 12th",
        "Sat 2nd March",
        "1 Jan",
        "May 5th",
        "4.3.24",
    ],
)
def test_dates(r: Redactor, date: str) -> None:
    assert found(r, f"It was {date}, I remember.") == [(date, "DATE")]


def test_ordinal_dates_in_context(r: Redactor) -> None:
    assert found(r, "I last saw her on the 14th, before the move.") == [("the 14th", "DATE")]
    assert found(r, "Her birthday is on the 30th and she wants to go home.") == [("the 30th", "DATE")]
    assert found(r, "DOB 01/02/1950") == [("01/02/1950", "DATE")]
    assert found(r, "seen on 7/10 with pain") == [("7/10", "DATE")]


@pytest.mark.parametrize(
    "text",
    [
        "It took 3 weeks",
        "Clinic at 09:00",
        "May I say something?",
        "We may 2x the dose",
        "I may march in May",
        "As a 2nd year",
        "On the 2nd floor",
        "For the 3rd time",
        "BP 145/90",
        "GCS 14/15",
        "Pain 7/10",
        "In March the ward closed",
        "On Monday I cried",
        "Born in 1999",
        "In the 1990s",
        "Section 2 on 3 wards",
        "He scored 28/30",
        "It was 20/20 hindsight",
        "The 1st of many talks",
        "She took 5mg in May",
    ],
)
def test_date_negatives(r: Redactor, text: str) -> None:
    assert "DATE" not in types_of(r, text), found(r, text)


# --------------------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("a 45-year-old man", "45"),  # the number only, since round 9 (the unit stays readable)
        ("aged 72 and alone", "72"),
        ("a 58 yo builder", "58"),
        ("age 16, no history", "16"),
        ("she was 19 when it began", "19"),
        ("He's 32 and", "32"),
        ("he turned 18 on the ward", "18"),
        ("a seventy-two-year-old man", "seventy-two"),
        ("her 6-week-old baby", "6"),
        ("only 3 months old", "3"),
        ("The woman, 38, had", "38"),
        ("A woman of 64 came in", "64"),
        ("aged just 19, living in a tent", "19"),
        ("At 17 she was caring for her mum", "17"),
        ("35F with abdominal pain", "35"),
        ("his 18th birthday", "18th"),
    ],
)
def test_ages(r: Redactor, text: str, age: str) -> None:
    assert (age, "AGE") in found(r, text)


@pytest.mark.parametrize(
    "text",
    [
        "She was in her 80s",
        "He was in his seventies",
        "she was 5 minutes late",
        "he was 3 out of 10",
        "she was 19 weeks pregnant",
        "Over 65s are at risk",
        "aged 18-25",
        "for 40 years",
        "she was 2nd in line",
        "he was one of the few",
        "a 5F catheter",
        "It was 7.5 on the scale",
    ],
)
def test_age_negatives(r: Redactor, text: str) -> None:
    assert "AGE" not in types_of(r, text), found(r, text)


# --------------------------------------------------------------------------- issue 10: new structured forms


@pytest.mark.parametrize(
    ("text", "value", "typ"),
    [
        ("I saw her again on the 28th and she had improved.", "the 28th", "DATE"),
        ("The follow-up was booked for 01/06 but nobody told her.", "01/06", "DATE"),
        ("We first met at Christmas 2023, when she was admitted.", "Christmas 2023", "DATE"),
        ("He died on Boxing Day 2022.", "Boxing Day 2022", "DATE"),
        ("He was discharged on Tues 14/11 with an inhaler.", "Tues 14/11", "DATE"),
        ("A 34 year old woman came in.", "34", "AGE"),
        ("The patient, aged 63, had never seen a doctor.", "63", "AGE"),
        ("He told me he'd be 70 next month.", "70", "AGE"),
        ("His hospital number 4471203 was on every sheet.", "4471203", "HOSPITAL_NUMBER"),
        ("Number 3318842 on the wristband didn't match.", "3318842", "HOSPITAL_NUMBER"),
        ("Ring the ward on 01632  960  112 to check.", "01632  960  112", "PHONE"),
        ("She lives at 14 Heol y Coed, up the hill.", "14 Heol y Coed", "ADDRESS"),
        ("She gave her address as Rose Cottage, near the church.", "Rose Cottage", "ADDRESS"),
        ("They had lived at The Old Vicarage for years.", "The Old Vicarage", "ADDRESS"),
        ("He moved into Flat 4B last year.", "Flat 4B", "ADDRESS"),
        ("Her house is called Bryn Awel and it is at the end of a track.", "Bryn Awel", "ADDRESS"),
        ("Ms Ahmed-Khan, 47, was waiting.", "47", "AGE"),
        ("Her kids, aged 4, 6 and 9, were at school.", "9", "AGE"),
        ("She was seen 14th-16th March on the unit.", "14th-16th March", "DATE"),
        ("It was xmas 2022 and the ward was full.", "xmas 2022", "DATE"),
        ("Ring 0 7 7 0 0 9 0 0 1 2 3 after six.", "0 7 7 0 0 9 0 0 1 2 3", "PHONE"),
        ("He was transferred to Heartlands overnight.", "Heartlands", "LOCATION"),
        ("She lives at The Laurels with her son.", "The Laurels", "ADDRESS"),
        ("She'd turned 30 that week.", "30", "AGE"),
        ("I'm 22 and she is my age.", "22", "AGE"),
        ("She's turning 50 next week.", "50", "AGE"),
        ("It happened on the twenty-eighth of March.", "the twenty-eighth of March", "DATE"),
        ("Her op is Weds 5th.", "Weds 5th", "DATE"),
        ("Admitted 3/6, discharged 9/6.", "9/6", "DATE"),
        ("The man in bed 5 was 102 and still did the crossword.", "102", "AGE"),
        ("Chiara was twenty-four, my age.", "twenty-four", "AGE"),
        ("The twins, both seven, sat quietly.", "seven", "AGE"),
        ("His passenger, 19, died at the scene.", "19", "AGE"),
        ("He was admitted over the Christmas of 2021.", "the Christmas of 2021", "DATE"),
    ],
)
def test_new_structured_forms(r: Redactor, text: str, value: str, typ: str) -> None:
    assert (value, typ) in found(r, text)


@pytest.mark.parametrize(
    "text",
    [
        "It was the 2nd floor and the lift was broken again.",
        "For the 3rd time that week the bleep went off.",
        "He scored 24/30 on the MoCA and 3/5 on recall.",
        "She needs 24/7 care now.",
        "We did 100 compressions a minute.",
        "Christmas on the ward is strange.",
        "Her pain is 7/10 today.",
        "The score was 24 and rising.",
        "For the third time she asked.",
        "I'm 3 weeks into placement and he's 6 foot tall.",
    ],
)
def test_new_structured_negatives(r: Redactor, text: str) -> None:
    assert types_of(r, text) <= {"NAME"} and "DATE" not in types_of(r, text), found(r, text)
