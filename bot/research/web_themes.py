"""The workbench's Themes page: a round's theme report, read-only, with its map.

The same report as ``balint research themes report`` (``theme_report.build``): per theme its definition, codes,
prevalence, agreement per code and exemplar quotes (redacted, with pseudonym and week), and the theme map
(``theme_render.theme_map_png``), which the page loads from its own address. Themes are changed on the command
line (``balint research themes …``); the page only shows them. Each view is audited as ``web.view``.

With the transport's ``cache`` (the Agreement page's), each code's agreement and the codes of each finished item
come from what the Agreement page keeps, and the page's data and the map's PNG (matplotlib takes hundreds of
milliseconds to draw it) are kept per round under a fingerprint of everything the report shows: the agreement
fingerprint (assignments, finishes, settlements, the codebook's changes, the items), the themes' last change and
exemplar marks, and the study's name.
Both are made ahead at start-up (``warm``) for rounds that have themes.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.core.context import Env
from bot.research import codebook, theme_render, theme_report, web_agreement
from bot.research.theme_report import SOURCE_IMPORTED, SOURCE_REFLECTION, SOURCE_TURN, Prevalence, ThemeReport
from bot.research.web_views import Ctx, viewed
from storage import coding_repo, research_repo, theme_repo
from storage.models import Study
from storage.research_models import CodingRound


def _fingerprint(session: Session, study: Study, rnd: CodingRound, agreement_fp: tuple[Any, ...]) -> tuple[Any, ...]:
    return (study.name, agreement_fp, theme_repo.report_fingerprint(session=session, round_id=rnd.id or 0))


def _kept_report(session: Session, env: Env, study: Study, rnd: CodingRound, cache: dict[Any, Any]
                 ) -> tuple[ThemeReport, tuple[Any, ...]]:
    """Return the round's theme report (kept in ``cache`` while its fingerprint holds) and the fingerprint."""
    data, agreement_fp, figures = web_agreement.round_figures(session, rnd, cache)
    fingerprint = _fingerprint(session, study, rnd, agreement_fp)
    kept = cache.get(("themes", rnd.id))
    if kept is not None and kept[0] == fingerprint:
        return kept[1], fingerprint
    report = theme_report.build(session, env, study, rnd, agreement=figures["per_code"], coded=data.item_codes())
    # building carries the previous round's themes over the first time (new theme events): read it again
    fingerprint = _fingerprint(session, study, rnd, agreement_fp)
    cache[("themes", rnd.id)] = (fingerprint, report)
    return report, fingerprint


def _kept_map(report: ThemeReport, fingerprint: tuple[Any, ...], rnd: CodingRound, cache: dict[Any, Any] | None
              ) -> bytes:
    kept = cache.get(("theme_map", rnd.id)) if cache is not None else None
    if kept is not None and kept[0] == fingerprint:
        return bytes(kept[1])
    png = theme_render.theme_map_png(report)
    if cache is not None:
        cache[("theme_map", rnd.id)] = (fingerprint, png)
    return png


def _report(session: Session, env: Env, ctx: Ctx, round_number: int | None, cache: dict[Any, Any] | None
            ) -> tuple[CodingRound, ThemeReport, tuple[Any, ...]]:
    rnd = codebook.round_by_number(session, ctx.study, round_number)
    if cache is None:
        return rnd, theme_report.build(session, env, ctx.study, rnd), ()
    return rnd, *_kept_report(session, env, ctx.study, rnd, cache)


def _prevalence(p: Prevalence) -> dict[str, int]:
    return {"items": len(p.items), "participants": len(p.participants), "weeks": len(p.weeks),
            "private": len(p.by_source.get(SOURCE_REFLECTION, ())), "circle": len(p.by_source.get(SOURCE_TURN, ())),
            "in_person": len(p.by_source.get(SOURCE_IMPORTED, ())), "sessions": len(p.sessions)}


def themes_page(session: Session, env: Env, ctx: Ctx, round_number: int | None = None,
                cache: dict[Any, Any] | None = None) -> dict[str, Any]:
    """Return a round's theme report as the page shows it (the open or latest round when none is asked for)."""
    rnd, report, _fingerprint = _report(session, env, ctx, round_number, cache)
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


def theme_map(session: Session, env: Env, ctx: Ctx, round_number: int | None = None,
              cache: dict[Any, Any] | None = None) -> bytes:
    """Return the round's theme map as a PNG (themes to codes, each code's dot sized by its items)."""
    rnd, report, fingerprint = _report(session, env, ctx, round_number, cache)
    viewed(session, env, ctx, "theme_map", round=rnd.number)
    return _kept_map(report, fingerprint, rnd, cache)


def warm(session: Session, env: Env, cache: dict[Any, Any]) -> int:
    """Build every round's theme report and draw its map into ``cache`` (at start-up, after the agreement
    figures), so the first Themes page draws nothing; return how many maps were drawn. Rounds without themes
    are left to their first view."""
    drawn = 0
    for study in research_repo.list_studies(session=session):
        assert study.id is not None
        for rnd in coding_repo.rounds_of(session=session, study_id=study.id):
            if not theme_repo.themes_of_round(session=session, round_id=rnd.id or 0):
                continue
            report, fingerprint = _kept_report(session, env, study, rnd, cache)
            _kept_map(report, fingerprint, rnd, cache)
            drawn += 1
    return drawn
