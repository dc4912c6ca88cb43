"""The coefficients of inter-coder agreement and the report they fill (the model: ``bot.research.agreement``).

Pure Python from integer counts: Cohen's kappa, nominal Krippendorff's alpha, pairwise percent agreement and
the character-level table of NVivo's coding comparison. Undefined values are ``None``, never NaN.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeAgreement:
    """Agreement for one code (or the pooled overall row).  Undefined figures are ``None``, never NaN."""

    code: str
    n_items: int
    n_coders: int
    percent_agreement: float | None
    cohen_kappa: float | None
    krippendorff_alpha: float | None
    segment_overlap: float | None
    note: str | None
    segment_kappa: float | None = None


@dataclass(frozen=True, slots=True)
class AgreementReport:
    codes: tuple[CodeAgreement, ...]
    overall: CodeAgreement
    coders: tuple[str, ...]
    items: int


@dataclass(frozen=True, slots=True)
class CharacterTable:
    """Character-level 2x2 table for one code and one pair of coders (A, B), as in NVivo's coding comparison.

    ``percent_agreement = (both + neither) / total``; ``kappa`` is Cohen's kappa of the table,
    ``(p_o - p_e) / (1 - p_e)`` with ``p_o = (both + neither) / total`` and
    ``p_e = P(A) P(B) + P(not A) P(not B)`` from the margins.  Tables add up (``+``) for pooling.
    """

    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0

    @property
    def total(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def percent_agreement(self) -> float | None:
        total = self.total
        return (self.both + self.neither) / total if total else None

    @property
    def kappa(self) -> float | None:
        """``None`` when undefined: empty table, or every character in one cell (no variation)."""
        a_yes, b_yes = self.both + self.only_a, self.both + self.only_b
        a_no, b_no = self.only_b + self.neither, self.only_a + self.neither
        return _kappa_from_counts(self.total, self.only_a + self.only_b, a_yes * b_yes + a_no * b_no)

    def __add__(self, other: CharacterTable) -> CharacterTable:
        return CharacterTable(
            self.both + other.both,
            self.only_a + other.only_a,
            self.only_b + other.only_b,
            self.neither + other.neither,
        )


# ----------------------------------------------------------------------------------------------------------
# Generic coefficients


def _kappa_from_counts(n: int, disagreements: int, sum_marginal_products: int) -> float | None:
    """Cohen's kappa as ``1 - n * D / (n^2 - sum_k a_k b_k)``, all in integers until the final division.

    Equivalent to ``(p_o - p_e) / (1 - p_e)``; the denominator is 0 exactly when both raters used one and the
    same category for everything (or n == 0), where kappa is undefined.
    """
    denominator = n * n - sum_marginal_products
    if n == 0 or denominator == 0:
        return None
    return 1.0 - (n * disagreements) / denominator


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's (unweighted) kappa of two raters' labels for the same units (matches sklearn).

    Returns ``None`` where it is undefined (sklearn gives NaN): no units, or both raters gave every unit the
    same single label.  Labels must not be ``None``: keep only the units both raters rated.
    """
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: rater sequences differ in length ({len(a)} != {len(b)})")
    if any(x is None for x in a) or any(y is None for y in b):
        raise ValueError("cohen_kappa: missing values (None); keep only units both raters rated")
    n = len(a)
    disagreements = sum(1 for x, y in zip(a, b, strict=True) if x != y)
    count_a, count_b = Counter(a), Counter(b)
    products = sum(count * count_b.get(label, 0) for label, count in count_a.items())
    return _kappa_from_counts(n, disagreements, products)


def _units(reliability_data: Sequence[Sequence[Hashable | None]]) -> list[Counter[Hashable]]:
    """Columns of the coder x unit matrix as value counters (missing values dropped)."""
    if not reliability_data:
        return []
    width = len(reliability_data[0])
    for row in reliability_data:
        if len(row) != width:
            raise ValueError("reliability data rows (coders) must all have one value per unit")
    units: list[Counter[Hashable]] = [Counter() for _ in range(width)]
    for row in reliability_data:
        for unit, value in zip(units, row, strict=True):
            if value is not None:
                unit[value] += 1
    return units


def krippendorff_alpha_nominal(reliability_data: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data; rows are coders, columns units, ``None`` is missing.

    ``alpha = 1 - (n - 1) * D_o / (n^2 - sum_c n_c^2)`` with, over units u with ``m_u >= 2`` values,
    ``D_o = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)``, ``n_c = sum_u n_uc`` and ``n = sum_c n_c`` (the
    coincidence-matrix form).  Returns ``None`` when undefined (the ``krippendorff`` package gives NaN or
    raises): no unit with two values, or a single value throughout the pairable data.
    """
    disagreement_by_m: dict[int, int] = defaultdict(int)
    totals: Counter[Hashable] = Counter()
    for unit in _units(reliability_data):
        m = sum(unit.values())
        if m < 2:
            continue
        totals.update(unit)
        disagreement_by_m[m] += m * m - sum(c * c for c in unit.values())
    n = sum(totals.values())
    return _alpha(n, n * n - sum(c * c for c in totals.values()), disagreement_by_m)


def _alpha(n: int, expected_pairs: int, disagreement_by_m: Mapping[int, int]) -> float | None:
    """alpha from n, ``n^2 - sum_c n_c^2`` and, per unit size m, ``sum (m^2 - sum_c n_uc^2)``."""
    if n < 2 or expected_pairs == 0:
        return None
    observed = sum(total / (m - 1) for m, total in disagreement_by_m.items())
    return 1.0 - (n - 1) * observed / expected_pairs


def percent_agreement(reliability_data: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Share of agreeing coder pairs among all pairwise comparisons, pooled over units with >= 2 values.

    Same layout as :func:`krippendorff_alpha_nominal`.  A unit with m values contributes C(m, 2) comparisons.
    ``None`` when no unit has two values.
    """
    pairs = agreeing = 0
    for unit in _units(reliability_data):
        m = sum(unit.values())
        pairs += m * (m - 1) // 2
        agreeing += sum(c * (c - 1) // 2 for c in unit.values())
    return agreeing / pairs if pairs else None


# ----------------------------------------------------------------------------------------------------------
# Character-level (segment) agreement


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _covered(merged: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in merged)


def _intersection(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> int:
    i = j = total = 0
    while i < len(x) and j < len(y):
        lo = max(x[i][0], y[j][0])
        hi = min(x[i][1], y[j][1])
        if lo < hi:
            total += hi - lo
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return total


def segment_overlap(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]], length: int) -> CharacterTable:
    """Character table of coder A's and B's spans ``[start, end)`` of one code on one text of ``length``.

    Overlapping spans of one coder count once.  Spans reaching past ``length`` are an error (offsets computed
    on a different text, e.g. with a BOM or CRLF line ends).
    """
    merged_a, merged_b = _merge(a), _merge(b)
    for merged in (merged_a, merged_b):
        if merged and (merged[0][0] < 0 or merged[-1][1] > length):
            raise ValueError(f"segment {merged[-1]} lies outside a text of length {length}")
    covered_a, covered_b = _covered(merged_a), _covered(merged_b)
    both = _intersection(merged_a, merged_b)
    return CharacterTable(both, covered_a - both, covered_b - both, length - covered_a - covered_b + both)
