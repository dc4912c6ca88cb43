"""The coding queue: only consenting students' finished weeks enter, redacted; withdrawal takes them out."""

from __future__ import annotations

import io

from sqlmodel import select

from bot.core.context import Env
from bot.research import coding, exports, queue
from bot.research.codebook import open_round
from storage.db import Database
from storage.models import AuditEvent, Cohort, ReflectionEntry, Study, User
from storage.research_models import CodingItem, ResearchCode
from tests.support.research_support import (
    RESEARCHER_A,
    RESEARCHER_B,
    WEEK,
    enrol,
    items,
    reflect,
    researchers,
    review_all,
    run_intake,
    seed,
    study,
)


def test_only_students_with_research_consent_yes_enter_redacted(
    db: Database, research_env: Env, study_cohort: Cohort
) -> None:
    yes = enrol(db, research_env, study_cohort, 2001, "Ana")
    no = enrol(db, research_env, study_cohort, 2002, "Ben", research=False)
    reflect(db, research_env, study_cohort, [yes, no])
    result = run_intake(db, research_env)
    assert result["new"] == 5 and result["new_participants"] == 1
    queued = items(db)
    assert [i.step for i in queued] == ["encounter", "felt", "patient", "between", "takeaway"]
    first = queued[0].text
    assert first == "I met Mrs [NAME], aged [AGE], on the ward; her son [NAME] rang [PHONE] twice while I was there."
    assert {s["type"] for s in queued[0].spans} == {"NAME", "AGE", "PHONE"}
    assert all("text" not in s for s in queued[0].spans)  # offsets and types only, never the words
    assert queued[1].text == WEEK[1]


