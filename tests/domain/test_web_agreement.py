"""The Agreement page's figures: the same as ``balint research agreement``, also when its kept input is brought
up to date after a coder finishes (only that item read) or read afresh after a codebook change."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.core.context import Person
from bot.research import codebook, codebook_change, coding, compare, web_agreement, web_views
from bot.research.agreement import report_to_rows
from storage.models import Study
from storage.research_models import Assignment, ResearchCode
from tests.support.research_support import RESEARCHER_A
from tests.support.web_support import ready_study


def _finish(session: Session, env, assignment: Assignment, *names: str) -> None:
    for name in names:
        code = session.exec(
            select(ResearchCode).where(ResearchCode.name == name, ResearchCode.retired_at == None)  # noqa: E711
        ).one()
        coding.toggle(session, env, assignment, code)
    coding.finish(session, env, assignment)


def test_kept_figures_match_the_cli_after_a_finish_and_a_codebook_change(db, research_env, study_cohort):
    ready_study(db, research_env, study_cohort, students=2)
    cache: dict = {}

    def page(session: Session) -> dict:
        study = session.exec(select(Study)).one()
        ctx = web_views.enter(session, research_env, Person(telegram_id=RESEARCHER_A.telegram_id), study.id or 0)
        return web_agreement.agreement(session, research_env, ctx, cache)["rounds"][0]

    def cli(session: Session) -> list:
        study = session.exec(select(Study)).one()
        return report_to_rows(compare.round_agreement(session, codebook.open_round(session, study.id or 0)))

    assignments = db.call(lambda s: [(a.id, a.item_id) for a in s.exec(select(Assignment).order_by(Assignment.id))])
    by_item: dict[int, list[int]] = {}
    for aid, item in assignments:
        by_item.setdefault(item, []).append(aid)
    items = sorted(by_item)

    def finish(item: int, first: tuple[str, ...], second: tuple[str, ...]) -> None:
        def run(session: Session) -> None:
            one, two = (session.get(Assignment, a) for a in by_item[item])
            _finish(session, research_env, one, *first)
            _finish(session, research_env, two, *second)

        db.call(run)

    finish(items[0], ("Self-preservation",), ("Self-preservation",))
    finish(items[1], ("Self-preservation",), ("Attunement to encounters",))
    first = db.call(page)
    assert first["rows"] == db.call(cli) and first["items"] == 2 and first["waiting"] == 1
    assert [c["coder"] for c in first["disagreements"][0]["columns"]] == ["C1", "C2"]

    round_id = db.call(lambda s: s.exec(select(Assignment)).first().round_id)
    kept = cache[("input", round_id)]
    research_env.clock.advance(timedelta(minutes=1))
    finish(items[2], ("Container for vulnerability",), ())
    second = db.call(page)
    assert cache[("input", round_id)] is kept and len(kept.finished) == 6  # brought up to date, not read afresh
    assert second["rows"] == db.call(cli) and second["items"] == 3 and second["waiting"] == 2

    def rename(session: Session) -> None:
        study = session.exec(select(Study)).one()
        codebook_change.change(
            session, research_env, study, "edit", actor="test", code="Self-preservation", name="Keeping oneself safe"
        )

    db.call(rename)
    third = db.call(page)
    assert third["rows"] == db.call(cli)
    assert any(row["code"] == "Keeping oneself safe" for row in third["rows"])  # names read again
