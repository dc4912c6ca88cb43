"""Tests for bot.core.privacy.redaction: one block per rule, offsets, extra spans, config, NER hook, corpus goals."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import unicodedata
from collections import Counter
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.privacy.redaction import (
    ALL_RULES,
    DEFAULT_TOML,
    RedactionConfig,
    Redactor,
    Span,
    default_redactor,
    is_valid_nhs_number,
    nhs_check_digit,
    redact,
)
from tests.support.paths import DATA, ROOT

CORPUS = DATA / "redaction_corpus.jsonl"


def found(r: Redactor, text: str) -> list[tuple[str, str]]:
    return [(s.text, s.type) for s in r.find(text)]


def types_of(r: Redactor, text: str) -> set[str]:
    return {s.type for s in r.find(text)}


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


# --------------------------------------------------------------------------- addresses


def test_addresses(r: Redactor) -> None:
    assert found(r, "He lives at 12 Acacia Road, SW1A 1AA.") == [
        ("12 Acacia Road", "ADDRESS"),
        ("SW1A 1AA", "POSTCODE"),
    ]
    assert ("Flat 3, 27 Victoria Street", "ADDRESS") in found(r, "at Flat 3, 27 Victoria Street today")
    assert "ADDRESS" not in types_of(r, "Ward 7 Rose Ward and bed 12")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mr Smith came in", "Smith"),
        ("Mrs O'Neill smiled", "O'Neill"),
        ("Miss Fairbairn-Jones", "Fairbairn-Jones"),
        ("Mx Taylor said", "Taylor"),
        ("Dr. Patel said", "Patel"),
        ("Prof Okoye", "Okoye"),
        ("Professor Lindqvist", "Lindqvist"),
        ("Sister Agnes Byrne", "Agnes Byrne"),
        ("Nurse Adeyemi", "Adeyemi"),
        ("Dr J. R. Hartley", "J. R. Hartley"),
        ("Dr de Souza", "de Souza"),
        ("Mrs Van der Merwe", "Van der Merwe"),
        ("Mr al-Hassan", "al-Hassan"),
        ("Mr McAllister", "McAllister"),
        ("I'll call him Mr A to protect him", "A"),
        ("Mrs Bell and Mr Parkinson", "Bell"),
    ],
)
def test_titled_names(r: Redactor, text: str, name: str) -> None:
    assert (name, "NAME") in found(r, text)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("There was a patient called Sarah.", ["Sarah"]),
        ("a man named John Smith arrived", ["John Smith"]),
        ("Her son Tom sat in the corner.", ["Tom"]),
        ("His wife, Margaret, stayed.", ["Margaret"]),
        ("my consultant Dr Patel", ["Patel"]),
        ("Mrs Jones' daughter Emily was furious", ["Jones", "Emily"]),
        ("I'll call her Anna.", ["Anna"]),
        ("Patient X, Fred, waited six weeks.", ["Fred"]),
        ("The patient (let's call her Maya) left.", ["Maya"]),
        ("The nurse in charge, Grace, told me.", ["Grace"]),
        ("Her husband Bill sat with her.", ["Bill"]),
        ("her son tom was there", ["tom"]),
        ("a woman called Zorblax", ["Zorblax"]),
        ("I asked Will whether he was ok.", ["Will"]),
        ("Mark said he had not slept.", ["Mark"]),
        ("Will's mum came to every appointment.", ["Will"]),
        ("Grace Okafor is the SHO.", ["Grace Okafor"]),
        ("Siobhan had been told.", ["Siobhan"]),
        ("I met Mohammed Al-Amin on Tuesday.", ["Mohammed Al-Amin"]),
        ("i think jess was the only one who noticed", ["jess"]),
    ],
)
def test_context_and_list_names(r: Redactor, text: str, names: list[str]) -> None:
    got = [t for t, typ in found(r, text) if typ == "NAME"]
    assert got == names


def test_name_propagation(r: Redactor) -> None:
    text = "Her daughter Hope visited. Hope was upset, and Mrs Okoro said Okoro is a common name."
    got = [t for t, typ in found(r, text) if typ == "NAME"]
    assert got == ["Hope", "Hope", "Okoro", "Okoro"]


@pytest.mark.parametrize(
    "text",
    [
        "May I say something?",
        "Will power is not enough.",
        "Grace under pressure is rare.",
        "I felt awful.",
        "Joy was not a word I expected.",
        "Hope is not a plan.",
        "Bill payments piled up.",
        "Mark the chart.",
        "Rose Ward is quiet.",
        "Patients on Rose Ward stay for months.",
        "The Queen Elizabeth Hospital.",
        "A week at St Thomas' and St Mary's.",
        "The John Radcliffe was big.",
        "Ward 7 and bed 12.",
        "The F1, the ST3 and the GP on A&E.",
        "The NHS and the Mental Health Act.",
        "Section 2 on ward round.",
        "Will you be joining us?",
        "In May the rota changes.",
        "a condition called Parkinson's",
        "I called Security and then Resus.",
        "The Nurse Practitioner saw him.",
        "Christmas Eve on the ward.",
        "We called Ward 12 to ask.",
        "Dr I think said that.",
        "The consultant Psychiatrist came.",
        "Our May exams were looming.",
        "my nan always says",
        "The Grace Ward at the hospice",
    ],
)
def test_name_negatives(r: Redactor, text: str) -> None:
    assert "NAME" not in types_of(r, text), found(r, text)


# --------------------------------------------------------------------------- offsets and text preservation


def _assert_preserved(text: str, result_text: str, spans: tuple[Span, ...], placeholder: str = "[{type}]") -> None:
    pos = 0
    out = 0
    for s in spans:
        assert s.text == text[s.start : s.end]
        gap = text[pos : s.start]
        assert result_text[out : out + len(gap)] == gap
        out += len(gap)
        ph = placeholder.format(type=s.type)
        assert result_text[out : out + len(ph)] == ph
        out += len(ph)
        pos = s.end
    assert result_text[out:] == text[pos:]


def test_offsets_are_code_points(r: Redactor) -> None:
    text = "😀 Zoë’s mum 👩🏽‍⚕️ rang Dr Nwosu on 07700 900123 — café 🇬🇧 SW1A 1AA."
    res = r.redact(text)
    by_type = {s.type: s for s in res.spans}
    assert text[by_type["PHONE"].start : by_type["PHONE"].end] == "07700 900123"
    assert [text[s.start : s.end] for s in res.spans if s.type == "NAME"] == ["Zoë", "Nwosu"]
    assert res.text == "😀 [NAME]’s mum 👩🏽‍⚕️ rang Dr [NAME] on [PHONE] — café 🇬🇧 [POSTCODE]."
    _assert_preserved(text, res.text, res.spans)


IDENTIFIERS = st.sampled_from(
    [
        "Mrs Jones",
        "943 476 5919",
        "07700 900123",
        "sam@nhs.net",
        "SW1A 1AA",
        "3 March 2024",
        "a 45-year-old",
        "MRN 1234567",
        "12 Acacia Road",
        "her son Tom",
        "Sarah",
        "Will power",
        "May I",
        "ward 7",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), IDENTIFIERS), max_size=12))
def test_offsets_property(parts: list[str]) -> None:
    r = default_redactor()
    text = " ".join(parts)
    res = r.redact(text)
    spans = res.spans
    assert list(spans) == sorted(spans, key=lambda s: s.start)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)
    _assert_preserved(text, res.text, spans)
    assert r.find(text) == list(spans)


def test_no_identifiers_leaves_text_identical(r: Redactor) -> None:
    text = "I felt out of my depth on ward round, and then I felt guilty for feeling that way.\n\nNext day: better."
    assert r.redact(text).text == text
    assert r.redact(text).spans == ()


# --------------------------------------------------------------------------- extra spans (review step)


def test_extra_spans_merge(r: Redactor) -> None:
    text = "Mrs Jones lives in Little Snoring with her cat Mittens."
    town = text.index("Little Snoring")
    cat = text.index("Mittens")
    res = r.redact(text, extra_spans=[(town, town + len("Little Snoring"), "address"), (cat, cat + 7, "")])
    assert res.text == "Mrs [NAME] lives in [ADDRESS] with her cat [REDACTED]."
    assert [s.rule for s in res.spans] == ["name_title", "extra", "extra"]
    _assert_preserved(text, res.text, res.spans)


def test_extra_span_overlapping_rule_span_wins_and_covers_union(r: Redactor) -> None:
    text = "Her son Tom Baker-Smythe came."
    start = text.index("Baker")
    res = r.redact(text, extra_spans=[(start, start + len("Baker-Smythe came"), None)])
    assert res.text == "Her son [REDACTED]."
    assert res.spans[0].text == "Tom Baker-Smythe came"


def test_extra_span_of_disabled_type_still_redacted() -> None:
    cfg = RedactionConfig.from_mapping({"types": {"NAME": False}})
    res = Redactor(cfg).redact("Mrs Jones", extra_spans=[(4, 9, "NAME")])
    assert res.text == "Mrs [NAME]"


@pytest.mark.parametrize("bad", [(-1, 3, "NAME"), (3, 3, "NAME"), (5, 4, None), (0, 99, None), (0, 2, "na me")])
def test_extra_span_validation(r: Redactor, bad: tuple[int, int, str | None]) -> None:
    with pytest.raises(ValueError):
        r.redact("Mrs Jones", extra_spans=[bad])


# --------------------------------------------------------------------------- configuration


def test_type_switched_off() -> None:
    base = RedactionConfig.from_toml()
    no_dates = Redactor(RedactionConfig.from_mapping(_toml_with(types={"DATE": False})))
    text = "Mrs Jones was seen on 3 March 2024."
    assert no_dates.redact(text).text == "Mrs [NAME] was seen on 3 March 2024."
    assert Redactor(base).redact(text).text == "Mrs [NAME] was seen on [DATE]."


def test_rule_switched_off() -> None:
    off = Redactor(RedactionConfig.from_mapping(_toml_with(rules={"disabled": ["name_list", "name_lexicon"]})))
    assert off.redact("Siobhan said hello to Mr Byrne.").text == "Siobhan said hello to Mr [NAME]."


def test_word_lists_extend_and_placeholder() -> None:
    data = _toml_with()
    data["names"]["first_names"].append("Zorblax")
    data["placeholder"] = "<{type}>"
    red = Redactor(RedactionConfig.from_mapping(data))
    assert red.redact("Zorblax rang 07700 900123").text == "<NAME> rang <PHONE>"


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        RedactionConfig.from_mapping({"types": {"SHOE_SIZE": True}})
    with pytest.raises(ValueError):
        RedactionConfig.from_mapping({"rules": {"disabled": ["no_such_rule"]}})
    with pytest.raises(ValueError):
        RedactionConfig.from_mapping({"rules": {"priority": ["NAME"]}})
    with pytest.raises(ValueError):
        RedactionConfig.from_mapping({"names": {"titles": "Mr"}})
    with pytest.raises(ValueError):
        RedactionConfig(placeholder="[]")


def test_toml_lists_every_rule_and_loads() -> None:
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert rule in text, rule
    cfg = RedactionConfig.from_toml()
    assert len(cfg.first_names) >= 500
    assert {"Will", "May", "Hope", "Grace", "Joy", "Bill", "Mark", "Rose"} <= cfg.ambiguous_first_names


def test_bare_config_still_finds_structural_identifiers() -> None:
    red = Redactor(RedactionConfig())
    assert red.redact("Sarah, 943 476 5919, sam@nhs.net, 3 March 2024").text == "Sarah, [NHS_NUMBER], [EMAIL], [DATE]"


def _toml_with(**sections: dict[str, Any]) -> dict[str, Any]:
    import tomllib

    data = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return data


# --------------------------------------------------------------------------- NER hook


def test_ner_hook_adds_spans_and_respects_types() -> None:
    def fake_ner(text: str) -> list[Span]:
        i = text.find("Qwertyuiop")
        out = [Span(-5, 2, "NAME", "bad"), Span(0, 10_000, "NAME", "bad")]  # ignored: out of range
        if i >= 0:
            out.append(Span(i, i + 10, "NAME", "Qwertyuiop"))
        out.append(Span(0, 3, "DATE", "The"))
        return out

    cfg = RedactionConfig.from_mapping(
        _toml_with(types={"DATE": False}, rules={"disabled": ["name_unknown_capitalised"]})
    )
    red = Redactor(cfg, ner=fake_ner)
    res = red.redact("Yesterday Qwertyuiop left.")
    assert res.text == "Yesterday [NAME] left."
    assert [s.rule for s in res.spans] == ["ner"]
    assert Redactor.from_toml(ner=fake_ner).redact("The end").text == "[DATE] end"


# --------------------------------------------------------------------------- module hygiene


def test_convenience_redact() -> None:
    assert redact("Call Mrs Jones on 07700 900123") == "Call Mrs [NAME] on [PHONE]"
    assert default_redactor() is default_redactor()


def test_domain_module_imports_no_io_layers() -> None:
    code = (
        "import sys, bot.core.privacy.redaction as m; m.redact('Mrs Jones');"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('telegram', 'storage', 'sqlmodel', 'sqlalchemy',"
        " 'psycopg', 'aiohttp', 'spacy')]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --------------------------------------------------------------------------- corpus


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("redaction_eval", ROOT / "benchmarks" / "redaction_eval.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["redaction_eval"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_corpus_is_well_formed() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 220
    counts: Counter[str] = Counter()
    negatives = 0
    for row in rows:
        negatives += not row["spans"]
        last = 0
        for s in sorted(row["spans"], key=lambda s: s["start"]):
            assert last <= s["start"] < s["end"] <= len(row["text"]), row
            last = s["end"]
            counts[s["type"]] += 1
            if s["type"] == "NHS_NUMBER":
                # set A hides invisible characters (zero-width, word joiner, soft hyphen) inside numbers
                digits = "".join(c for c in row["text"][s["start"] : s["end"]] if unicodedata.category(c) != "Cf")
                assert is_valid_nhs_number(digits)
    minima = {
        "NHS_NUMBER": 25,
        "EMAIL": 20,
        "PHONE": 25,
        "POSTCODE": 25,
        "DATE": 30,
        "NAME": 60,
        "AGE": 20,
        "HOSPITAL_NUMBER": 15,
    }
    for typ, n in minima.items():
        assert counts[typ] >= n, (typ, counts[typ])
    assert negatives >= 80


def test_corpus_recall_goals(r: Redactor) -> None:
    ev = _load_eval()
    # the goals hold on the tuned splits; test set A's copies (testA, testA_val) are scored and reported,
    # not gated, since its held-back third must stay an honest check
    s = ev.score(r, [row for row in ev.load_rows(CORPUS) if row.split in ("dev", "val")])
    assert s.names.recall >= 0.95, s.names.misses
    assert s.structured.recall >= 0.99, s.structured.misses
    assert s.kept >= 0.98, s.over_redacted[:20]


# --------------------------------------------------------------------------- issue 10: tricks, LOCATION, new forms


def test_first_character_hint_changes_no_match() -> None:
    """The look-ahead put in front of each rule's pattern (bot.core.privacy.first_chars) only makes it faster."""
    from bot.core.privacy.redaction_rules import RuleSet

    cfg = RedactionConfig.from_toml()
    fast, plain = RuleSet(cfg), RuleSet(cfg, first_chars=False)
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for text in texts:
        assert sorted(fast.run(text, lambda _: True)) == sorted(plain.run(text, lambda _: True)), text


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


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I shadowed Okonkwo on the ward round.", "Okonkwo"),  # a surname alone, in no list
        ("Brennan from the pain team came up twice.", "Brennan"),  # listed surname, sentence start
        ("the patient was called siobhan and she wanted to go home", "siobhan"),
        ("her husband tomasz kept asking when she could eat", "tomasz"),
        ("Mr O’Connor refused the cannula.", "O’Connor"),
        ("Mrs D’Souza asked me whether I was a real doctor.", "D’Souza"),
        ("The student nurse, Ngozi Eze-Williams, was braver than me.", "Ngozi Eze-Williams"),
        ("Łukasz was translating for his grandmother.", "Łukasz"),
        ("I met Agnès Dubois at the memory clinic.", "Agnès Dubois"),
        ("The nurse, Rose, showed me how to talk to families.", "Rose"),
        ("My patient Bill had been a miner.", "Bill"),
        ("Faith told me she had raised four children.", "Faith"),
        ("I saw Mr K. again in clinic.", "K."),
        ("Patient JD had been admitted four times.", "JD"),
        ("I'll refer to him as R. to protect him.", "R."),
        ("Paddy O’Shea (the porter) showed me a shortcut.", "Paddy O’Shea"),
        ("Ms Amara N'Diaye was frightened.", "Amara N'Diaye"),
        ("Rose, the patient in bed 2, was 88.", "Rose"),
        ("Bill kept asking for his wife.", "Bill"),
        ("Precious was the nurse in charge.", "Precious"),
        ("I spoke to Sunny about his drinking.", "Sunny"),
        ("We looked after Patience, who had dementia.", "Patience"),
        ("JB, 45, presented with chest pain.", "JB"),
        ("We saw TK in clinic.", "TK"),
        ("i saw oluwadamilola today and she was upset", "oluwadamilola"),
        ("chatted with nkemdirim about the exam", "nkemdirim"),
        ("The F2 (Ravindra) stayed late.", "Ravindra"),
        ("Ahmadzai waited four hours in A&E.", "Ahmadzai"),
        ("The patient, JT, had been in and out.", "JT"),
    ],
)
def test_new_name_forms(r: Redactor, text: str, name: str) -> None:
    assert (name, "NAME") in found(r, text)