def test_a_week_still_being_written_waits_and_nothing_is_counted_twice(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    from tests.support.factories import send_week

    send_week(db, research_env, study_cohort, 1)
    ana.say(WEEK[0])
    assert run_intake(db, research_env)["new"] == 0  # the conversation is still open
    for text in WEEK[1:]:
        ana.say(text)
    assert run_intake(db, research_env)["new"] == 5
    again = run_intake(db, research_env)
    assert (again["new"], again["unchanged"]) == (0, 5)


def test_the_short_paths_nothing_this_week_is_not_an_item(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    from tests.support.factories import send_week

    send_week(db, research_env, study_cohort, 1)
    ana.say("nothing this week")
    ana.say("A teaching session about capacity stayed with me all week.")
    ana.say("Ask families what the person was like before.")
    run_intake(db, research_env)
    assert [i.step for i in items(db)] == ["moment", "takeaway"]


def test_withdrawal_takes_items_out_of_the_queue_and_later_exports_and_names_earlier_exports(
    db, research_env, study_cohort
):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    ben = enrol(db, research_env, study_cohort, 2002, "Ben")
    reflect(db, research_env, study_cohort, [ana, ben])
    run_intake(db, research_env)
    seed(db, research_env)

    def export(session):
        out = io.BytesIO()
        result = exports.export(session, research_env, session.get(Study, study(db).id), "jsonl", out, actor="test")
        return result, out.getvalue().decode()

    before, text = db.call(export)
    assert before.rows == 10 and '"pseudonym": "P001"' in text and '"pseudonym": "P002"' in text

    ana.command("withdraw")
    ana.press("Yes, withdraw")
    assert len(items(db)) == 5 and len(items(db, excluded=True)) == 5
    after, text = db.call(export)
    assert after.rows == 5 and '"P001"' not in text and '"P002"' in text

    def events(session):
        return [e.detail for e in session.exec(select(AuditEvent).where(AuditEvent.action == "research.excluded"))]

    (detail,) = db.call(events)
    assert detail["participants"] == ["P001"] and detail["items"] == 5
    assert [h["export"] for h in detail["held_by_exports"]] == [before.export_id]
    assert detail["held_by_exports"][0]["sha256"] == before.sha256
    assert run_intake(db, research_env)["new"] == 0  # a later intake does not bring them back


def test_consent_changed_to_no_then_yes_again(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    ana.command("consent")
    ana.press("Keep my reflections out of research")
    assert items(db) == []
    ana.command("consent")
    ana.press("Allow research use")
    assert len(items(db)) == 5
    assert items(db)[0].participant_id == items(db, excluded=None)[0].participant_id


def test_an_edit_is_re_redacted_and_coded_passages_move_with_the_text(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    researchers(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)
    felt = next(i for i in items(db) if i.step == "felt")
    start = felt.text.index("useless")

    def code_it(session):
        s = session.get(Study, study(db).id)
        rnd = open_round(session, s.id)
        coding.assign(session, research_env, s, rnd, actor="test")
        a = session.exec(select(coding.Assignment).where(coding.Assignment.item_id == felt.id)).first()
        code = session.exec(select(ResearchCode)).first()
        coding.add_segment(session, research_env, a, session.get(CodingItem, felt.id), code, start, start + 7)

    db.call(code_it)
    entry = next(e for e in db.call(lambda s: s.exec(select(ReflectionEntry)).all()) if e.step == "felt")
    from bot.chat import student

    edited = "Honestly I felt out of my depth and a bit useless, standing at the end of the bed next to Dr Patel."
    db.call(student.edited, research_env, ana.person, edited, chat_id=entry.chat_id, message_id=entry.message_id)
    assert run_intake(db, research_env)["updated"] == 1
    now = next(i for i in items(db) if i.step == "felt")
    assert now.text.endswith("next to Dr [NAME].") and now.text.startswith("Honestly")
    (c,) = db.call(lambda s: s.exec(select(coding.ResearchCoding)).all())
    assert now.text[c.start : c.end] == "useless"


def test_review_marks_redact_more_and_survive_an_edit(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(
        db,
        research_env,
        study_cohort,
        [ana],
        texts=["On Ward 7B a man told me about his allotment by the Pendle canal.", *WEEK[1:]],
    )
    run_intake(db, research_env)
    first = items(db)[0]

    def mark(session):
        item = session.get(CodingItem, first.id)
        return queue.mark_text(session, research_env, item, "Pendle", "PLACE", actor="cli:lead")

    assert db.call(mark) == 1
    assert items(db)[0].text == "On [LOCATION] a man told me about his allotment by the [PLACE] canal."
    entry = db.call(lambda s: s.exec(select(ReflectionEntry).order_by(ReflectionEntry.id)).first())
    from bot.chat import student

    db.call(
        student.edited,
        research_env,
        ana.person,
        "Today, on Ward 7B, a man told me about his allotment by the Pendle canal.",
        chat_id=entry.chat_id,
        message_id=entry.message_id,
    )
    run_intake(db, research_env)
    assert items(db)[0].text == "Today, on [LOCATION], a man told me about his allotment by the [PLACE] canal."


def test_marks_are_checked(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    first = items(db)[0]

    def bad(session, start, end, text=None):
        item = session.get(CodingItem, first.id)
        try:
            if text:
                queue.mark_text(session, research_env, item, text, "NAME", actor="x")
            else:
                queue.mark(session, research_env, item, start, end, "NAME", actor="x")
        except queue.ResearchError as exc:
            return str(exc)
        return None

    assert "outside item" in db.call(bad, 5, 900)
    assert "does not occur" in db.call(bad, 0, 0, "Zebedee")


def test_data_rights_hooks_summarise_erase_and_purge(db, research_env, study_cohort):
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    ben = enrol(db, research_env, study_cohort, 2002, "Ben")
    reflect(db, research_env, study_cohort, [ana, ben])
    run_intake(db, research_env)
    user = db.call(lambda s: s.exec(select(User).where(User.telegram_id == 2001)).one())
    summary = db.call(queue.participant_summary, research_env, user)
    assert summary["studies"] == [{"study": "Balint Study 2026", "pseudonym": "P001", "items": 5, "in_queue": 5}]
    assert db.call(queue.erase_participant, research_env, user) == {"items": 5, "exports": []}
    assert len(items(db, excluded=None)) == 5  # only Ben's remain
    ben_entries = db.call(
        lambda s: [e.id for e in s.exec(select(ReflectionEntry).where(ReflectionEntry.chat_id == 2002)).all()]
    )
    assert db.call(lambda s: queue.purge_entries(s, research_env, ben_entries[:2], dry_run=True)) == 2
    assert len(items(db, excluded=None)) == 5
    assert db.call(lambda s: queue.purge_entries(s, research_env, ben_entries[:2])) == 2
    assert len(items(db, excluded=None)) == 3


def test_intake_without_a_pseudonym_key_says_so(db, env, study_cohort):
    from bot.research.pseudonyms import PseudonymKeyMissing

    ana = enrol(db, env, study_cohort, 2001, "Ana")
    reflect(db, env, study_cohort, [ana])
    env.pseudonym_key = None
    try:
        run_intake(db, env)
    except PseudonymKeyMissing as exc:
        assert "PSEUDONYM_KEY is not set" in str(exc)
    else:
        raise AssertionError("intake ran without a key")


def test_researchers_b_and_a_exist(db, research_env, study_cohort):
    researchers(db, research_env)
    from storage import coding_repo

    labels = db.call(
        lambda s: [
            (c.label, c.independent, c.telegram_id) for c in coding_repo.coders_of(session=s, study_id=study(db).id)
        ]
    )
    assert labels == [("C1", False, RESEARCHER_A.telegram_id), ("C2", True, RESEARCHER_B.telegram_id)]
