"""Double coding in the domain: assignment, blind coding through the chat, disagreements, access rules."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.chat import research as chat_research
from bot.core import actions
from bot.core.actions import Action
from bot.core.context import Person
from bot.research import chat, chat_quote, codebook, coding, compare
from bot.research.access import NOT_A_RESEARCHER, OLD_LINK
from bot.research.errors import ResearchError
from storage.db import Database
from storage.models import Study
from storage.research_models import Assignment, Coder, CodingItem, Memo, ResearchCoding
from tests.support.factories import buttons, press
from tests.support.research_support import (
    OUTSIDER,
    RESEARCHER_A,
    RESEARCHER_B,
    assign,
    enrol,
    items,
    ready_to_code,
    reflect,
    researchers,
    review_all,
    run_intake,
    seed,
    study,
)


def _assignments(db: Database) -> list[tuple[int, int, bool]]:
    return db.call(
        lambda s: [
            (a.item_id, a.coder_id, a.independent) for a in s.exec(select(Assignment).order_by(Assignment.id)).all()
        ]
    )


def test_each_item_gets_two_coders_one_independent(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort, students=2)
    result = assign(db, research_env)
    assert (result.items, result.assignments) == (10, 20)
    rows = _assignments(db)
    per_item: dict[int, list[tuple[int, bool]]] = {}
    for item, coder, independent in rows:
        per_item.setdefault(item, []).append((coder, independent))
    assert all(len(v) == 2 and sum(ind for _c, ind in v) == 1 for v in per_item.values())
    independent_coders = {c for v in per_item.values() for c, ind in v if ind}
    assert len(independent_coders) == 1  # always C2, flagged independent
    assert assign(db, research_env).items == 0  # nothing left to assign


def test_without_an_independent_coder_the_second_is_marked_and_load_is_balanced(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort, independent_b=False)

    def third(session):
        from bot.research.access import grant

        grant(session, research_env, session.get(Study, study(db).id), OUTSIDER.telegram_id, label="C3", actor="lead")

    db.call(third)
    assign(db, research_env)
    rows = _assignments(db)
    loads: dict[int, int] = {}
    for _item, coder, _ind in rows:
        loads[coder] = loads.get(coder, 0) + 1
    assert sorted(loads.values()) == [3, 3, 4]
    assert sum(ind for *_x, ind in rows) == 5


def test_unreviewed_items_wait_unless_asked(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    first = assign(db, research_env)
    assert (first.items, first.waiting_review) == (0, 5)
    assert assign(db, research_env, reviewed_only=False).items == 5


def test_too_few_coders_is_a_clear_error(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    try:
        assign(db, research_env, per_item=3)
    except ResearchError as exc:
        assert "2 coder(s); 3 are needed per item" in str(exc)
    else:
        raise AssertionError("assigned with too few coders")


def test_blind_coding_through_the_chat(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    intro, view_a = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert "Round 1 of <b>Balint Study 2026</b>" in intro.text
    assert view_a.text.startswith("<b>Item #1 · P001 · week 1 · The encounter</b>")
    assert "I met Mrs [NAME], aged [AGE]" in view_a.text and "Jones" not in view_a.text
    labels = buttons(view_a)
    assert "☐ Attunement to encounters" in labels and "✓ Done with this item" in labels

    toggled = press(db, research_env, RESEARCHER_A, labels["☐ Attunement to encounters"])
    assert toggled.toast == "☑ Attunement to encounters"
    assert "☑ Attunement to encounters" in {b.label for row in toggled.buttons for b in row}

    # B sees the same item with none of A's codes
    _, view_b = db.call(chat.code_command, research_env, RESEARCHER_B)
    assert view_b.text.split("\n")[0] == view_a.text.split("\n")[0]
    assert all(label.startswith(("☐", "✓")) for label in buttons(view_b))
    press(db, research_env, RESEARCHER_B, buttons(view_b)["☐ Self-preservation"])

    done_a = press(db, research_env, RESEARCHER_A, labels["✓ Done with this item"])
    assert "✓ <b>Finished.</b> Your codes: Attunement to encounters" in done_a.edit_text
    assert "You'll see the other coder's codes on item #1 once they've finished" in done_a.replies[0].text
    assert "Self-preservation" not in " ".join(r.text for r in done_a.replies)  # still blind
    assert done_a.replies[-1].text.startswith("<b>Item #2 ·")

    late = press(db, research_env, RESEARCHER_A, labels["☐ Self-preservation"])
    assert "codes are fixed" in late.toast

    done_b = press(db, research_env, RESEARCHER_B, buttons(view_b)["✓ Done with this item"])
    reveal = done_b.replies[0].text
    assert "Everyone has finished item #1" in reveal
    assert "• You (C2): Self-preservation" in reveal and "• C1: Attunement to encounters" in reveal


def test_a_quoted_passage_is_coded_in_code_points(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    texts = [
        "😀 A smiling man 🙂 told me the ward felt like home, and I believed him.",
        "I felt warm and then unsure, and unsure again later.",
        "He might have felt relieved to be heard.",
        "Something shifted when he laughed at my joke.",
        "Humour can be a way in.",
    ]
    reflect(db, research_env, study_cohort, [ana], texts=texts)
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)
    assign(db, research_env)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    shown = _plain(view.text)  # what the Telegram client shows
    quote = "the ward felt like home"
    utf16 = len(shown[: shown.index(quote)].encode("utf-16-le")) // 2
    asked = db.call(
        chat_quote.reply_to_item,
        research_env,
        RESEARCHER_A,
        replied_text=shown,
        body="this",
        quote=quote,
        quote_position=utf16,
    )
    assert asked[0].text == f"Which code for “{quote}”?"
    choice = buttons(asked[0])["Attunement to encounters"]
    outcome = press(db, research_env, RESEARCHER_A, choice)
    assert "coded as <b>Attunement to encounters</b>" in outcome.edit_text
    (c,) = db.call(lambda s: s.exec(select(ResearchCoding)).all())
    item = items(db)[0]
    assert item.text[c.start : c.end] == quote and c.start == item.text.index(quote)

    # sending the code's name with the quote codes at once; a repeated word is found by its position
    felt_text = "I felt warm and then unsure, and unsure again later."
    press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
    _, felt = db.call(chat.code_command, research_env, RESEARCHER_A)
    shown = _plain(felt.text)
    second = shown.index("unsure", shown.index("unsure") + 1)
    utf16 = len(shown[:second].encode("utf-16-le")) // 2
    said = db.call(
        chat_quote.reply_to_item,
        research_env,
        RESEARCHER_A,
        replied_text=shown,
        body="self-preservation",
        quote="unsure",
        quote_position=utf16,
    )
    assert "coded as <b>Self-preservation</b>" in said[0].text
    coded = db.call(lambda s: s.exec(select(ResearchCoding).order_by(ResearchCoding.id)).all())[-1]
    assert (coded.start, coded.end) == (felt_text.index("unsure again"), felt_text.index("unsure again") + 6)


def _plain(html_text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def test_a_reply_without_a_quote_is_a_memo_and_memo_command_works(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    said = db.call(
        chat_quote.reply_to_item,
        research_env,
        RESEARCHER_A,
        replied_text=_plain(view.text),
        body="Note the phone calls.",
        quote=None,
        quote_position=None,
    )
    assert "Kept as a memo on item #1" in said[0].text
    assert "Memo kept on item #1" in db.call(chat.memo_command, research_env, RESEARCHER_A, "Second thought.")[0].text
    assert (
        "Memo kept on the code <b>Self-preservation</b>"
        in db.call(chat.memo_command, research_env, RESEARCHER_A, "self-preservation: watch for distancing")[0].text
    )
    memos = db.call(lambda s: [(m.item_id, m.code_id is not None, m.text) for m in s.exec(select(Memo)).all()])
    assert memos == [
        (1, False, "Note the phone calls."),
        (1, False, "Second thought."),
        (None, True, "watch for distancing"),
    ]


def test_skip_is_the_students_during_a_reflection_and_the_researchers_otherwise(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    db.call(chat.code_command, research_env, RESEARCHER_A)
    skipped = db.call(chat_research.skip_command, research_env, RESEARCHER_A)
    assert skipped[0].text == "Item #1 put aside; it comes back after the others."
    assert "<b>Item #2 ·" in skipped[-1].text
    # a student (not a researcher) gets the student's /skip
    ana = Person(telegram_id=2001, first_name="S0")
    assert "There's no reflection open right now" in db.call(chat_research.skip_command, research_env, ana)[0].text


def test_an_item_put_aside_comes_after_the_others_and_a_finished_one_cannot_be(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)

    def mine(session: Session) -> list[Assignment]:
        coder = session.exec(select(Coder).where(Coder.telegram_id == RESEARCHER_A.telegram_id)).one()
        return list(
            session.exec(select(Assignment).where(Assignment.coder_id == coder.id).order_by(Assignment.item_id)).all()
        )

    def aside(session: Session, index: int) -> None:
        coding.put_aside(session, research_env, mine(session)[index])

    db.call(aside, 0)
    first = db.call(lambda s: [(a.item_id, a.skipped_at is not None) for a in mine(s)])
    assert first[0][1] and not any(skipped for _, skipped in first[1:])
    shown = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert f"<b>Item #{first[1][0]} ·" in shown[-1].text  # the next one, not the one put aside

    def finish_then_aside(session: Session) -> None:
        a = mine(session)[1]
        coding.finish(session, research_env, a)
        coding.put_aside(session, research_env, a)

    with pytest.raises(ResearchError, match="You've finished this item"):
        db.call(finish_then_aside)
    assert db.call(lambda s: mine(s)[1].skipped_at) is None


def test_disagreements_queue_and_settling_keeps_each_coders_original(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)

    def code(session, person: Person, names_by_item: dict[int, list[str]]):
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        from storage import coding_repo

        me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=person.telegram_id)
        for a in coding_repo.assignments_of_coder(session=session, round_id=rnd.id, coder_id=me.id):
            for name in names_by_item.get(a.item_id, []):
                coding.toggle(session, research_env, a, codebook.find_code(session, rnd, name))
            coding.finish(session, research_env, a)

    db.call(code, RESEARCHER_A, {1: ["Attunement to encounters"], 2: ["Self-preservation"]})
    db.call(code, RESEARCHER_B, {1: ["Attunement to encounters", "Self-preservation"], 2: ["Self-preservation"]})

    def queue(session):
        s = session.get(Study, study(db).id)
        return compare.disagreements(session, codebook.open_round(session, s.id))

    (d,) = db.call(queue)
    assert d["item"] == 1 and d["agreed"] == ["Attunement to encounters"] and d["differing"] == ["Self-preservation"]
    assert d["by_coder"] == {
        "C1": ["Attunement to encounters"],
        "C2": ["Attunement to encounters", "Self-preservation"],
    }

    def settle(session):
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        keep = codebook.find_code(session, rnd, "Attunement to encounters")
        compare.settle(session, research_env, rnd, session.get(CodingItem, 1), code_ids=[keep.id], actor="lead")

    db.call(settle)
    assert db.call(queue) == []
    originals = db.call(lambda s: len(s.exec(select(ResearchCoding)).all()))
    assert originals == 5  # C1's two and C2's three codings are all still there, untouched
    (d,) = db.call(lambda s: compare.disagreements(s, codebook.open_round(s, study(db).id), include_settled=True))
    assert d["item"] == 1 and d["settled"] == ["Attunement to encounters"]


def test_nobody_but_researchers_of_the_study_may_code(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    assert db.call(chat.code_command, research_env, OUTSIDER)[0].text == NOT_A_RESEARCHER
    forged = actions.encode(Action.CODE_TOGGLE, 1, 1)
    assert press(db, research_env, OUTSIDER, forged).toast == NOT_A_RESEARCHER
    # a researcher of another study cannot touch this study's items either
    from bot.core.student.enrolment import CohortIn, create_cohort
    from bot.research.access import grant

    db.call(create_cohort, CohortIn(name="Elsewhere", start_date=study_cohort.start_date, study="Other study"))
    db.call(
        lambda s: grant(
            s,
            research_env,
            s.exec(select(Study).where(Study.name == "Other study")).one(),
            OUTSIDER.telegram_id,
            actor="lead",
        )
    )
    assert press(db, research_env, OUTSIDER, forged).toast == NOT_A_RESEARCHER
    assert press(db, research_env, OUTSIDER, actions.encode(Action.CODE_DONE, 1)).toast == NOT_A_RESEARCHER


def test_progress(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
    text = db.call(chat.progress_command, research_env, RESEARCHER_A)[0].text
    assert "<b>Balint Study 2026</b>, round 1 (you are C1)" in text
    assert "You: 1 of 5 item(s) finished." in text
    assert "Round: 0 of 5 assigned item(s) double-coded; 5 in the queue." in text


def test_skip_during_an_open_reflection_is_the_students_even_for_a_researcher(db, research_env, study_cohort):
    ready_to_code(db, research_env, study_cohort)
    assign(db, research_env)
    db.call(chat.code_command, research_env, RESEARCHER_A)  # an item is on screen …
    rhea = enrol(db, research_env, study_cohort, RESEARCHER_A.telegram_id, "Rhea")  # … and she is a student too
    from tests.support.factories import send_week
    from tests.support.research_support import next_week

    next_week(research_env.clock)  # type: ignore[arg-type]
    send_week(db, research_env, study_cohort, 2)
    rhea.say("A long night shift where a patient's wife waited with me for news.")
    assert "3 · The patient" in db.call(chat_research.skip_command, research_env, RESEARCHER_A)[0].text


def test_a_researcher_link_grants_the_study_and_a_wrong_one_is_refused(db, research_env, study_cohort):
    from bot.chat import student as student_side

    code = study(db).researcher_code
    welcome = db.call(student_side.start, research_env, OUTSIDER, f"r-{code.lower()}")
    assert "you're now a researcher of <b>Balint Study 2026</b>, coding as <b>C1</b>" in welcome[0].text
    again = db.call(student_side.start, research_env, OUTSIDER, f"r-{code}")
    assert "You're already a researcher of <b>Balint Study 2026</b>" in again[0].text
    wrong = db.call(student_side.start, research_env, RESEARCHER_B, "r-NOTACODE")
    assert wrong[0].text == OLD_LINK
    assert db.call(chat.progress_command, research_env, RESEARCHER_B)[0].text == NOT_A_RESEARCHER


def test_a_long_item_still_finishes_within_telegrams_limit(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    long_text = "I kept thinking about the waiting room and the clock on the wall. " * 70  # ~4,600 characters
    reflect(
        db,
        research_env,
        study_cohort,
        [ana],
        texts=[long_text, *[f"Answer number {i} for this week." for i in range(4)]],
    )
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)
    assign(db, research_env)
    _, view = db.call(chat.code_command, research_env, RESEARCHER_A)
    assert len(view.text) > 4096  # the transport sends it in parts; the buttons go on the last
    done = press(db, research_env, RESEARCHER_A, buttons(view)["✓ Done with this item"])
    assert len(done.edit_text) < 4096 and done.edit_text.startswith("<b>Item #1 · P001")


def test_start_and_help_are_role_aware_for_researchers_and_facilitators(db, research_env, study_cohort):
    from bot.chat import commands as chat_commands
    from bot.chat import welcome
    from bot.core.roles import is_facilitator

    researchers(db, research_env)
    (hello, commands) = db.call(welcome.start, research_env, RESEARCHER_A, None)
    assert hello.text == "Hello Rhea! Here is what you can do here."
    assert "/code 7 — open item #7" in commands.text and "Your studies: <b>Balint Study 2026</b>" in commands.text
    helped = db.call(chat_commands.help_command, research_env, RESEARCHER_A)
    text = "\n".join(r.text for r in helped)
    assert "/progress" in text and "/memo" in text and "/reflect" not in text and "/withdraw" not in text
    # a researcher who is also a student gets both lists
    enrol(db, research_env, study_cohort, RESEARCHER_B.telegram_id, "Bo")
    both = "\n".join(r.text for r in db.call(chat_commands.help_command, research_env, RESEARCHER_B))
    assert "/reflect" in both and "/code" in both
    # a facilitator with no cohort of their own as a student: the facilitator's commands only
    fac = Person(telegram_id=9100, first_name="Fay")
    db.call(lambda s: welcome.start(s, research_env, fac, "f-" + study_cohort.facilitator_code))
    assert db.call(is_facilitator, research_env, fac)
    fac_help = "\n".join(r.text for r in db.call(chat_commands.help_command, research_env, fac))
    assert "/cohorts" in fac_help and "/reflect" not in fac_help and "/code" not in fac_help
    # nobody in particular still gets the student welcome
    (greeting,) = db.call(welcome.start, research_env, Person(telegram_id=9200, first_name="Zed"), None)
    assert "To join, open the invite link" in greeting.text
