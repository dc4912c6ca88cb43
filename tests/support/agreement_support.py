"""What the agreement tests share: reference implementations of the coefficients (sklearn's kappa, the
krippendorff package's alpha, pooled pairwise agreement; NaN where undefined), the check of a figure against one,
and coded spans as character arrays."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Hashable, Sequence

import krippendorff
import numpy as np
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

TOL = 1e-9


def ref_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa by sklearn."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(list(a), list(b)))


def ref_alpha(data: Sequence[Sequence[int | None]]) -> float:
    """Krippendorff's alpha (nominal) by the krippendorff package; a row per coder, None where missing."""
    array = np.array([[np.nan if v is None else float(v) for v in row] for row in data], dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return float(krippendorff.alpha(reliability_data=array, level_of_measurement="nominal"))
        except ValueError:  # "more than one value in the domain" / "no unit with two values"
            return math.nan


def ref_percent(data: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Pooled pairwise percent agreement, counted pair by pair."""
    pairs = agree = 0
    for unit in zip(*data, strict=True):
        values = [v for v in unit if v is not None]
        for x, y in itertools.combinations(values, 2):
            pairs += 1
            agree += x == y
    return agree / pairs if pairs else None


def assert_matches(ours: float | None, reference: float) -> None:
    """Ours is None where the reference is NaN, and within TOL of it otherwise."""
    if math.isnan(reference):
        assert ours is None
    else:
        assert ours is not None
        assert abs(ours - reference) < TOL, (ours, reference)


#: a coded span (start <= end) within 0..30
span = st.tuples(st.integers(0, 30), st.integers(0, 30)).map(lambda t: (min(t), max(t)))


def characters(spans: list[tuple[int, int]], length: int) -> list[int]:
    """1 for each character inside one of ``spans``, 0 for the others."""
    marks = [0] * length
    for start, end in spans:
        for i in range(start, end):
            marks[i] = 1
    return marks
