"""Safeguarding in the chat: a risk message gets support at once and an alert (no text) to the facilitators,
who acknowledge it; unacknowledged alerts escalate to the lead on the clock; denials and hyperbole raise nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.core import roles
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.replies import Reply
from bot.core.safety import safeguarding
from bot.core.safety import safeguarding_delivery as sg_delivery
from bot.core.safety.safeguarding_rules import check
from bot.core.student.enrolment import CohortIn, create_cohort
from storage import repo
from storage.db import Database
from storage.models import AuditEvent, Cohort, Role
from storage.safety_models import CheckIn, SafeguardingAlert
from tests.support.factories import DomainChat, send_week, stored_entries

FACILITATOR = Person(telegram_id=2001, first_name="Fran")
CO_FACILITATOR = Person(telegram_id=2002, first_name="Cole")
OTHER_FACILITATOR = Person(telegram_id=2003, first_name="Otto")
LEAD = 3001
ADMIN = 4001
RISK = "Honestly I want to die, I can't face another shift on that ward"


def grant(db: Database, person: Person, cohort: Cohort) -> None:
    db.call(
        lambda s: repo.grant_role(session=s, telegram_id=person.telegram_id, role=Role.FACILITATOR, cohort_id=cohort.id)
    )


@pytest.fixture
def sg_env(env: Env) -> Env:
    """The test environment with a safeguarding lead and a 120-minute escalation."""
    env.safeguarding_lead_id = LEAD
    env.escalate_minutes = 120
    return env


@pytest.fixture
def in_week(db: Database, sg_env: Env, cohort: Cohort, alice: Person) -> DomainChat:
    """Alice joined, consented, and has week 1 open; Fran and Cole facilitate her cohort."""
    grant(db, FACILITATOR, cohort)
    grant(db, CO_FACILITATOR, cohort)
    chat = DomainChat(db, sg_env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, sg_env, cohort, 1)
    return chat


def alerts(db: Database) -> list[SafeguardingAlert]:
    return db.call(lambda s: list(s.exec(select(SafeguardingAlert).order_by(SafeguardingAlert.id)).all()))


def to(replies: list[Reply], chat_id: int) -> list[Reply]:
    return [r for r in replies if r.chat_id == chat_id]


def outbox(db: Database, env: Env) -> list[Reply]:
    """Send the alert outbox as the alert sender does, Telegram accepting every copy: what went out."""
    out = []
    for notice_id in db.call(sg_delivery.claim, env, "test"):
        item = db.call(sg_delivery.prepare, env, notice_id)
        if item is not None:
            out.append(item.reply)
            db.call(sg_delivery.mark_sent, env, notice_id)
    return out


def mine(replies: list[Reply]) -> list[Reply]:
    """What the student sees (the alerts to others go out first)."""
    return [r for r in replies if r.chat_id is None]


def test_a_risk_message_gets_support_at_once_and_alerts_the_facilitators_without_the_text(db, in_week):
    replies = in_week.say(RISK)
    assert [r.chat_id for r in replies] == [None, None]  # the support reply and the next question; no alert yet
    [row] = alerts(db)
    assert row.notified == []  # written to the outbox, not sent: nobody has it yet
    sent = outbox(db, in_week.env)
    assert [r.chat_id for r in sent] == [2001, 2002]
    support = mine(replies)[0]
    assert "Alice, thank you for telling me this" in support.text
    assert "Samaritans" in support.text and "116 123" in support.text
    assert "letting your cohort facilitator know your name (not what you wrote)" in support.text
    for facilitator in (FACILITATOR, CO_FACILITATOR):
        [alert] = to(sent, facilitator.telegram_id)
        assert '<a href="tg://user?id=1001">Alice</a> (@alice), Telegram id <code>1001</code>' in alert.text
        assert "Psychiatry Jan 2026" in alert.text and "thoughts of suicide" in alert.text
        assert [b.label for b in alert.buttons[0]] == ["Acknowledge"]
        for word in ("die", "shift", "ward", "face"):
            assert word not in alert.text.lower().replace("within", "")
    # the conversation carries on: the message is kept as the encounter and the next question follows
    assert replies[-1].chat_id is None and replies[-1] is not support
    assert [e.step for e in stored_entries(db, 1001)] == ["encounter"]
    [row] = alerts(db)
    assert (row.category, row.subject, row.notified) == ("suicidal", "student", [2001, 2002])
    assert row.rule == "suicidal.want_to_die"


def test_nothing_in_the_alert_table_or_the_audit_log_holds_what_was_written(db, in_week):
    in_week.say(RISK)

    def dump(session: Session) -> str:
        rows = [*session.exec(select(SafeguardingAlert)).all(), *session.exec(select(AuditEvent)).all()]
        return " ".join(repr(r.model_dump()) for r in rows)

    assert "want to die" not in db.call(dump) and "shift" not in db.call(dump)


@pytest.mark.parametrize(
    "message",
    [
        "I'm not suicidal, just tired after a long day",
        "I have never self-harmed and I don't want to die",
        "I nearly died of embarrassment when the consultant asked me",
        "This essay is killing me",
        "The patient said she wanted to die",
        'She kept saying "I want to kill myself" while we waited for the psychiatrist',
        "We had teaching on suicide risk assessment this morning",
    ],
)
def test_denials_hyperbole_and_what_a_patient_said_raise_nothing(db, in_week, message):
    replies = in_week.say(message)
    assert not alerts(db)
    assert all(r.chat_id is None for r in replies)
    assert not any("Samaritans" in r.text for r in replies)
    assert len(stored_entries(db, 1001)) == 1  # handled as an ordinary reflection reply


def test_a_patient_safety_concern_gets_how_to_raise_it_once_a_day_and_no_alert(db, in_week, clock: ManualClock):
    first = in_week.say("The nurse slapped the patient when she wouldn't take her tablets")
    assert "Freedom to Speak Up" in first[0].text and not alerts(db)
    assert all(r.chat_id is None for r in first)
    again = in_week.say("I keep thinking about the nurse who slapped the patient")
    assert not any("Freedom to Speak Up" in r.text for r in again)
    clock.advance(timedelta(days=1, minutes=1))
    assert "Freedom to Speak Up" in in_week.say("The nurse slapped the patient again today")[0].text


def test_someone_else_at_risk_gets_support_for_helping_them_and_no_alert(db, in_week):
    replies = in_week.say("My flatmate told me last night that she wants to kill herself")
    assert "worried about someone close to you" in replies[0].text
    assert "I haven't passed anything on" in replies[0].text
    assert not alerts(db) and all(r.chat_id is None for r in replies)


def test_repeated_risk_messages_count_on_the_open_alert_with_a_short_reminder(db, in_week, clock: ManualClock):
    in_week.say(RISK)
    clock.advance(timedelta(minutes=5))
    replies = in_week.say("I just want to end it all")
    assert "I'm still here" in replies[0].text and "999" in replies[0].text
    assert not [r for r in replies if r.chat_id]  # no second alert
    clock.advance(timedelta(hours=2))
    later = in_week.say("I still want to die")
    assert "Samaritans" in later[0].text  # over an hour on: the full contacts again
    [row] = alerts(db)
    assert row.hits == 3


def test_before_consent_and_without_a_cohort_the_student_still_gets_support(db, sg_env, cohort, alice):
    env = replace(sg_env, admin_ids=frozenset({ADMIN}))
    stranger = DomainChat(db, env, Person(telegram_id=5005, first_name="Sam"))
    replies = stranger.say("I want to kill myself")
    assert "Samaritans" in mine(replies)[0].text
    [alert] = to(outbox(db, env), LEAD)  # no cohort, no facilitator: the safeguarding lead first
    assert "not in any cohort" in alert.text and "Sam" in alert.text
    assert "join" in replies[-1].text  # and is told how to join, as anyone would be
    joined = DomainChat(db, env, alice)
    joined.start(cohort.invite_code)
    replies = joined.say("I've been cutting myself again")
    assert "Samaritans" in mine(replies)[0].text
    assert to(outbox(db, env), LEAD)  # a cohort with no facilitator: the lead is told
    assert "please make the first choice" in replies[-2].text


def test_with_no_facilitator_and_no_admin_the_lead_is_told(db, sg_env, cohort, alice):
    DomainChat(db, sg_env, alice).say("I want to die")
    assert to(outbox(db, sg_env), LEAD)


def test_an_edit_that_adds_risk_is_screened_too(db, in_week):
    in_week.say("A long day on the ward.", message_id=500)
    replies = db.call(safeguarding_edit, in_week.env, in_week.person, "A long day. I want to die.", 500)
    assert "Samaritans" in mine(replies)[0].text and to(outbox(db, in_week.env), FACILITATOR.telegram_id)


def safeguarding_edit(session: Session, env: Env, person: Person, text: str, message_id: int) -> list[Reply]:
    from bot.chat import student

    return student.edited(session, env, person, text, chat_id=person.telegram_id, message_id=message_id)


def test_a_facilitator_acknowledges_with_the_button_and_the_others_are_told(db, in_week):
    in_week.say(RISK)
    [alert] = to(outbox(db, in_week.env), FACILITATOR.telegram_id)
    outcome = db.call(safeguarding.ack_button, in_week.env, FACILITATOR, alerts(db)[0].id)
    assert outcome.toast == "Acknowledged"
    assert "is acknowledged" in outcome.replies[0].text
    [note] = to(outcome.replies, CO_FACILITATOR.telegram_id)
    assert "acknowledged by Fran" in note.text
    row = alerts(db)[0]
    assert row.acknowledged_by == FACILITATOR.telegram_id and row.acknowledged_at is not None
    again = db.call(safeguarding.ack_button, in_week.env, CO_FACILITATOR, row.id)
    assert "already acknowledged" in again.replies[0].text


def test_ack_command_lists_and_acknowledges_and_refuses_everyone_else(db, in_week, cohort):
    other = db.call(create_cohort, CohortIn(name="GP Spring", start_date=cohort.start_date))
    grant(db, OTHER_FACILITATOR, other)
    in_week.say(RISK)
    alert_id = alerts(db)[0].id
    listed = db.call(safeguarding.ack_command, in_week.env, FACILITATOR, "")
    assert "1 alert(s) waiting" in listed[0].text and f"alert #{alert_id}" in listed[1].text
    assert db.call(safeguarding.ack_command, in_week.env, in_week.person, str(alert_id))[0].text == roles.REFUSAL
    assert (
        db.call(safeguarding.ack_command, in_week.env, OTHER_FACILITATOR, str(alert_id))[0].text
        == safeguarding.NOT_ALLOWED
    )
    assert (
        "No safeguarding alerts are waiting"
        in db.call(safeguarding.ack_command, in_week.env, OTHER_FACILITATOR, "")[0].text
    )
    assert "give the alert's number" in db.call(safeguarding.ack_command, in_week.env, FACILITATOR, "twelve")[0].text
    assert "There is no alert #999" in db.call(safeguarding.ack_command, in_week.env, FACILITATOR, "999")[0].text
    done = db.call(safeguarding.ack_command, in_week.env, FACILITATOR, f"#{alert_id}")
    assert "is acknowledged" in done[0].text
    # the student pressing a forged Acknowledge button gets a refusal, and nothing changes for others
    student_press = db.call(safeguarding.ack_button, in_week.env, in_week.person, alert_id)
    assert student_press.toast == safeguarding.NOT_ALLOWED[:190] and not student_press.replies


def test_an_unacknowledged_alert_escalates_to_the_lead_after_the_configured_time(db, in_week, clock):
    in_week.say(RISK)
    outbox(db, in_week.env)
    clock.advance(timedelta(minutes=119))
    assert db.call(safeguarding.due_escalations, in_week.env) == []
    clock.advance(timedelta(minutes=2))
    [esc] = db.call(safeguarding.due_escalations, in_week.env)
    assert esc.to == [LEAD]
    [message] = esc.replies
    assert message.chat_id == LEAD and "escalated to you" in message.text and "120 minutes" in message.text
    assert "Alice" in message.text and "want to die" not in message.text
    db.call(safeguarding.mark_escalated, in_week.env, esc.alert_id, esc.to)
    assert db.call(safeguarding.due_escalations, in_week.env) == []  # once only
    row = alerts(db)[0]
    assert row.escalated_to == [LEAD] and row.escalated_at == clock.now()
    # the lead acknowledges from the escalation, and both facilitators hear about it
    outcome = db.call(safeguarding.ack_button, in_week.env, Person(telegram_id=LEAD, first_name="Lee"), row.id)
    assert {r.chat_id for r in outcome.replies[1:]} == {FACILITATOR.telegram_id, CO_FACILITATOR.telegram_id}


def test_an_acknowledged_alert_never_escalates(db, in_week, clock):
    in_week.say(RISK)
    db.call(safeguarding.ack_command, in_week.env, FACILITATOR, str(alerts(db)[0].id))
    clock.advance(timedelta(hours=5))
    assert db.call(safeguarding.due_escalations, in_week.env) == []


def test_without_a_lead_escalation_goes_to_the_admins(db, in_week, clock):
    in_week.say(RISK)
    clock.advance(timedelta(hours=3))
    env = replace(in_week.env, safeguarding_lead_id=None, admin_ids=frozenset({ADMIN, ADMIN + 1}))
    [esc] = db.call(safeguarding.due_escalations, env)
    assert esc.to == [ADMIN, ADMIN + 1]


def test_an_institutions_own_contacts_are_used_and_an_unknown_one_stops_start_up(db, in_week):
    from bot.config import ConfigError, Settings
    from bot.telegram.safety_jobs import check_settings

    in_week.env.safeguarding_institution = "example"
    support = mine(in_week.say(RISK))[0]
    assert "Example Medical School Student Wellbeing" in support.text and "01234 567890" in support.text
    check_settings(Settings(_env_file=None, safeguarding_institution="example"))  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="SAFEGUARDING_INSTITUTION: no \\[institution.nowhere\\]"):
        check_settings(Settings(_env_file=None, safeguarding_institution="nowhere"))  # type: ignore[call-arg]


def test_starting_without_a_lead_or_an_admin_is_logged_as_an_error(caplog):
    from bot.config import Settings
    from bot.telegram.safety_jobs import check_settings

    check_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "reaches no one" in caplog.text
    caplog.clear()
    check_settings(Settings(_env_file=None, admin_telegram_ids="4001"))  # type: ignore[call-arg]
    assert "escalate to the admins" in caplog.text
    caplog.clear()
    check_settings(Settings(_env_file=None, safeguarding_lead_telegram_id=3001))  # type: ignore[call-arg]
    assert caplog.text == ""


# --- the check-in tier ---------------------------------------------------------------------------------------

WARNING = "I feel completely hopeless"


def check_ins(db: Database) -> list[CheckIn]:
    return db.call(lambda s: list(s.exec(select(CheckIn).order_by(CheckIn.id)).all()))


def test_warning_signs_ask_once_an_hour_and_keep_the_message(db, in_week, clock: ManualClock):
    [asked] = in_week.say(f"The man in bay 4. {WARNING}.")
    assert "are you safe right now?" in asked.text and len(asked.buttons) == 3
    assert [e.step for e in stored_entries(db, 1001)] == ["encounter"]  # kept as usual
    again = in_week.say(f"Sad. {WARNING}.")  # within the hour: not asked again, the conversation goes on
    assert not any("are you safe" in r.text for r in again) and "3 · The patient" in again[-1].text
    clock.advance(timedelta(hours=1, minutes=1))
    later = in_week.say(f"{WARNING}, that's what I imagine.")
    assert "are you safe right now?" in later[-1].text
    assert len(check_ins(db)) == 2 and not alerts(db) and not outbox(db, in_week.env)


def test_safe_then_not_safe_raises_the_alert_but_not_the_other_way(db, in_week):
    in_week.say(WARNING)
    safe = in_week.press("I'm safe")
    assert "Let's carry on where we were" in safe.replies[0].text and "2 · What I felt" in safe.replies[0].text
    assert "<b>2 · What I felt.</b>" in safe.replies[0].text  # the dialogue's own markup, not escaped
    worse = in_week.press("I'm not safe")  # the same message, pressed again: a change towards risk counts
    assert "Alice, thank you for telling me this" in worse.replies[0].text
    [row] = alerts(db)
    assert (row.category, row.rule) == ("warning_sign", "check_in.not_safe")
    assert "answered “I'm not safe”" in to(outbox(db, in_week.env), FACILITATOR.telegram_id)[0].text
    back = in_week.press("I'm safe")
    assert back.toast == "Thank you, I have your answer." and not back.replies
    assert [c.answer for c in check_ins(db)] == ["not_safe"] and len(alerts(db)) == 1


def test_a_check_in_asked_while_the_database_was_away_is_recorded_when_answered(db, in_week):
    from bot.chat.buttons import press
    from bot.core import actions
    from bot.core.actions import Action

    aid = safeguarding.first_aid(in_week.env, in_week.person, WARNING)
    assert aid is not None and not aid.alerts and "are you safe" in aid.reply.text
    assert aid.reply.buttons[2][0].data == actions.encode(Action.CHECK_IN, 0, 3)
    outcome = db.call(press, in_week.env, in_week.person, aid.reply.buttons[1][0].data)  # "I'm not sure"
    assert "thank you for telling me this" in outcome.replies[0].text
    [row] = check_ins(db)
    assert row.answer == "unsure" and row.alert_id == alerts(db)[0].id
    stranger = db.call(press, in_week.env, Person(telegram_id=9999, first_name="Nobody"), "ci:1:3")
    assert stranger.toast == "This button has expired." and len(alerts(db)) == 1


def test_an_open_alert_means_no_check_in(db, in_week):
    in_week.say(RISK)
    replies = in_week.say(WARNING)
    assert not any("are you safe" in r.text for r in replies) and not check_ins(db)


def test_mydata_holds_the_check_ins_and_delete_erases_them(db, in_week):
    import json

    in_week.say(WARNING)
    in_week.press("I'm safe")
    [file] = [r for r in in_week.command("mydata") if r.attachment is not None]
    [row] = json.loads(file.attachment.content)["safeguarding_check_ins"]
    assert (row["answer"], row["rule"], row["alert"]) == ("safe", check(WARNING).rule, None)
    assert WARNING.lower() not in json.dumps(row).lower()
    in_week.command("delete")
    in_week.press("Yes, erase everything")
    assert check_ins(db) == []


def test_an_id_0_answer_goes_to_the_check_in_stored_late(db, in_week):
    from bot.chat.buttons import press

    in_week.say(WARNING)  # stored, with its own id; the student only saw the copy sent without the database
    db.call(press, in_week.env, in_week.person, "ci:0:1")
    [row] = check_ins(db)
    assert row.answer == "safe" and row.rule == check(WARNING).rule and row.rule.startswith("warning.")
