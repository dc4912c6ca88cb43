"""The agreement report as rows (CSV, JSON, the web table) and as a fixed-width text table (CLI, chat)."""

from __future__ import annotations

from bot.research.agreement.metrics import AgreementReport

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
