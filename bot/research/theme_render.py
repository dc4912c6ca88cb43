"""Render a theme report: Markdown, HTML or Word (.docx), each with the theme map (a PNG, saved beside it).

The map draws each theme on the left and its codes on the right, a line from theme to code, each code's dot sized
by the number of items it occurs in. matplotlib (Agg) and python-docx are imported only when a report is made.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from html import escape
from typing import IO

from bot.research.theme_report import CodeRow, Quote, ThemeReport, ThemeRow

FORMATS = ("md", "html", "docx")
HEADERS = ("Code", "Items", "Participants", "Weeks", "% agreement", "Cohen's κ", "Krippendorff's α")


def _figure(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.0f}%" if percent else f"{value:.2f}"


def code_cells(row: CodeRow) -> list[str]:
    """Return a code's row of the report table."""
    a = row.agreement
    return [row.path, str(len(row.prevalence.items)), str(len(row.prevalence.participants)),
            str(len(row.prevalence.weeks)), _figure(a.percent_agreement if a else None, percent=True),
            _figure(a.cohen_kappa if a else None), _figure(a.krippendorff_alpha if a else None)]


def prevalence_line(theme: ThemeRow) -> str:
    """Return a theme's prevalence in words."""
    p = theme.prevalence
    sources = ", ".join(f"{len(v)} {k}" for k, v in sorted(p.by_source.items())) or "none"
    return (f"{len(p.items)} item(s) from {len(p.participants)} participant(s) in {len(p.weeks)} week(s) "
            f"(sources: {sources}; group sessions: {len(p.sessions)})")


def quote_line(q: Quote) -> str:
    """Return an exemplar's attribution."""
    return f"{q.pseudonym}, week {q.week} ({q.code}; marked by {q.coder}{'; ' + q.note if q.note else ''})"


def summary(report: ThemeReport) -> str:
    return (f"Round {report.round} ({'open' if report.open else 'closed'}), made "
            f"{report.made_at.strftime('%Y-%m-%d %H:%M UTC')}: {len(report.themes)} theme(s); "
            f"{report.coded_items} coded item(s) from {report.participants} participant(s); coders: "
            f"{', '.join(report.coders) or 'none'}.")


# -------------------------------------------------------------------------------------------------- map


def theme_map_png(report: ThemeReport) -> bytes:
    """Draw themes -> codes, each code's dot sized by its items; return the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    rows = [(t, c) for t in report.themes for c in t.codes] or []
    height = max(3.0, 0.42 * max(len(rows), len(report.themes)) + 1.2)
    fig = Figure(figsize=(10, height), dpi=110)
    ax = fig.add_subplot()
    ax.set_axis_off()
    n = max(len(rows), 1)
    ys = {id(c): 1 - (i + 0.5) / n for i, (_, c) in enumerate(rows)}
    most = max((len(c.prevalence.items) for _, c in rows), default=0) or 1
    for theme in report.themes:
        ty = (sum(ys[id(c)] for c in theme.codes) / len(theme.codes)) if theme.codes else 0.5
        ax.text(0.02, ty, theme.name, ha="left", va="center", fontsize=10, weight="bold", color="white",
                bbox={"boxstyle": "round,pad=0.4", "facecolor": theme.colour, "edgecolor": "none"})
        ax.add_collection(LineCollection([[(0.33, ty), (0.6, ys[id(c)])] for c in theme.codes], colors=theme.colour,
                                         alpha=0.5, linewidths=1, zorder=2))
        for code in theme.codes:
            y = ys[id(code)]
            ax.text(0.64, y, f"{code.name} ({len(code.prevalence.items)})", ha="left", va="center", fontsize=8)
        if theme.codes:  # one collection of dots a theme: a scatter call each took most of the drawing time
            ax.scatter([0.6] * len(theme.codes), [ys[id(c)] for c in theme.codes],
                       s=[30 + 560 * len(c.prevalence.items) / most for c in theme.codes], color=theme.colour,
                       alpha=0.8, zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"Themes and codes, round {report.round} of {report.study} (dot size: items)", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


# -------------------------------------------------------------------------------------------- formats


def write_md(report: ThemeReport, png: bytes, out: IO[bytes], map_name: str) -> None:
    """Write the report as Markdown, the map linked as ``map_name``."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# Themes of {report.study}", "", summary(report), "", f"![Theme map]({map_name})", ""]
    for theme in report.themes:
        lines += [f"## {theme.name}", "", theme.definition or "(no definition yet)", "",
                  f"Prevalence: {prevalence_line(theme)}.", "",
                  "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += ["| " + " | ".join(cell(v) for v in code_cells(c)) + " |" for c in theme.codes]
        lines.append("")
        if theme.quotes:
            lines += ["Exemplar quotes:", ""]
            for q in theme.quotes:
                lines += ["> " + q.text.replace("\n", "\n> "), f"> — {quote_line(q)}", ""]
    out.write("\n".join(lines).encode("utf-8"))


def write_html(report: ThemeReport, png: bytes, out: IO[bytes], map_name: str) -> None:
    """Write the report as one HTML page with the map embedded."""
    e = escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Themes of {e(report.study)}, round {report.round}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}blockquote{border-left:4px solid #ccc;"
             "margin:1em 0;padding-left:1em}</style></head><body>",
             f"<h1>Themes of {e(report.study)}</h1>", f"<p>{e(summary(report))}</p>",
             f'<img alt="Theme map" style="max-width:100%" src="data:image/png;base64,'
             f'{base64.b64encode(png).decode()}">']
    for theme in report.themes:
        parts += [f'<h2 style="color:{e(theme.colour)}">{e(theme.name)}</h2>',
                  f"<p>{e(theme.definition or '(no definition yet)')}</p>",
                  f"<p>Prevalence: {e(prevalence_line(theme))}.</p>",
                  "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADERS) + "</tr>"]
        parts += ["<tr>" + "".join(f"<td>{e(v)}</td>" for v in code_cells(c)) + "</tr>" for c in theme.codes]
        parts.append("</table>")
        for q in theme.quotes:
            parts.append(f"<blockquote><p>{e(q.text)}</p><footer>— {e(quote_line(q))}</footer></blockquote>")
    parts.append("</body></html>")
    out.write("\n".join(parts).encode("utf-8"))


def write_docx(report: ThemeReport, png: bytes, out: IO[bytes], map_name: str) -> None:
    """Write the report as a Word document with the map as a picture."""
    from docx import Document
    from docx.shared import Inches

    doc = Document()
    doc.add_heading(f"Themes of {report.study}", level=1)
    doc.add_paragraph(summary(report))
    doc.add_picture(io.BytesIO(png), width=Inches(6.3))
    for theme in report.themes:
        doc.add_heading(theme.name, level=2)
        doc.add_paragraph(theme.definition or "(no definition yet)")
        doc.add_paragraph(f"Prevalence: {prevalence_line(theme)}.")
        table = doc.add_table(rows=1, cols=len(HEADERS))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, HEADERS, strict=True):
            cell.text = text
        for code in theme.codes:
            for cell, text in zip(table.add_row().cells, code_cells(code), strict=True):
                cell.text = text
        for q in theme.quotes:
            doc.add_paragraph(q.text, style="Quote")
            doc.add_paragraph(f"— {quote_line(q)}")
    doc.save(out)


WRITERS: dict[str, Callable[[ThemeReport, bytes, IO[bytes], str], None]] = {
    "md": write_md, "html": write_html, "docx": write_docx}
