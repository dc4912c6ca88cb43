"""compute_agreement's degenerate cases (unused codes, no variation, one coder, no overlap, empty input), its
options (coders, items, codes, reviewed, item lengths), and its rows and table; checked against sklearn / the
krippendorff package where a figure is defined."""

from __future__ import annotations

import pytest

from bot.research.agreement import (
    AgreementReport,
    CodeAgreement,
    Coding,
    compute_agreement,
    format_table,
    report_to_rows,
    segment_overlap,
)
from tests.support.agreement_support import assert_matches, ref_alpha, ref_kappa

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
