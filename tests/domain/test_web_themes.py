"""The Themes page's content: the theme report of a round and its map, audited."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.context import Person
from bot.research import themes, web_themes, web_views
from storage.models import AuditEvent, Study
from tests.support.research_support import RESEARCHER_A
from tests.support.web_support import ready_study


def _ctx(session: Session, env) -> web_views.Ctx:
    study = session.exec(select(Study)).one()
    return web_views.enter(session, env, Person(telegram_id=RESEARCHER_A.telegram_id), study.id or 0)


def test_a_round_without_themes_says_so_and_a_seeded_one_shows_them(db, research_env, study_cohort):
    ready_study(db, research_env, study_cohort)
    empty = db.call(lambda s: web_themes.themes_page(s, research_env, _ctx(s, research_env)))
    assert (empty["round"], empty["open"], empty["themes"], empty["rounds"]) == (1, True, [], [1])

    db.call(lambda s: themes.seed(s, research_env, _ctx(s, research_env).study, actor="test"))
    page = db.call(lambda s: web_themes.themes_page(s, research_env, _ctx(s, research_env), 1))
    assert [t["name"] for t in page["themes"]][:2] == ["Container for vulnerability", "Attunement to encounters"]
    first = page["themes"][0]
    assert first["prevalence"] == {
        "items": 0,
        "participants": 0,
        "weeks": 0,
        "private": 0,
        "circle": 0,
        "in_person": 0,
        "sessions": 0,
    }
    assert first["codes"][0]["path"] == "Container for vulnerability" and first["codes"][0]["agreement"] is None

    png = db.call(lambda s: web_themes.theme_map(s, research_env, _ctx(s, research_env), 1))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    views = db.call(
        lambda s: [
            (e.actor, e.detail.get("what"), e.detail.get("round"))
            for e in s.exec(select(AuditEvent)).all()
            if e.action == "web.view"
        ]
    )
    assert views == [("web:C1", "themes", 1), ("web:C1", "themes", 1), ("web:C1", "theme_map", 1)]


def test_the_kept_map_and_page_are_served_until_a_theme_changes(db, research_env, study_cohort, monkeypatch):
    ready_study(db, research_env, study_cohort)
    db.call(lambda s: themes.seed(s, research_env, _ctx(s, research_env).study, actor="test"))
    cache: dict = {}
    drawn = []
    draw = web_themes.theme_render.theme_map_png
    monkeypatch.setattr(web_themes.theme_render, "theme_map_png", lambda report: drawn.append(1) or draw(report))

    def served() -> tuple[bytes, dict]:
        ctx = lambda s: _ctx(s, research_env)  # noqa: E731
        return (
            db.call(lambda s: web_themes.theme_map(s, research_env, ctx(s), 1, cache)),
            db.call(lambda s: web_themes.themes_page(s, research_env, ctx(s), 1, cache)),
        )

    first_png, first_page = served()
    again_png, again_page = served()
    assert (again_png, again_page) == (first_png, first_page) and len(drawn) == 1  # drawn once, then kept
    assert len(first_page["themes"][0]["codes"]) >= 2

    def rename(s: Session) -> None:
        ctx = _ctx(s, research_env)
        rnd = web_themes.codebook.round_by_number(s, ctx.study, 1)
        theme = themes.themes(s, research_env, rnd)[0]
        themes.edit_theme(s, research_env, rnd, theme, name="Holding the vulnerable", actor="test")
        themes.unlink(s, research_env, rnd, theme, themes.codes_of(s, theme)[:1], actor="test")

    db.call(rename)
    after_png, after_page = served()
    assert len(drawn) == 2 and after_png != first_png and after_png.startswith(b"\x89PNG")
    assert after_page["themes"][0]["name"] == "Holding the vulnerable"
    assert [c["path"] for c in after_page["themes"][0]["codes"]] == [
        c["path"] for c in first_page["themes"][0]["codes"][1:]
    ]
    assert after_page["themes"][1:] == first_page["themes"][1:]


def test_maps_drawn_at_start_up_are_served_without_drawing(db, research_env, study_cohort, monkeypatch):
    ready_study(db, research_env, study_cohort)
    cache: dict = {}
    assert db.call(web_themes.warm, research_env, cache) == 0  # no themes yet: nothing to draw
    db.call(lambda s: themes.seed(s, research_env, _ctx(s, research_env).study, actor="test"))
    assert db.call(web_themes.warm, research_env, cache) == 1
    drawn = db.call(lambda s: web_themes.theme_map(s, research_env, _ctx(s, research_env), 1))
    monkeypatch.setattr(web_themes.theme_render, "theme_map_png", lambda report: b"drawn again")
    assert db.call(lambda s: web_themes.theme_map(s, research_env, _ctx(s, research_env), 1, cache)) == drawn
