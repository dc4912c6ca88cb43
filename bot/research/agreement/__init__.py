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

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.research.agreement.metrics import (
    AgreementReport,
    CharacterTable,
    CodeAgreement,
    _alpha,
    _covered,
    _intersection,
    _kappa_from_counts,
    _merge,
    cohen_kappa,
    krippendorff_alpha_nominal,
    percent_agreement,
    segment_overlap,
)
from bot.research.agreement.table import format_table, report_to_rows

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