@pytest.mark.parametrize(
    "text",
    [
        "I will try to speak up more next time.",
        "He paid the bill with coins.",
        "I have faith in the team.",
        "She rose from the chair slowly.",
        "There is hope for him, the consultant said.",
        "In May the rota changes.",
        "My placement in Manchester was the first time I saw real deprivation.",
        "She lives on a farm near Brecon.",  # a town not in any list, after "near": kept
        "He was prescribed Oramorph and spoke only Tigrinya.",
        "We used Google Translate because the interpreter didn't come.",
        "Hope was all she had left.",
        "Summer was busy on the ward.",
        "Patience is needed in this job.",
        "Will power kept him going.",
        "We saw CT and MRI results.",
        "pt came in with dka and nstemi, gave paracetamol with cyclizine",
    ],
)
def test_words_that_are_names_stay_when_no_person_is_meant(r: Redactor, text: str) -> None:
    assert "NAME" not in types_of(r, text)


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


@pytest.mark.parametrize(
    "word",
    ["Tinzaparin", "Rheumatology", "Endoscopy", "Gentamicin", "Quetiapine", "Lamotrigine", "Spotify", "Quran",
     "Datix", "Propofol", "Hartmann's"],
)  # fmt: skip
def test_capitalised_medicines_specialties_and_brands_are_not_names(r: Redactor, word: str) -> None:
    assert r.find(f"After the shift we talked about {word} for a while.") == []
