"""Tests for bot.core.privacy.redaction as a whole: offsets, extra spans, config, NER hook, module hygiene, corpus
goals, the first-character hint.

The rules are tested by what they find, a module each: test_redaction_numbers (NHS and hospital numbers, phones,
e-mails, postcodes), test_redaction_dates_ages, test_redaction_places (addresses, places of care),
test_redaction_names, test_redaction_normalisation (invisible characters, look-alikes); the rounds of issue 10 in
test_redaction_round*.
"""

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
    redact,
)
from tests.support.paths import DATA, ROOT

CORPUS = DATA / "redaction_corpus.jsonl"


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


# --------------------------------------------------------------------------- the first-character hint (issue 10)


def test_first_character_hint_changes_no_match() -> None:
    """The look-ahead put in front of each rule's pattern (bot.core.privacy.first_chars) only makes it faster."""
    from bot.core.privacy.redaction_rules import RuleSet

    cfg = RedactionConfig.from_toml()
    fast, plain = RuleSet(cfg), RuleSet(cfg, first_chars=False)
    texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for text in texts:
        assert sorted(fast.run(text, lambda _: True)) == sorted(plain.run(text, lambda _: True)), text
