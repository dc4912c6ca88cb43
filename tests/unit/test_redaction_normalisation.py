"""Tests for the redactor's tricks (issue 10): invisible characters (zero-width space, soft hyphen) inside an
identifier and look-alike letters in a name are redacted with the identifier, whole."""

from __future__ import annotations

from bot.core.privacy.redaction import Redactor


def test_zero_width_space_inside_an_nhs_number_is_redacted_whole(r: Redactor) -> None:
    text = "Her NHS number was 943\u200b476\u200b5919 on the form."
    res = r.redact(text)
    assert res.text == "Her NHS number was [NHS_NUMBER] on the form."
    assert [(s.text, s.type) for s in res.spans] == [("943\u200b476\u200b5919", "NHS_NUMBER")]


def test_zero_width_between_every_digit(r: Redactor) -> None:
    text = "Number " + "\u200b".join("9434765919") + " is hers."
    assert r.redact(text).text == "Number [NHS_NUMBER] is hers."


def test_soft_hyphen_and_zero_width_inside_names(r: Redactor) -> None:
    assert r.redact("Dr Pat\u00adel asked me to present.").text == "Dr [NAME] asked me to present."
    assert r.redact("I met Mrs Ho\u200blloway on the ward.").text == "I met Mrs [NAME] on the ward."


def test_cyrillic_look_alike_in_a_name(r: Redactor) -> None:
    text = "I spoke to S\u0430rah about the results."  # Cyrillic а
    res = r.redact(text)
    assert res.text == "I spoke to [NAME] about the results."
    assert res.spans[0].text == "S\u0430rah"


def test_soft_hyphen_inside_a_date_and_phone(r: Redactor) -> None:
    assert r.redact("It happened on 12/\u00ad03/2023 at night.").text == "It happened on [DATE] at night."
    assert r.redact("Ring 07700\u200b900\u200b123 please").text == "Ring [PHONE] please"
