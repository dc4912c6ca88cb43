"""Tests for the redaction rules of addresses and places of care (bot.core.privacy.redaction_addresses,
redaction_places): streets and flats, and LOCATION (issue 10): wards, hospitals, surgeries, care homes by name."""

from __future__ import annotations

import pytest

from bot.core.privacy.redaction import Redactor
from tests.support.redaction_support import found, types_of

# --------------------------------------------------------------------------- addresses


def test_addresses(r: Redactor) -> None:
    assert found(r, "He lives at 12 Acacia Road, SW1A 1AA.") == [
        ("12 Acacia Road", "ADDRESS"),
        ("SW1A 1AA", "POSTCODE"),
    ]
    assert ("Flat 3, 27 Victoria Street", "ADDRESS") in found(r, "at Flat 3, 27 Victoria Street today")
    assert "ADDRESS" not in types_of(r, "Ward 7 Rose Ward and bed 12")


# --------------------------------------------------------------------------- places of care (issue 10: LOCATION)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("He was admitted to Rowan Ward on Monday.", "Rowan Ward"),
        ("I spent my week on Ward 4B with the stroke team.", "Ward 4B"),
        ("We transferred him to Alder Hey for specialist care.", "Alder Hey"),
        ("The baby was sent to Great Ormond Street that night.", "Great Ormond Street"),
        ("I did my psychiatry placement at the Maudsley.", "the Maudsley"),
        ("My GP placement was at Parkside Surgery.", "Parkside Surgery"),
        ("The patient is registered with Riverside Medical Practice.", "Riverside Medical Practice"),
        ("She came from Sunnyside Care Home with a UTI.", "Sunnyside Care Home"),
        ("The ambulance took her to St Mary's instead of us.", "St Mary's"),
        ("He was referred to Ysbyty Gwynedd for the scan.", "Ysbyty Gwynedd"),
        ("He was treated at the Royal Infirmary of Edinburgh.", "the Royal Infirmary of Edinburgh"),
        ("I was placed on Ward C3.", "Ward C3"),
        ("Ward 4 North was chaotic.", "Ward 4 North"),
        ("Yesterday on Cardiac Ward 2 I met her.", "Cardiac Ward 2"),
        ("The baby was taken to the Neonatal Unit at Singleton.", "the Neonatal Unit at Singleton"),
        ("On Ward 2 it was quiet.", "Ward 2"),
        ("He was taken to the Princess Alexandra.", "the Princess Alexandra"),
        ("She is at the Royal Hospital for Neuro-disability.", "the Royal Hospital for Neuro-disability"),
    ],
)
def test_locations(r: Redactor, text: str, place: str) -> None:
    assert (place, "LOCATION") in found(r, text)
    assert "[LOCATION]" in r.redact(text).text


@pytest.mark.parametrize(
    "text",
    [
        "I went to the stroke unit for the afternoon.",
        "The care home staff knew her better than we did.",
        "Most of the patients on ITU were ventilated.",
        "She went to the GP surgery but they sent her to A&E.",
        "The Intensive Care Unit was full.",
        "He worked for the Royal Mail for forty years.",
    ],
)
def test_generic_units_are_not_locations(r: Redactor, text: str) -> None:
    assert "LOCATION" not in types_of(r, text)
