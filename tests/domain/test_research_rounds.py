"""Rounds that hold: membership fixed at assignment, /code serving only assigned items, counts that add up."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.chat import research as chat_research
from bot.core.context import Env
from bot.research import chat, codebook, coding, compare, rounds
from bot.research.errors import ResearchError
from storage import coding_repo
from storage.db import Database
from storage.models import Study
from storage.research_models import Assignment, CodingItem
from tests.support.factories import buttons, press
from tests.support.research_support import RESEARCHER_A, RESEARCHER_B, assign, ready_to_code, study


def _members(db: Database) -> set[int]:
    return set(db.call(lambda s: s.exec(select(Assignment.item_id)).all()))


def _code_all(db: Database, env: Env, person, codes_by_item: dict[int, list[str]], *, finish: bool = True) -> None:
    """Apply whole-item codes as ``person`` (by code name) and finish each listed item."""

    def run(session: Session) -> None:
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=person.telegram_id)
        for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id, coder_id=me.id):
            if a.item_id not in codes_by_item:
                continue
            for name in codes_by_item[a.item_id]:
                coding.toggle(session, env, a, codebook.find_code(session, rnd, name))
            if finish:
                coding.finish(session, env, a)

    db.call(run)


def test_code_serves_only_assigned_items_and_the_round_never_grows(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort, students=2)  # 10 items in the queue
    (nothing,) = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert "No items are assigned to you in round 1" in nothing.text
    assert _members(db) == set()

    assert assign(db, research_env, limit=2).items == 2  # a calibration subset
    assert _members(db) == {1, 2}
    for _ in range(2):
        _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
        press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
    (done,) = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert "You've finished every item assigned to you in round 1" in done.text
    assert _members(db) == {1, 2}  # /code pulled nothing in


def test_a_put_aside_item_comes_back_after_the_others(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env, limit=3)
    _, first = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert first.text.startswith("<b>Item #1 ·")
    skipped = db.call(chat_research.skip_command, research_env, RESEARCHER_A)
    assert skipped[0].text == "Item #1 put aside; it comes back after the others."
    seen = []
    view = skipped[-1]
    for _ in range(3):
        seen.append(int(view.text.split("#")[1].split(" ")[0]))
        outcome = press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
        view = outcome.replies[-1]
    assert seen == [2, 3, 1]
    assert "nothing is waiting for you" in view.text
    assert _members(db) == {1, 2, 3}


def test_code_with_a_number_opens_that_item_when_it_is_theirs(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env, limit=3)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A, "3")
    assert view.text.startswith("<b>Item #3 ·")
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A, "#2")
    assert view.text.startswith("<b>Item #2 ·")
    (refused,) = db.call(chat.code_command, research_env, RESEARCHER_A, "7")
    assert refused.text == "Item #7 isn't one of yours in an open round. /code shows the next item waiting for you."
    press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
    (fixed,) = db.call(chat.code_command, research_env, RESEARCHER_A, "#2")
    assert fixed.text.startswith("You've finished item #2 already, so its codes are fixed. Your codes: no codes")
    assert _members(db) == {1, 2, 3}


def test_assign_names_items_and_leaves_out_those_coded_in_an_earlier_round(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort, students=2)
    assert assign(db, research_env, items=[4, 9]).items == 2
    assert _members(db) == {4, 9}
    try:
        assign(db, research_env, items=[99])
    except ResearchError as exc:
        assert str(exc) == "item 99 is not in the queue of Balint Study 2026"
    else:
        raise AssertionError("assigned an item that does not exist")

    def close(session: Session) -> None:
        rounds.close_round(session, research_env, session.get(Study, study(db).id), actor="lead", force=True)

    db.call(close)
    again = assign(db, research_env)
    assert (again.items, again.coded_before) == (8, 2)  # 4 and 9 were coded in round 1
    assert assign(db, research_env, items=[4]).items == 1  # named: coded again


def _status_rounds(db: Database, research_env: Env) -> list[dict]:
    from bot.cli.research import _status

    return db.call(_status, research_env, None)["rounds"]


def test_status_counts_add_up_and_an_agreed_item_cannot_be_settled(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)  # items 1-5
    _code_all(db, research_env, RESEARCHER_A, {1: ["Self-preservation"], 2: ["Self-preservation"], 3: [], 4: []})
    _code_all(
        db,
        research_env,
        RESEARCHER_B,
        {1: ["Self-preservation"], 2: ["Attunement to encounters"], 3: ["Self-preservation"], 4: []},
    )

    def settle(session: Session, item_id: int) -> None:
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        compare.settle(session, research_env, rnd, session.get(CodingItem, item_id), code_ids=[], actor="lead")

    db.call(settle, 2)
    for item_id in (1, 4):
        try:
            db.call(settle, item_id)
        except ResearchError as exc:
            assert f"item {item_id} needs no settling: its coders agree already" in str(exc)
        else:
            raise AssertionError("settled an agreed item")
    (r,) = _status_rounds(db, research_env)
    assert r["assigned"] == r["in_progress"] + r["agreed"] + r["disagreements"] + r["settled"]
    assert r["double_coded"] == r["agreed"] + r["disagreements"] + r["settled"]
    assert (r["assigned"], r["in_progress"], r["agreed"], r["disagreements"], r["settled"]) == (5, 1, 2, 1, 1)


def test_close_round_names_items_not_reviewed_and_needs_force(db, research_env, study_cohort):
    """Issue 14, 'Closing a round': items assigned before review (or sent back by an edit) hold the round open."""
    from tests.support.research_support import enrol, reflect, researchers, run_intake, seed

    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    assert assign(db, research_env, reviewed_only=False, limit=2).items == 2
    for person in (RESEARCHER_A, RESEARCHER_B):
        _code_all(db, research_env, person, {1: [], 2: []})  # finished, agreed: only the review is open

    def close(session: Session, force: bool) -> rounds.Closed:
        return rounds.close_round(session, research_env, session.get(Study, study(db).id), actor="lead", force=force)

    try:
        db.call(close, False)
    except rounds.RoundNotFinished as exc:
        assert exc.report.lines() == ["2 item(s) not reviewed: #1, #2"]
        assert "--force" in str(exc)
    else:
        raise AssertionError("closed a round whose items were never reviewed")
    done = db.call(close, True)
    assert done.members == 2 and done.forced.unreviewed == [1, 2]
