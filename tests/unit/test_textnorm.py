"""Folding text before detection: invisible characters, look-alike letters, and offsets back to the original."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.safety.textnorm import fold


def test_ascii_text_is_left_as_it_is() -> None:
    folded = fold("I want to kill myself.")
    assert folded.text == "I want to kill myself." and not folded.changed
    assert folded.span(10, 14) == (10, 14)


def test_zero_width_and_soft_hyphen_are_removed() -> None:
    assert fold("kill my\u200bself").text == "kill myself"
    assert fold("ki\u00adll myself").text == "kill myself"
    assert fold("kill\u2060 myself").text == "kill myself"
    assert fold("\ufeffhello\u202e").text == "hello"


def test_cyrillic_look_alikes_fold_inside_latin_words_only() -> None:
    assert fold("kіll mysеlf").text == "kill myself"  # Cyrillic і and е
    assert fold("Оlga").text == "Olga"  # Cyrillic capital О in a Latin word
    assert fold("Ольга").text == "Ольга"  # Cyrillic proper is kept
    assert fold("сор").text == "cop"  # only look-alikes: folded


def test_compatibility_forms_apostrophes_and_accents() -> None:
    assert fold("ｋｉｌｌ ｍｙｓｅｌｆ").text == "kill myself"
    assert fold("O’Brien").text == "O'Brien"
    assert fold("Jose\u0301").text == "José"
    assert fold("943\u00a0476\u00a05919").text == "943 476 5919"


def test_spans_map_back_over_removed_characters() -> None:
    original = "NHS 943\u200b476\u200b5919 today"
    folded = fold(original)
    assert folded.text == "NHS 9434765919 today"
    start = folded.text.index("9434765919")
    s, e = folded.span(start, start + 10)
    assert original[s:e] == "943\u200b476\u200b5919"
    s, e = folded.span(folded.text.index("today"), len(folded.text))
    assert original[s:e] == "today"


def test_a_ligature_maps_both_letters_to_one_original_character() -> None:
    folded = fold("the ﬁle")
    assert folded.text == "the file"
    assert folded.span(4, 5) == (4, 5) and folded.span(4, 6) == (4, 5) and folded.span(6, 8) == (5, 7)


@given(st.text(max_size=60))
def test_every_folded_span_points_inside_the_original(text: str) -> None:
    folded = fold(text)
    n = len(folded.text)
    for start in range(n):
        for end in range(start + 1, min(n, start + 4) + 1):
            s, e = folded.span(start, end)
            assert 0 <= s < e <= len(text)
