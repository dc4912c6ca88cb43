"""Tests for the redaction rules of numbers and contact details (bot.core.privacy.redaction_numbers): NHS numbers
and their mod 11 check digit, hospital numbers, phones, e-mails, postcodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.privacy.redaction import Redactor, is_valid_nhs_number, nhs_check_digit
from tests.support.redaction_support import found, types_of

# --------------------------------------------------------------------------- NHS numbers / mod 11


def test_mod11_known_numbers() -> None:
    assert is_valid_nhs_number("943 476 5919")  # NHS Digital's documentation example
    assert is_valid_nhs_number("9434765919")
    assert is_valid_nhs_number("943-476-5919")
    assert not is_valid_nhs_number("943 476 5918")
    assert not is_valid_nhs_number("943476591")  # nine digits
    assert not is_valid_nhs_number("94347659190")  # eleven
    assert nhs_check_digit("943476591") == 9
    # weights 10..2: 4*10 + 0*9 + 0*8 + 0*7 + 0*6 + 0*5 + 0*4 + 0*3 + 1*2 = 42, 42 % 11 = 9, 11 - 9 = 2
    assert nhs_check_digit("400000001") == 2
    # a remainder of 0 gives check digit 0; a remainder of 1 gives 10, which is never valid
    assert nhs_check_digit("000000000") == 0
    assert nhs_check_digit("100000001") is None  # 1*10 + 1*2 = 12, 12 % 11 = 1, 11 - 1 = 10: no valid digit
    with pytest.raises(ValueError):
        nhs_check_digit("12345678")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mod11_property(first_nine: str) -> None:
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    check = nhs_check_digit(first_nine)
    if expected == 10:
        assert check is None
        assert not any(is_valid_nhs_number(first_nine + str(d)) for d in range(10))
    else:
        assert check == expected
        for d in range(10):
            assert is_valid_nhs_number(first_nine + str(d)) == (d == check)


@pytest.mark.parametrize("number", ["943 476 5919", "9434765919", "943-476-5919", "943\u00a0476\u00a05919"])
def test_nhs_number_layouts(r: Redactor, number: str) -> None:
    text = f"Her NHS number was {number}, I think."
    assert found(r, text) == [(number, "NHS_NUMBER")]
    assert r.redact(text).text == "Her NHS number was [NHS_NUMBER], I think."


def test_nhs_number_invalid_checksum_is_generic_identifier(r: Redactor) -> None:
    assert found(r, "He gave 943 476 5918 at the desk.") == [("943 476 5918", "HOSPITAL_NUMBER")]
    assert found(r, "Number 1234567890 on the form.") == [("1234567890", "HOSPITAL_NUMBER")]


def test_nhs_number_not_inside_longer_numbers(r: Redactor) -> None:
    assert "NHS_NUMBER" not in types_of(r, "Reference 19434765919 and 94347659190.")


def test_nhs_number_in_any_layout_students_type(r: Redactor) -> None:
    """Ten digits with a valid check digit are an NHS number however they were grouped (round six, issue 10):
    4-4-2 from a form, dots, double spaces from a pasted record, one digit per box."""
    for written in ("9434 765 919", "9434 7659 19", "943.476.5919", "943  476  5919", "9 4 3 4 7 6 5 9 1 9"):
        assert found(r, f"NHS no {written} on the referral.") == [(written, "NHS_NUMBER")], written
    assert "NHS_NUMBER" not in types_of(r, "Obs 1 2 3 4 5 6 7 8 9 10 in a row.")  # no valid check digit


# --------------------------------------------------------------------------- hospital numbers


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("His MRN 1234567 was on the notes.", "1234567"),
        ("MRN: 8834512 on the band", "8834512"),
        ("MRN#4471203 on a sticker", "4471203"),
        ("hospital number RX1234567 did not match", "RX1234567"),
        ("Hospital no. 5501234 belonged to someone else", "5501234"),
        ("I wrote K1234567 on the bottle", "K1234567"),
        ("her unit no. 00432187", "00432187"),
        ("Patient ID: AB123456", "AB123456"),
        ("PAS no. A0098712", "A0098712"),
        ("her hospital number (RW6 0045671) was", "RW6 0045671"),
        ("her hosp no is M0458812", "M0458812"),
    ],
)
def test_hospital_numbers(r: Redactor, text: str, ident: str) -> None:
    assert (ident, "HOSPITAL_NUMBER") in found(r, text)


def test_keyword_with_valid_nhs_number_is_typed_nhs(r: Redactor) -> None:
    assert found(r, "CHI number 0101501234") == [("0101501234", "NHS_NUMBER")]


def test_hospital_number_negatives(r: Redactor) -> None:
    for text in ["Bed 12 on Ward 7", "B12 deficiency", "COVID19 ward", "ST3 and FY1 rota", "MRN was missing"]:
        assert "HOSPITAL_NUMBER" not in types_of(r, text), text


# --------------------------------------------------------------------------- phones / e-mails / postcodes


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700 900 123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "0044 7700 900222",
        "020 7946 0000",
        "0161 496 0000",
        "0161-496-0000",
        "(01632) 960 001",
        "01632 960001",
        "0800 123 4567",
        "0300 123 7788",
        "028 9649 6123",
    ],
)
def test_uk_phones(r: Redactor, phone: str) -> None:
    assert found(r, f"She rang from {phone} today.") == [(phone, "PHONE")]


def test_phone_trailing_number_not_swallowed(r: Redactor) -> None:
    assert found(r, "Call 07700 900123 2 times a day") == [("07700 900123", "PHONE")]


@pytest.mark.parametrize(
    "text",
    [
        "Clinic 09:00 to 17:30",
        "Call 111 or 999",
        "He took 0.5 mg",
        "BP 120/80 and HR 0110",
        "0900-1700 daily",
        "It took 2 hours",
        "Code 0123 45",
        "Ward 7, bed 12",
    ],
)
def test_phone_negatives(r: Redactor, text: str) -> None:
    assert "PHONE" not in types_of(r, text)


@pytest.mark.parametrize(
    "email",
    [
        "amelia.r.hughes@nhs.net",
        "j.okafor@bristol.ac.uk",
        "tom_b1992@hotmail.co.uk",
        "J.Smith@NHS.NET",
        "audit-team@examplehospital.nhs.uk",
        "dr_o'neil@nhs.net",
        "x+tag@y.com",
    ],
)
def test_emails(r: Redactor, email: str) -> None:
    assert found(r, f"Write to {email}.") == [(email, "EMAIL")]


def test_email_negatives(r: Redactor) -> None:
    assert types_of(r, "We met @ the cafe; email me later; user@localhost") == set()


@pytest.mark.parametrize(
    "pc", ["SW1A 1AA", "M1 1AE", "EH8 9YL", "B15 2TT", "CF10 3AT", "W1A 0AX", "m1 1ae", "ec1a 7be", "LS29JT"]
)
def test_postcodes(r: Redactor, pc: str) -> None:
    assert found(r, f"She lives near {pc} now.") == [(pc, "POSTCODE")]


@pytest.mark.parametrize(
    "text",
    [
        "The F1 2nd rotation",
        "ST3 1st on call",
        "CT1 2nd",
        "L5 S1 radiculopathy",
        "L4/5 disc",
        "me 2nd",
        "FY1 3rd week",
        "on ward 2ND",
    ],
)
def test_postcode_negatives(r: Redactor, text: str) -> None:
    assert "POSTCODE" not in types_of(r, text)
