"""Agreement statistics checked against sklearn / the krippendorff package (test-only dependencies)."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Hashable, Sequence

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from bot.research.agreement import (
    AgreementReport,
    CharacterTable,
    CodeAgreement,
    Coding,
    cohen_kappa,
    compute_agreement,
    format_table,
    krippendorff_alpha_nominal,
    percent_agreement,
    report_to_rows,
    segment_overlap,
)

TOL = 1e-9


# ---------------------------------------------------------------------------------------------------------
# Reference implementations (NaN where undefined)


def ref_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(list(a), list(b)))


def ref_alpha(data: Sequence[Sequence[int | None]]) -> float:
    array = np.array([[np.nan if v is None else float(v) for v in row] for row in data], dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return float(krippendorff.alpha(reliability_data=array, level_of_measurement="nominal"))
        except ValueError:  # "more than one value in the domain" / "no unit with two values"
            return math.nan


def ref_percent(data: Sequence[Sequence[Hashable | None]]) -> float | None:
    pairs = agree = 0
    for unit in zip(*data, strict=True):
        values = [v for v in unit if v is not None]
        for x, y in itertools.combinations(values, 2):
            pairs += 1
            agree += x == y
    return agree / pairs if pairs else None


def assert_matches(ours: float | None, reference: float) -> None:
    if math.isnan(reference):
        assert ours is None
    else:
        assert ours is not None
        assert abs(ours - reference) < TOL, (ours, reference)


def all_floats(report: AgreementReport) -> list[float]:
    values: list[float] = []
    for row in report_to_rows(report):
        values.extend(v for v in row.values() if isinstance(v, float))
    return values


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

span = st.tuples(st.integers(0, 30), st.integers(0, 30)).map(lambda t: (min(t), max(t)))


def characters(spans: list[tuple[int, int]], length: int) -> list[int]:
    marks = [0] * length
    for start, end in spans:
        for i in range(start, end):
            marks[i] = 1
    return marks


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


# ---------------------------------------------------------------------------------------------------------
# compute_agreement against the references


def test_coding_validation() -> None:
    assert not Coding("i", "a", "c").is_segment
    assert Coding("i", "a", "c", 0, 0).is_segment
    with pytest.raises(ValueError, match="both"):
        Coding("i", "a", "c", start=1)
    with pytest.raises(ValueError, match="start <= end"):
        Coding("i", "a", "c", 5, 2)
    with pytest.raises(ValueError, match="start <= end"):
        Coding("i", "a", "c", -1, 2)


ITEMS = [f"i{n}" for n in range(8)]
CODERS = ["ann", "bob", "cy"]
CODES = ["empathy", "uncertainty", "hierarchy"]
LENGTH = 20


@st.composite
def coding_sets(draw: st.DrawFn, n_coders: int) -> list[Coding]:
    result: list[Coding] = []
    for item in ITEMS:
        for coder in CODERS[:n_coders]:
            if not draw(st.booleans()) and draw(st.booleans()):
                continue  # coder absent from this item (about a quarter of the time)
            for code in CODES:
                if draw(st.booleans()):
                    if draw(st.booleans()):
                        result.append(Coding(item, coder, code))
                    else:
                        for _ in range(draw(st.integers(1, 2))):
                            start, end = draw(span.filter(lambda s: s[1] <= LENGTH))
                            result.append(Coding(item, coder, code, start, end))
            if not any(c.item == item and c.coder == coder for c in result) and draw(st.booleans()):
                result.append(Coding(item, coder, "other"))  # present, but applied none of CODES
    return result


def presence_data(codings: list[Coding], coders: list[str], codes: list[str]) -> list[list[int | None]]:
    """Reliability data over compared (item, code) units: 1 applied, 0 present but not applied, None absent."""
    present = {(c.item, c.coder) for c in codings}
    applied = {(c.item, c.coder, c.code) for c in codings}
    compared = [i for i in ITEMS if sum((i, k) in present for k in coders) >= 2]
    return [
        [
            (int((item, coder, code) in applied) if (item, coder) in present else None)
            for code in codes
            for item in compared
        ]
        for coder in coders
    ]


def character_reference(codings: list[Coding], code: str, coders: list[str]) -> CharacterTable:
    present = {(c.item, c.coder) for c in codings}
    total = CharacterTable()
    for item in ITEMS:
        here = [k for k in coders if (item, k) in present]
        if len(here) < 2:
            continue
        marks = {}
        for k in here:
            spans = [
                (0, LENGTH) if c.start is None else (c.start, c.end or 0)
                for c in codings
                if (c.item, c.coder, c.code) == (item, k, code)
            ]
            marks[k] = characters(spans, LENGTH)
        for x, y in itertools.combinations(here, 2):
            cells = list(zip(marks[x], marks[y], strict=True))
            total = total + CharacterTable(
                cells.count((1, 1)), cells.count((1, 0)), cells.count((0, 1)), cells.count((0, 0))
            )
    return total


def check_report(codings: list[Coding], n_coders: int) -> AgreementReport:
    coders = CODERS[:n_coders]
    report = compute_agreement(codings, codes=CODES, coders=coders, item_lengths=dict.fromkeys(ITEMS, LENGTH))
    assert [r.code for r in report.codes] == CODES
    assert not any(math.isnan(v) for v in all_floats(report))
    pooled: list[str] = []
    for row in report.codes:
        data = presence_data(codings, coders, [row.code])
        used = any(v == 1 for r in data for v in r)
        if not used:
            assert row.percent_agreement is row.krippendorff_alpha is row.cohen_kappa is None
            assert row.note
            continue
        pooled.append(row.code)
        assert row.n_items == len(data[0])
        assert_matches(row.krippendorff_alpha, ref_alpha(data))
        assert row.percent_agreement == pytest.approx(ref_percent(data), abs=TOL)
        if n_coders == 2:
            both = [(x, y) for x, y in zip(*data, strict=True)]
            assert_matches(row.cohen_kappa, ref_kappa([x for x, _ in both], [y for _, y in both]))
        else:
            assert row.cohen_kappa is None
            assert row.note and ("kappa needs exactly two coders" in row.note or "no variation" in row.note)
        if row.krippendorff_alpha is None:
            assert row.note and "no variation" in row.note
        if any(c.code == row.code and c.is_segment for c in codings):
            table = character_reference(codings, row.code, coders)
            assert row.segment_overlap == pytest.approx(table.percent_agreement, abs=TOL)
            if n_coders == 2:
                assert row.segment_kappa == table.kappa or row.segment_kappa == pytest.approx(table.kappa)
        else:
            assert row.segment_overlap is None
    if pooled:
        data = presence_data(codings, coders, pooled)
        assert_matches(report.overall.krippendorff_alpha, ref_alpha(data))
        assert report.overall.percent_agreement == pytest.approx(ref_percent(data), abs=TOL)
        if n_coders == 2:
            assert_matches(report.overall.cohen_kappa, ref_kappa(data[0], data[1]))
    else:
        assert report.overall.krippendorff_alpha is None and report.overall.note
    return report


@settings(max_examples=150, deadline=None)
@given(coding_sets(2))
def test_compute_agreement_two_coders_matches_references(codings: list[Coding]) -> None:
    check_report(codings, 2)


@settings(max_examples=100, deadline=None)
@given(coding_sets(3))
def test_compute_agreement_three_coders_matches_references(codings: list[Coding]) -> None:
    check_report(codings, 3)


# ---------------------------------------------------------------------------------------------------------
# compute_agreement: degenerate cases and options


def doc(item: str, coder: str, code: str) -> Coding:
    return Coding(item, coder, code)


def row(report: AgreementReport, code: str) -> CodeAgreement:
    return next(r for r in report.codes if r.code == code)


def test_unused_code_all_none() -> None:
    report = compute_agreement([doc("i1", "a", "x"), doc("i1", "b", "x")], codes=["x", "never"])
    never = row(report, "never")
    assert never.note == "not used by any coder"
    assert (never.percent_agreement, never.cohen_kappa, never.krippendorff_alpha, never.segment_overlap) == (
        None,
        None,
        None,
        None,
    )


def test_perfect_agreement_without_variation() -> None:
    codings = [doc(i, k, "x") for i in ("i1", "i2", "i3") for k in ("a", "b")]
    x = row(compute_agreement(codings), "x")
    assert x.percent_agreement == 1.0
    assert x.cohen_kappa is None and x.krippendorff_alpha is None
    assert x.note and x.note.startswith("no variation")


def test_all_disagree() -> None:
    codings = [doc("i1", "a", "x"), doc("i1", "b", "y"), doc("i2", "a", "y"), doc("i2", "b", "x")]
    report = compute_agreement(codings)
    for r in report.codes:
        assert r.percent_agreement == 0.0
        assert r.cohen_kappa == pytest.approx(ref_kappa([1, 0], [0, 1]))
        assert r.krippendorff_alpha == pytest.approx(ref_alpha([[1, 0], [0, 1]]))
    assert report.overall.percent_agreement == 0.0


def test_single_coder_and_no_overlap() -> None:
    alone = compute_agreement([doc("i1", "a", "x"), doc("i2", "a", "y")])
    assert alone.coders == ("a",)
    assert row(alone, "x").note == "only one coder"
    assert alone.overall.note == "only one coder"
    apart = compute_agreement([doc("i1", "a", "x"), doc("i2", "b", "x")])
    assert row(apart, "x").note == "no item was coded by two or more coders"
    assert row(apart, "x").n_items == 0
    assert apart.overall.percent_agreement is None


def test_code_used_only_where_one_coder_was_present() -> None:
    codings = [doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i2", "a", "y")]
    y = row(compute_agreement(codings), "y")
    assert y.percent_agreement is None and y.note and "single coder" in y.note


def test_three_coders_kappa_none_with_note() -> None:
    codings = [doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i1", "c", "y"), doc("i2", "a", "y")]
    codings += [doc("i2", "b", "y"), doc("i2", "c", "y")]
    report = compute_agreement(codings)
    assert report.coders == ("a", "b", "c")
    x = row(report, "x")
    assert x.cohen_kappa is None
    assert x.note == "kappa needs exactly two coders (3 here); see alpha"
    assert x.krippendorff_alpha == pytest.approx(ref_alpha([[1, 0], [1, 0], [0, 0]]))
    assert x.percent_agreement == pytest.approx(4 / 6)


def test_missing_coder_and_reviewed() -> None:
    # b read i2 but applied nothing: without `reviewed` the disagreement on i2 is invisible.
    codings = [doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i2", "a", "x"), doc("i3", "a", "y")]
    codings += [doc("i3", "b", "y")]
    blind = row(compute_agreement(codings), "x")
    assert blind.n_items == 2 and blind.percent_agreement == 1.0
    aware = row(compute_agreement(codings, reviewed={"i2": ["a", "b"]}), "x")
    assert aware.n_items == 3
    assert aware.percent_agreement == pytest.approx(2 / 3)
    assert aware.cohen_kappa == pytest.approx(ref_kappa([1, 1, 0], [1, 0, 0]))


def test_filters() -> None:
    codings = [doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i2", "a", "x"), doc("i2", "b", "y")]
    codings += [doc("i2", "z", "x")]
    report = compute_agreement(codings, coders=["a", "b"], items=["i1", "i2", "i9"], codes=["x"])
    assert report.coders == ("a", "b") and report.items == 3
    assert [r.code for r in report.codes] == ["x"]
    # b's "y" on i2 is outside the code filter, but still shows b read i2 and did not apply x.
    assert row(report, "x").n_items == 2
    assert row(report, "x").percent_agreement == 0.5


def test_single_item() -> None:
    report = compute_agreement([doc("i1", "a", "x"), doc("i1", "b", "y")])
    x = row(report, "x")
    assert x.n_items == 1 and x.percent_agreement == 0.0
    assert_matches(x.cohen_kappa, ref_kappa([1], [0]))
    assert_matches(x.krippendorff_alpha, ref_alpha([[1], [0]]))


def test_segment_figures_and_length_fallback() -> None:
    codings = [
        Coding("i1", "a", "x", 0, 10),
        Coding("i1", "b", "x", 5, 15),
        Coding("i2", "a", "x"),  # whole item
        Coding("i2", "b", "x", 0, 50),
    ]
    known = row(compute_agreement(codings, item_lengths={"i1": 20, "i2": 100}), "x")
    expected = segment_overlap([(0, 10)], [(5, 15)], 20) + segment_overlap([(0, 100)], [(0, 50)], 100)
    assert known.segment_overlap == pytest.approx(expected.percent_agreement)
    assert known.segment_kappa == pytest.approx(expected.kappa)
    assert known.note and known.note.startswith("no variation") and "length" not in known.note
    guessed = row(compute_agreement(codings), "x")  # lengths 15 and 50 from the furthest offsets
    assert guessed.note and "text length unknown for 2 item(s)" in guessed.note
    fallback = segment_overlap([(0, 10)], [(5, 15)], 15) + segment_overlap([(0, 50)], [(0, 50)], 50)
    assert guessed.segment_overlap == pytest.approx(fallback.percent_agreement)
    with pytest.raises(ValueError, match="beyond the length"):
        compute_agreement(codings, item_lengths={"i1": 12})


def test_document_level_codes_have_no_segment_figures() -> None:
    report = compute_agreement([doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i2", "a", "x"), doc("i2", "b", "y")])
    assert all(r.segment_overlap is None and r.segment_kappa is None for r in report.codes)
    assert report.overall.segment_overlap is None


def test_rows_and_table() -> None:
    codings = [doc("i1", "a", "x"), doc("i1", "b", "x"), doc("i2", "a", "y"), doc("i2", "b", "x")]
    codings += [Coding("i1", "a", "Parent/" + "very long code name " * 3, 0, 3)]
    report = compute_agreement(codings, codes=["x", "y", "unused"])
    rows = report_to_rows(report)
    assert [r["scope"] for r in rows] == ["code", "code", "code", "overall"]
    assert rows[0]["code"] == "x" and rows[0]["percent_agreement"] == 0.5
    assert set(rows[0]) >= {"n_items", "cohen_kappa", "krippendorff_alpha", "segment_overlap", "note"}
    table = format_table(report)
    lines = table.splitlines()
    assert lines[0] == "2 item(s), coders: a, b"
    assert lines[1].split()[:7] == ["Code", "Items", "Agree", "Kappa", "Alpha", "Chars", "CharK"]
    assert "50.0%" in table and "n/a" in table
    assert "[1] not used by any coder" in table or "not used by any coder" in table
    assert "(all codes, pooled)" in table
    unknown = [doc("i1", "a", "x"), doc("i1", "b", "x"), Coding("i2", "a", "y", 0, 4), doc("i2", "b", "y")]
    unknown += [doc("i3", "a", "y"), doc("i3", "b", "z")]
    shared = compute_agreement(unknown, codes=["y"])
    assert row(shared, "y").note == (
        "every character coded alike by both coders: segment kappa undefined; "
        "text length unknown for 1 item(s): used the furthest coded offset; "
        "2 item(s) with no known length and no coded segment left out of the character comparison"
    )
    same = [doc("i1", "a", "x"), doc("i1", "b", "x"), Coding("i2", "a", "y", 0, 4), Coding("i2", "b", "y", 0, 2)]
    same += [Coding("i2", "a", "z", 1, 3), Coding("i2", "b", "z", 0, 2), doc("i3", "a", "x"), doc("i3", "b", "z")]
    text = format_table(compute_agreement(same))
    assert text.count("[1] text length unknown") == 1 and text.count(" [1]") == 2  # one footnote, two rows
    long = compute_agreement(codings)
    assert "…" in format_table(long, max_code_width=20)


def test_empty_input() -> None:
    report = compute_agreement([])
    assert report.codes == () and report.items == 0 and report.coders == ()
    assert report.overall.note == "no coders"
    assert "0 item(s)" in format_table(report)
