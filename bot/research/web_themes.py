"""The workbench's Themes page: a round's theme report, read-only, with its map.

The same report as ``balint research themes report`` (``theme_report.build``): per theme its definition, codes,
prevalence, agreement per code and exemplar quotes (redacted, with pseudonym and week), and the theme map
(``theme_render.theme_map_png``), which the page loads from its own address. Themes are changed on the command
line (``balint research themes …``); the page only shows them. Each view is audited as ``web.view``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, theme_render, theme_report
from bot.research.theme_report import SOURCE_IMPORTED, SOURCE_REFLECTION, SOURCE_TURN, Prevalence, ThemeReport
from bot.research.web_views import Ctx, viewed
from storage import coding_repo
from storage.research_models import CodingRound


def _report(session: Session, env: Env, ctx: Ctx, round_number: int | None) -> tuple[CodingRound, ThemeReport]:
    rnd = codebook.round_by_number(session, ctx.study, round_number)
    return rnd, theme_report.build(session, env, ctx.study, rnd)


def _prevalence(p: Prevalence) -> dict[str, int]:
    return {"items": len(p.items), "participants": len(p.participants), "weeks": len(p.weeks),
            "private": len(p.by_source.get(SOURCE_REFLECTION, ())), "circle": len(p.by_source.get(SOURCE_TURN, ())),
            "in_person": len(p.by_source.get(SOURCE_IMPORTED, ())), "sessions": len(p.sessions)}


def themes_page(session: Session, env: Env, ctx: Ctx, round_number: int | None = None) -> dict[str, Any]:
    """Return a round's theme report as the page shows it (the open or latest round when none is asked for)."""
    rnd, report = _report(session, env, ctx, round_number)
    assert ctx.study.id is not None
    rounds = [r.number for r in coding_repo.rounds_of(session=session, study_id=ctx.study.id)]
    shown = [{
        "name": t.name, "definition": t.definition, "colour": t.colour, "prevalence": _prevalence(t.prevalence),
        "codes": [{"path": c.path, "definition": c.definition, "prevalence": _prevalence(c.prevalence),
                   "agreement": c.agreement} for c in t.codes],
        "quotes": [{"text": q.text, "pseudonym": q.pseudonym, "week": q.week, "code": q.code, "coder": q.coder,
                    "note": q.note} for q in t.quotes],
    } for t in report.themes]
    viewed(session, env, ctx, "themes", round=rnd.number, quotes=sum(len(t.quotes) for t in report.themes))
    return {"round": rnd.number, "open": report.open, "rounds": rounds, "themes": shown,
            "coded_items": report.coded_items, "participants": report.participants, "coders": report.coders}


def theme_map(session: Session, env: Env, ctx: Ctx, round_number: int | None = None) -> bytes:
    """Return the round's theme map as a PNG (themes to codes, each code's dot sized by its items)."""
    rnd, report = _report(session, env, ctx, round_number)
    viewed(session, env, ctx, "theme_map", round=rnd.number)
    return theme_render.theme_map_png(report)
