"""The student journey through the domain and a real database: join, consent, a week's reflection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from storage.db import Database
from storage.models import ConsentRecord, Delivery, DeliveryState, Enrolment, ReflectionSession, User
from tests.support.factories import DomainChat, send_week, stored_entries

REPLIES = [
    "A man in his fifties on the acute ward who believed his neighbours were listening through the walls.",
    "Uneasy at first, then oddly moved when he thanked me for not laughing.",
    "Exhausted and frightened, and maybe ashamed of needing to be admitted.",
    "He kept checking whether I believed him; I didn't argue, and he relaxed.",
    "Not arguing with a belief can be the start of trust.",
]


def test_join_shows_participant_information_then_two_separate_choices(db: Database, env: Env, cohort, alice: Person):
    chat = DomainChat(db, env, alice)
    replies = chat.start(cohort.invite_code)
    assert "participant information" in replies[0].text
    assert "let your cohort facilitator know your name" in replies[0].text  # safeguarding told before consent
    assert [b.label for b in replies[1].buttons[0]] == ["Yes, I'll take part", "No, not now"]
    outcome = chat.press("Yes, I'll take part")
    assert outcome.edit_text == "✓ You chose to take part."
    assert "Choice 2 of 2" in outcome.replies[0].text
    outcome = chat.press("No, keep them out of research")
    assert "you're all set" in outcome.replies[0].text

    def records(session):
        return [(r.kind, r.value, r.text_version) for r in session.exec(select(ConsentRecord)).all()]

    assert db.call(records) == [("participate", True, "v3"), ("research", False, "v3")]


def test_consent_and_joining_are_dated_by_the_bot_clock(
    db: Database, env: Env, clock: ManualClock, cohort, alice: Person
):
    """The sandbox and the tests run on a clock of their own: the consent history must follow it."""
    chat = DomainChat(db, env, alice)
    chat.start(cohort.invite_code)
    clock.advance(timedelta(minutes=3))
    chat.press("Yes, I'll take part")

    def dates(session):
        user = session.exec(select(User)).one()
        return user.created_at, [r.recorded_at for r in session.exec(select(ConsentRecord)).all()]

    created, recorded = db.call(dates)
    start = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert created == start
    assert recorded == [start + timedelta(minutes=3)]


def test_typed_code_joins_too_and_is_forgiving_about_case_and_dashes(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    code = cohort.invite_code
    replies = chat.say(f"{code[:4].lower()}-{code[4:].lower()}")
    assert "participant information" in replies[0].text


def test_unknown_code_gets_a_clear_message(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    replies = chat.start("NOPE1234")
    assert "I don't recognise the code <code>NOPE1234</code>" in replies[0].text


def test_closed_cohort_refuses_politely(db, env, cohort, alice):
    def close(session):
        c = session.get(type(cohort), cohort.id)
        c.status = "closed"
        session.add(c)

    db.call(close)
    assert "is closed to new members" in DomainChat(db, env, alice).start(cohort.invite_code)[0].text


def test_student_in_a_cohort_is_told_which_one(db, env, cohort, alice):
    from bot.core.student.enrolment import CohortIn, create_cohort

    other = db.call(create_cohort, CohortIn(name="GP Spring", start_date=cohort.start_date))
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    assert "You're already in <b>Psychiatry Jan 2026</b>" in chat.start(other.invite_code)[0].text
    assert "You're already in <b>Psychiatry Jan 2026</b>. /status" in chat.start(cohort.invite_code)[0].text


def test_nothing_is_stored_before_choice_one_is_yes(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.start(cohort.invite_code)
    replies = chat.say("Here is something I wanted to say about a patient.")
    assert "please make the first choice" in replies[0].text
    chat.press("No, not now")
    assert send_week(db, env, cohort, 1) == {}
    replies = chat.say("Another message.")
    assert "I haven't kept that message" in replies[0].text
    assert stored_entries(db) == []


def test_a_week_of_reflection_stores_every_reply_once_linked_to_week_and_step(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    prompt = send_week(db, env, cohort, 1)[alice.telegram_id]
    assert "Week 1 of 6" in prompt[0].text and "1 · The encounter" in prompt[0].text
    assert prompt[0].buttons[0][0].label == "No encounter this week"
    for text in REPLIES:
        chat.say(text)
    assert "Thank you, Alice" in chat.last and "Your next prompt comes Monday 12 January at 09:00" in chat.last
    entries = stored_entries(db)
    assert [(e.week, e.step, e.text) for e in entries] == list(
        zip([1] * 5, ["encounter", "felt", "patient", "between", "takeaway"], REPLIES, strict=True)
    )
    assert {e.cohort_id for e in entries} == {cohort.id}

    def states(session):
        return [d.state for d in session.exec(select(Delivery)).all()]

    assert db.call(states) == [DeliveryState.ANSWERED]


def test_a_restart_mid_conversation_resumes_at_the_right_step(db, database_url, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say(REPLIES[0])
    chat.say(REPLIES[1])
    db.close()  # the process dies
    fresh = Database(database_url)
    try:
        resumed = DomainChat(fresh, env, alice, next_message_id=500)
        replies = resumed.say(REPLIES[2])
        assert "4 · Between us" in replies[0].text
        assert [e.step for e in stored_entries(fresh)] == ["encounter", "felt", "patient"]
    finally:
        fresh.close()


def test_the_same_message_delivered_twice_is_stored_once(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say(REPLIES[0], message_id=777)
    again = chat.say(REPLIES[0], message_id=777)
    assert "2 · What I felt" in again[0].text  # the current question again, nothing stored twice
    assert len(stored_entries(db)) == 1


def test_no_encounter_button_takes_the_short_path_and_closes_warmly(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    chat.seen.extend(send_week(db, env, cohort, 1)[alice.telegram_id])
    outcome = chat.press("No encounter this week")
    assert "some weeks bring no encounter" in outcome.replies[0].text
    chat.say("A teaching session on capacity that made me think about my grandmother.")
    chat.say("Ask families what the person was like before.")
    assert "Weeks without a memorable encounter are part of placement too" in chat.last
    assert [e.step for e in stored_entries(db)] == ["moment", "takeaway"]


def test_skip_and_done(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say(REPLIES[0])
    assert "3 · The patient" in chat.command("skip")[0].text
    assert "That's where we'll leave it this week" in chat.command("done")[0].text
    assert "There's no reflection open right now" in chat.command("skip")[0].text

    def skipped(session):
        return session.exec(select(ReflectionSession)).one().skipped

    assert db.call(skipped) == ["felt"]


def test_text_with_nothing_open_is_kept_and_can_start_the_week(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    chat.say(REPLIES[0])
    assert "start this week's with what you just wrote" in chat.last
    outcome = chat.press("Yes, start with this")
    assert "2 · What I felt" in outcome.replies[-1].text
    assert [(e.week, e.step, e.text) for e in stored_entries(db)] == [(1, "encounter", REPLIES[0])]


def test_an_edit_is_stored_as_a_new_version(db, env, cohort, alice):
    from bot.chat import student

    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say(REPLIES[0], message_id=900)
    replies = db.call(
        student.edited, env, alice, REPLIES[0] + " (He was 54.)", chat_id=alice.telegram_id, message_id=900
    )
    assert "kept your edited version" in replies[0].text
    assert [(e.message_id, e.version) for e in stored_entries(db)] == [(900, 1), (900, 2)]


def test_status_pause_resume(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    status = chat.command("status")[0].text
    assert "<b>Psychiatry Jan 2026</b>" in status and "This is week 1 of 6" in status
    assert "Paused" in chat.command("pause")[0].text
    assert send_week(db, env, cohort, 1) == {}
    assert "Welcome back" in chat.command("resume")[0].text
    assert alice.telegram_id in send_week(db, env, cohort, 1)


def test_withdraw_stops_everything_and_says_what_happens_to_data(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say(REPLIES[0])
    ask = chat.command("withdraw")[0].text
    assert "out of every export made from now on" in ask and "can't be recalled" in ask
    outcome = chat.press("Yes, withdraw")
    assert "You've withdrawn" in (outcome.edit_text or "")

    def enrolment(session):
        return session.exec(select(Enrolment)).one()

    e = db.call(enrolment)
    assert e.withdrawn_at is not None and e.participate is False and e.research is False
    assert send_week(db, env, cohort, 2) == {}
    assert "not in a cohort" in chat.command("status")[0].text


def test_consent_can_be_changed_any_time(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code, research=False)
    shown = chat.command("consent")[0]
    assert "Research use of de-identified reflections: <b>no</b>" in shown.text
    chat.press("Allow research use")
    assert "Research use of de-identified reflections: <b>yes</b>" in chat.command("consent")[0].text


def test_a_button_from_someone_else_is_refused(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.start(cohort.invite_code)
    mallory = DomainChat(db, env, Person(telegram_id=666, first_name="Mallory"))
    mallory.seen = chat.seen  # she somehow has Alice's buttons
    outcome = mallory.press("Yes, I'll take part")
    assert outcome.toast and "expired" in outcome.toast

    def alice_consent(session):
        return session.exec(select(Enrolment)).one().participate

    assert db.call(alice_consent) is None


def test_the_next_weeks_prompt_expires_an_unanswered_one(db, env: Env, cohort, alice, clock: ManualClock):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    clock.advance(timedelta(days=7))
    send_week(db, env, cohort, 2)

    def states(session):
        return sorted((d.week, d.state) for d in session.exec(select(Delivery)).all())

    assert db.call(states) == [(1, DeliveryState.EXPIRED), (2, DeliveryState.SENT)]
    chat.say(REPLIES[0])

    def sessions(session):
        return sorted((s.week, s.status) for s in session.exec(select(ReflectionSession)).all())

    assert db.call(sessions) == [(1, "expired"), (2, "open")]
