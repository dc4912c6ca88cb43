"""compute_agreement checked against sklearn / the krippendorff package (test-only dependencies), on random
codings by two and three coders, documents and segments.

The coefficients one by one are in test_agreement_metrics, the degenerate cases and options of compute_agreement
and its rows and table in test_agreement_cases; the references in tests/support/agreement_support.py.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.research.agreement import AgreementReport, CharacterTable, Coding, compute_agreement, report_to_rows
from tests.support.agreement_support import TOL, assert_matches, characters, ref_alpha, ref_kappa, ref_percent, span


def all_floats(report: AgreementReport) -> list[float]:
    values: list[float] = []
    for row in report_to_rows(report):
        values.extend(v for v in row.values() if isinstance(v, float))
    return values


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
