"""Agreement coefficients one by one (Cohen's kappa, Krippendorff's alpha, percent agreement, character tables),
checked against sklearn / the krippendorff package (test-only dependencies)."""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.research.agreement import (
    CharacterTable,
    cohen_kappa,
    krippendorff_alpha_nominal,
    percent_agreement,
    segment_overlap,
)
from tests.support.agreement_support import TOL, assert_matches, characters, ref_alpha, ref_kappa, ref_percent, span

# ---------------------------------------------------------------------------------------------------------
# cohen_kappa

labels = st.integers(min_value=0, max_value=3)
pairs = st.lists(st.tuples(labels, labels), min_size=1, max_size=40)


@given(pairs)
def test_kappa_matches_sklearn(data: list[tuple[int, int]]) -> None:
    a, b = [x for x, _ in data], [y for _, y in data]
    assert_matches(cohen_kappa(a, b), ref_kappa(a, b))


@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from(["x", "y", "w"])), min_size=1, max_size=30))
def test_kappa_matches_sklearn_on_strings(data: list[tuple[str, str]]) -> None:
    a, b = [x for x, _ in data], [y for _, y in data]
    assert_matches(cohen_kappa(a, b), ref_kappa(a, b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1, 1, 1], [1, 1, 1]),  # one category, all agree: undefined
        (["x"], ["x"]),  # single item
        ([1], [0]),  # single item, disagree
        ([1, 0, 1, 0], [0, 1, 0, 1]),  # all disagree
        ([1, 1, 1], [0, 0, 0]),  # each rater constant, different categories
        ([0, 1, 2, 0, 1], [0, 1, 2, 0, 1]),  # perfect
    ],
)
def test_kappa_edge_cases(a: list[Hashable], b: list[Hashable]) -> None:
    assert_matches(cohen_kappa(a, b), ref_kappa(a, b))


def test_kappa_degenerate_inputs() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([1, 1], [1, 1]) is None
    assert cohen_kappa([1, 0], [0, 1]) == -1.0
    with pytest.raises(ValueError, match="length"):
        cohen_kappa([1], [1, 2])
    with pytest.raises(ValueError, match="missing"):
        cohen_kappa([1, None], [1, 0])


# ---------------------------------------------------------------------------------------------------------
# krippendorff_alpha_nominal and percent_agreement

value = st.one_of(st.none(), st.integers(min_value=0, max_value=3))


@st.composite
def reliability(draw: st.DrawFn, max_coders: int = 5, max_units: int = 25) -> list[list[int | None]]:
    coders = draw(st.integers(min_value=1, max_value=max_coders))
    units = draw(st.integers(min_value=1, max_value=max_units))
    return [draw(st.lists(value, min_size=units, max_size=units)) for _ in range(coders)]


@settings(max_examples=300)
@given(reliability())
def test_alpha_matches_krippendorff(data: list[list[int | None]]) -> None:
    assert_matches(krippendorff_alpha_nominal(data), ref_alpha(data))


@given(reliability())
def test_percent_agreement_is_pooled_pairwise(data: list[list[int | None]]) -> None:
    ours, reference = percent_agreement(data), ref_percent(data)
    if reference is None:
        assert ours is None
    else:
        assert ours == pytest.approx(reference, abs=TOL)


@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_two_coders_without_missing_percent_is_share_of_equal_items(data: list[tuple[int, int]]) -> None:
    rows = [[x for x, _ in data], [y for _, y in data]]
    assert percent_agreement(rows) == pytest.approx(sum(x == y for x, y in data) / len(data))


KRIPPENDORFF_EXAMPLE: list[list[int | None]] = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


@pytest.mark.parametrize(
    "data",
    [
        KRIPPENDORFF_EXAMPLE,
        [[1, 1, 1], [1, 1, 1]],  # all agree on one category
        [[0, 1, 0, 1], [1, 0, 1, 0]],  # all disagree
        [[1, None, 1], [None, 1, None]],  # no unit with two values
        [[1], [0]],  # single unit, disagree
        [[1], [1]],  # single unit, agree
        [[1, 0, None], [1, None, 0], [None, 0, 0], [1, 1, 0]],  # 4 coders, missing data
        [[1, 2, None], [1, 3, None], [2, 2, 5]],  # a value only in an unpaired unit
    ],
)
def test_alpha_edge_cases(data: list[list[int | None]]) -> None:
    assert_matches(krippendorff_alpha_nominal(data), ref_alpha(data))


def test_alpha_known_value_and_errors() -> None:
    assert krippendorff_alpha_nominal(KRIPPENDORFF_EXAMPLE) == pytest.approx(0.691358, abs=1e-6)
    assert krippendorff_alpha_nominal([]) is None
    assert percent_agreement([]) is None
    with pytest.raises(ValueError, match="one value per unit"):
        krippendorff_alpha_nominal([[1, 2], [1]])


# ---------------------------------------------------------------------------------------------------------
# Character tables


@given(st.lists(span, max_size=4), st.lists(span, max_size=4), st.integers(30, 40))
def test_segment_overlap_matches_character_arrays(
    a: list[tuple[int, int]], b: list[tuple[int, int]], length: int
) -> None:
    table = segment_overlap(a, b, length)
    ca, cb = characters(a, length), characters(b, length)
    assert table.total == length
    assert table.both == sum(x & y for x, y in zip(ca, cb, strict=True))
    assert table.percent_agreement == pytest.approx(sum(x == y for x, y in zip(ca, cb, strict=True)) / length)
    assert_matches(table.kappa, ref_kappa(ca, cb))


def test_character_table_edges() -> None:
    assert CharacterTable().percent_agreement is None
    assert CharacterTable().kappa is None
    assert CharacterTable(neither=10).kappa is None  # nobody coded anything: no variation
    assert CharacterTable(both=4, neither=6).kappa == 1.0
    assert CharacterTable(1, 2, 3, 4) + CharacterTable(1, 1, 1, 1) == CharacterTable(2, 3, 4, 5)
    with pytest.raises(ValueError, match="outside"):
        segment_overlap([(0, 11)], [], 10)
