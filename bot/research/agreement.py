"""Inter-coder agreement for qualitatively coded reflections.

Pure Python (no numpy): the bot computes these on demand, so everything works from dicts and integer counts.

Model
-----
A :class:`Coding` says that ``coder`` applied ``code`` to ``item`` -- to the whole item (``start is None``)
or to the code-point span ``[start, end)`` of the item's text.

Document-level presence
    For each (item, code) a coder either *applied* the code (any coding of that code by that coder on the
    item, whole-item or segment) or did not.  Every statistic except the character-level ones is computed on
    this binary presence/absence judgement.

Who rated an item
    A coder is *present* on an item when they made any coding on it -- of any code, even one left out by the
    ``codes`` filter -- or when ``reviewed`` says they reviewed it.  An absent coder is missing data (not
    "did not apply").  A coder who read an item and applied nothing leaves no coding behind, so pass
    ``reviewed`` when you know the assignments; otherwise such items silently drop out of the comparison and
    agreement is overestimated.

Compared items
    Items with at least two present coders.  ``CodeAgreement.n_items`` counts them and ``n_coders`` counts
    the coders present on at least one of them.

Per code
    * ``percent_agreement``: share of agreeing pairs among all pairwise comparisons, pooled over the
      compared items (each item contributes C(m, 2) pairs for its m present coders).  With two coders this
      is the share of compared items on which both made the same decision.
    * ``cohen_kappa``: only with exactly two coders in the report, over the items both coded.  With more
      coders it is ``None`` and the note points to alpha (Fleiss' kappa is deliberately not offered: alpha
      handles any number of coders and missing data).
    * ``krippendorff_alpha``: nominal alpha on the presence/absence data, coders absent from an item
      missing.
    * ``segment_overlap`` / ``segment_kappa``: character-level agreement in the manner of NVivo's coding
      comparison, for codes with at least one segment coding; see :class:`CharacterTable`.  Per coder pair
      and compared item, each character of the text is coded by both, by one only, or by neither (a
      whole-item coding covers every character).  The counts are summed over compared items (and, with more
      than two coders, over all coder pairs); ``segment_overlap = (both + neither) / total`` and
      ``segment_kappa`` is Cohen's kappa of that 2x2 character table (two coders only).  Text lengths come
      from ``item_lengths``; where an item's length is unknown, the furthest end offset coded on it (by
      anyone, any code) stands in for it, which under-counts "neither" characters -- the note says so.

Overall (``AgreementReport.overall``)
    Pooled over every (item, code) unit of the codes that at least one coder applied on a compared item:
    alpha, percent agreement and kappa are computed as if the units of all those codes formed one long data
    set, and the character tables are summed.  Codes nobody applied on a compared item are left out (they
    would only add trivial agreement on absence).  The overall note also gives the unweighted mean of the
    defined per-code kappas, the other figure commonly reported.

Undefined values are never NaN
    Every statistic is ``None`` when it cannot be computed, and ``note`` says why: no compared item, code
    not used, or no variation -- when every coder applied a code to every compared item, agreement is
    perfect but chance-corrected coefficients divide 0 by 0; sklearn and the ``krippendorff`` package return
    NaN there and we return ``None`` with the note ``"no variation: ..."`` rather than a misleading 1.0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "AgreementReport",
    "CharacterTable",
    "CodeAgreement",
    "Coding",
    "cohen_kappa",
    "compute_agreement",
    "format_table",
    "krippendorff_alpha_nominal",
    "percent_agreement",
    "report_to_rows",
    "segment_overlap",
]

OVERALL_LABEL = "(all codes, pooled)"


@dataclass(frozen=True, slots=True)
class Coding:
    """One application of ``code`` to ``item`` by ``coder``.

    ``start``/``end`` are code-point offsets into the item text, end exclusive; both ``None`` for a whole-item
    (document-level) coding.  A zero-length span still counts as applying the code to the item.
    """

    item: str
    coder: str
    code: str
    start: int | None = None
    end: int | None = None

    def __post_init__(self) -> None:
        if self.start is None or self.end is None:
            if self.start is not None or self.end is not None:
                raise ValueError(f"{self!r}: give both start and end, or neither")
            return
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"{self!r}: need 0 <= start <= end")

    @property
    def is_segment(self) -> bool:
        return self.start is not None


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


# ----------------------------------------------------------------------------------------------------------
# Report


def _ordered(values: Iterable[str]) -> dict[str, None]:
    return dict.fromkeys(values)


def compute_agreement(
    codings: Iterable[Coding],
    *,
    items: Iterable[str] | None = None,
    coders: Iterable[str] | None = None,
    codes: Iterable[str] | None = None,
    item_lengths: Mapping[str, int] | None = None,
    reviewed: Mapping[str, Iterable[str]] | None = None,
) -> AgreementReport:
    """Agreement per code and pooled, as described in the module docstring.

    ``items``/``coders``/``codes`` restrict the analysis (codings outside them are ignored) and fix the
    universe: listed codes nobody used still get a row, listed coders count towards "exactly two coders for
    kappa".  When omitted they are taken from the codings, sorted.  ``item_lengths`` gives text lengths (code
    points) for the character-level figures.  ``reviewed`` maps an item to coders who reviewed it even if they
    applied no code.

    Raises ``ValueError`` when a segment ends beyond its item's known length.
    """
    item_filter = None if items is None else _ordered(items)
    coder_filter = None if coders is None else _ordered(coders)
    code_filter = None if codes is None else _ordered(codes)
    lengths: Mapping[str, int] = item_lengths or {}

    present: dict[str, set[str]] = defaultdict(set)  # item -> coders present
    # code -> item -> coder -> that coder's spans of the code on the item, None for a whole-item coding
    applied: dict[str, dict[str, dict[str, list[tuple[int, int]] | None]]] = {}
    segment_codes: set[str] = set()
    furthest: dict[str, int] = {}  # item -> furthest end offset of any segment

    for c in codings:
        item, coder, code = c.item, c.coder, c.code
        if item_filter is not None and item not in item_filter:
            continue
        if coder_filter is not None and coder not in coder_filter:
            continue
        present[item].add(coder)
        if c.start is not None and c.end is not None:
            known = lengths.get(item)
            if known is not None and c.end > known:
                raise ValueError(f"{c!r} ends at {c.end}, beyond the length {known} of item {item!r}")
            if c.end > furthest.get(item, -1):
                furthest[item] = c.end
        if code_filter is not None and code not in code_filter:
            continue
        by_item = applied.get(code)
        if by_item is None:
            by_item = applied[code] = {}
        who = by_item.get(item)
        if who is None:
            who = by_item[item] = {}
        if c.start is None or c.end is None:
            who[coder] = None
            continue
        segment_codes.add(code)
        if coder not in who:
            who[coder] = [(c.start, c.end)]
        else:
            coder_spans = who[coder]
            if coder_spans is not None:
                coder_spans.append((c.start, c.end))

    if reviewed:
        for item, reviewers in reviewed.items():
            if item_filter is not None and item not in item_filter:
                continue
            for coder in reviewers:
                if coder_filter is None or coder in coder_filter:
                    present[item].add(coder)

    item_universe = list(item_filter) if item_filter is not None else sorted(present)
    if coder_filter is not None:
        coder_universe = tuple(coder_filter)
    else:
        coder_universe = tuple(sorted({c for who in present.values() for c in who}))
    code_universe = list(code_filter) if code_filter is not None else sorted(applied)

    compared = {item: len(present[item]) for item in item_universe if len(present.get(item, ())) >= 2}
    compared_coders = sorted({c for item in compared for c in present[item]})
    n_items, n_coders = len(compared), len(compared_coders)
    two_coders = len(coder_universe) == 2
    base_values = sum(compared.values())
    base_pairs = sum(m * (m - 1) // 2 for m in compared.values())

    # Character-level baseline: every compared item, every coder pair, all characters "neither".
    length_of: dict[str, int] = {}
    guessed_lengths = unknown_lengths = 0
    for item in compared:
        if item in lengths:
            length_of[item] = lengths[item]
        else:
            length_of[item] = furthest.get(item, 0)
            if item in furthest:
                guessed_lengths += 1
            else:
                unknown_lengths += 1
    base_chars = sum(length_of[item] * m * (m - 1) // 2 for item, m in compared.items())

    if len(coder_universe) < 2:
        empty_note = "only one coder" if coder_universe else "no coders"
    else:
        empty_note = "no item was coded by two or more coders"
    kappa_note = None
    if not two_coders:
        kappa_note = f"kappa needs exactly two coders ({len(coder_universe)} here); see alpha"

    rows: list[CodeAgreement] = []
    pooled_codes = 0
    pooled_n1 = 0
    pooled_disagree_pairs = 0
    pooled_disagree_by_m: dict[int, int] = defaultdict(int)
    pooled_kappa = [0, 0, 0]  # n11, n10, n01 (n00 follows)
    pooled_chars = CharacterTable()
    pooled_segment_codes = 0
    kappas: list[float] = []

    def blank(code: str, note: str) -> CodeAgreement:
        return CodeAgreement(code, n_items, n_coders, None, None, None, None, note, None)

    for code in code_universe:
        by_item = applied.get(code)
        if not by_item:
            rows.append(blank(code, "not used by any coder"))
            continue
        if not compared:
            rows.append(blank(code, empty_note))
            continue
        n1 = 0
        disagree_pairs = 0
        disagree_by_m: dict[int, int] = defaultdict(int)
        n11 = n10 = n01 = 0
        used_items = []
        for item, who in by_item.items():
            m = compared.get(item)
            if m is None:
                continue
            used_items.append(item)
            k = len(who)
            n1 += k
            if k < m:
                disagree_pairs += k * (m - k)
                disagree_by_m[m] += 2 * k * (m - k)
            if two_coders:
                if k == 2:
                    n11 += 1
                elif coder_universe[0] in who:
                    n10 += 1
                else:
                    n01 += 1
        if not used_items:
            rows.append(blank(code, "used only on items coded by a single coder: nothing to compare"))
            continue

        notes: list[str] = []
        n0 = base_values - n1
        percent = 1.0 - disagree_pairs / base_pairs
        alpha = _alpha(base_values, 2 * n0 * n1, disagree_by_m)
        kappa: float | None = None
        if two_coders:
            n00 = n_items - n11 - n10 - n01
            kappa = _kappa_from_counts(n_items, n10 + n01, (n11 + n10) * (n11 + n01) + (n01 + n00) * (n10 + n00))
            if kappa is not None:
                kappas.append(kappa)
        if n0 == 0:
            notes.append(
                "no variation: every coder applied this code to every compared item; "
                "agreement is perfect but kappa and alpha are undefined"
            )
        elif kappa_note:
            notes.append(kappa_note)

        seg_overlap = seg_kappa = None
        if code in segment_codes:
            table = _code_characters(by_item, used_items, present, length_of, base_chars)
            pooled_chars = pooled_chars + table
            pooled_segment_codes += 1
            seg_overlap = table.percent_agreement
            if seg_overlap is None:
                notes.append("no text length known: no character-level figures")
            elif two_coders:
                seg_kappa = table.kappa
                if seg_kappa is None:
                    notes.append("every character coded alike by both coders: segment kappa undefined")
            if guessed_lengths and seg_overlap is not None:
                notes.append(f"text length unknown for {guessed_lengths} item(s): used the furthest coded offset")
            if unknown_lengths:
                notes.append(
                    f"{unknown_lengths} item(s) with no known length and no coded segment left out of the "
                    "character comparison"
                )

        rows.append(
            CodeAgreement(
                code,
                n_items,
                n_coders,
                percent,
                kappa,
                alpha,
                seg_overlap,
                "; ".join(notes) or None,
                seg_kappa,
            )
        )
        pooled_codes += 1
        pooled_n1 += n1
        pooled_disagree_pairs += disagree_pairs
        for m, total in disagree_by_m.items():
            pooled_disagree_by_m[m] += total
        pooled_kappa[0] += n11
        pooled_kappa[1] += n10
        pooled_kappa[2] += n01

    overall = _overall(
        n_items,
        n_coders,
        pooled_codes,
        base_values,
        base_pairs,
        pooled_n1,
        pooled_disagree_pairs,
        pooled_disagree_by_m,
        pooled_kappa,
        two_coders,
        kappa_note,
        empty_note if not compared else None,
        pooled_chars,
        pooled_segment_codes,
        kappas,
    )
    return AgreementReport(tuple(rows), overall, coder_universe, len(item_universe))


def _code_characters(
    by_item: Mapping[str, Mapping[str, list[tuple[int, int]] | None]],
    used_items: list[str],
    present: Mapping[str, set[str]],
    length_of: Mapping[str, int],
    base_chars: int,
) -> CharacterTable:
    """Summed character table for one code over compared items and all coder pairs on them."""
    both = only_a = only_b = 0
    for item in used_items:
        length = length_of[item]
        who = by_item[item]
        coders = sorted(present[item])
        merged: list[list[tuple[int, int]]] = []
        for coder in coders:
            if coder not in who:
                merged.append([])
            else:
                coder_spans = who[coder]
                if coder_spans is None:
                    merged.append([(0, length)] if length else [])
                else:
                    merged.append(_merge(coder_spans))
        covered = [_covered(m) for m in merged]
        for i in range(len(coders)):
            if not covered[i]:
                for j in range(i + 1, len(coders)):
                    only_b += covered[j]
                continue
            for j in range(i + 1, len(coders)):
                common = _intersection(merged[i], merged[j]) if covered[j] else 0
                both += common
                only_a += covered[i] - common
                only_b += covered[j] - common
    return CharacterTable(both, only_a, only_b, base_chars - both - only_a - only_b)


def _overall(
    n_items: int,
    n_coders: int,
    pooled_codes: int,
    base_values: int,
    base_pairs: int,
    n1: int,
    disagree_pairs: int,
    disagree_by_m: Mapping[int, int],
    kappa_counts: list[int],
    two_coders: bool,
    kappa_note: str | None,
    empty_note: str | None,
    chars: CharacterTable,
    segment_codes: int,
    kappas: list[float],
) -> CodeAgreement:
    if empty_note is not None or pooled_codes == 0:
        note = empty_note or "no code was applied on an item coded by two or more coders"
        return CodeAgreement(OVERALL_LABEL, n_items, n_coders, None, None, None, None, note, None)
    n = base_values * pooled_codes
    n0 = n - n1
    percent = 1.0 - disagree_pairs / (base_pairs * pooled_codes)
    alpha = _alpha(n, 2 * n0 * n1, disagree_by_m)
    kappa = None
    notes = [f"pooled over {pooled_codes} code(s) x {n_items} compared item(s)"]
    if two_coders:
        n11, n10, n01 = kappa_counts
        units = n_items * pooled_codes
        n00 = units - n11 - n10 - n01
        kappa = _kappa_from_counts(units, n10 + n01, (n11 + n10) * (n11 + n01) + (n01 + n00) * (n10 + n00))
        if kappas:
            notes.append(f"mean per-code kappa {sum(kappas) / len(kappas):.3f} over {len(kappas)} code(s)")
    elif kappa_note:
        notes.append(kappa_note)
    if n0 == 0:
        notes.append("no variation: every coder applied every pooled code to every compared item")
    seg_overlap = chars.percent_agreement if segment_codes else None
    seg_kappa = chars.kappa if segment_codes and two_coders else None
    if segment_codes:
        notes.append(f"character figures pooled over {segment_codes} segment-coded code(s)")
    return CodeAgreement(
        OVERALL_LABEL, n_items, n_coders, percent, kappa, alpha, seg_overlap, "; ".join(notes), seg_kappa
    )


# ----------------------------------------------------------------------------------------------------------
# Presentation

Row = dict[str, str | int | float | None]


def report_to_rows(report: AgreementReport) -> list[Row]:
    """One dict per code, then the pooled overall row (``scope`` "code" or "overall"); floats unrounded."""
    rows: list[Row] = []
    for scope, entry in [*(("code", c) for c in report.codes), ("overall", report.overall)]:
        rows.append(
            {
                "scope": scope,
                "code": entry.code,
                "n_items": entry.n_items,
                "n_coders": entry.n_coders,
                "percent_agreement": entry.percent_agreement,
                "cohen_kappa": entry.cohen_kappa,
                "krippendorff_alpha": entry.krippendorff_alpha,
                "segment_overlap": entry.segment_overlap,
                "segment_kappa": entry.segment_kappa,
                "note": entry.note,
            }
        )
    return rows


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _coefficient(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_table(report: AgreementReport, *, max_code_width: int = 40) -> str:
    """Fixed-width plain-text table (CLI or a monospaced chat message), notes as numbered footnotes."""
    header = ("Code", "Items", "Agree", "Kappa", "Alpha", "Chars", "CharK", "")
    entries = [*report.codes, report.overall]
    notes: list[str] = []
    body: list[tuple[str, ...]] = []
    for entry in entries:
        code = entry.code if len(entry.code) <= max_code_width else entry.code[: max_code_width - 1] + "…"
        mark = ""
        if entry.note:
            if entry.note not in notes:
                notes.append(entry.note)
            mark = f"[{notes.index(entry.note) + 1}]"
        body.append(
            (
                code,
                str(entry.n_items),
                _percent(entry.percent_agreement),
                _coefficient(entry.cohen_kappa),
                _coefficient(entry.krippendorff_alpha),
                _percent(entry.segment_overlap),
                _coefficient(entry.segment_kappa),
                mark,
            )
        )
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        numbers = zip(row[1:-1], widths[1:-1], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in numbers]
        return ("  ".join(cells) + " " + row[-1]).rstrip()

    rule = "-" * len(line(tuple("x" * w for w in widths)))
    out = [
        f"{report.items} item(s), coders: {', '.join(report.coders) or '-'}",
        line(header),
        rule,
        *(line(row) for row in body[:-1]),
        rule,
        line(body[-1]),
    ]
    if notes:
        out.append("")
        out.extend(f"[{i}] {text}" for i, text in enumerate(notes, 1))
    out.append("")
    out.append("Agree: pairwise % agreement on applying each code to an item; Kappa: Cohen (two coders);")
    out.append("Alpha: Krippendorff, nominal; Chars/CharK: character-level % agreement and kappa.")
    return "\n".join(out)
