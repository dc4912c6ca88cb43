"""Data rights on a real database: /mydata holds everything, /delete erases everything (the coding queue too)
and leaves a tombstone naming the exports that held the data, retention purges by study, keys rotate."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.chat import student
from bot.cli import app
from bot.core.clock import ManualClock
from bot.core.context import Env, Person
from bot.core.privacy import data_rights, retention
from bot.core.privacy.at_rest import rotate_batch, rotate_loose, unseal
from bot.core.privacy.crypto import KeyProblem, TextCipher, generate_key
from bot.research import exports
from storage import repo
from storage.db import Database
from storage.migrate import stamp
from storage.models import (
    AuditEvent,
    ConsentRecord,
    Delivery,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    Role,
    Study,
    User,
)
from storage.research_models import CodingItem, ResearchParticipant
from storage.safety_models import SafeguardingAlert
from tests.support.factories import DomainChat, send_week, stored_entries
from tests.support.research_support import enrol, next_week, reflect, run_intake, seed, study

runner = CliRunner()


def my_data(chat: DomainChat) -> dict:
    [reply] = chat.command("mydata")
    assert reply.attachment is not None and reply.attachment.filename == "balintbot-my-data-2026-01-05.json"
    return json.loads(reply.attachment.content)


def count(db: Database, table: type, **where: object) -> int:
    def run(session: Session) -> int:
        stmt = select(table)
        for k, v in where.items():
            stmt = stmt.where(getattr(table, k) == v)
        return len(session.exec(stmt).all())

    return db.call(run)


def test_mydata_holds_choices_every_version_of_every_reply_deliveries_and_alerts(db, env, cohort, alice):
    env.cipher = TextCipher([generate_key()])
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code, research=False)
    send_week(db, env, cohort, 1)
    chat.say("A quiet man on the ward who wouldn't look at me.", message_id=700)
    db.call(
        student.edited, env, alice, "A quiet man on the ward who would not look at me.", chat_id=1001, message_id=700
    )
    chat.say("Honestly I want to die some days")
    data = my_data(chat)
    assert data["user"] == {
        "telegram_id": 1001,
        "first_name": "Alice",
        "username": "alice",
        "first_seen": data["user"]["first_seen"],
        "unreachable_since": None,
    }
    assert [(c["choice"], c["value"]) for c in data["consent_history"]] == [("participate", True), ("research", False)]
    assert data["enrolments"][0]["cohort"] == "Psychiatry Jan 2026" and data["enrolments"][0]["research_use"] is False
    [week] = data["reflections"]
    assert [(r["step"], r["version"], r["text"]) for r in week["replies"]] == [
        ("encounter", 1, "A quiet man on the ward who wouldn't look at me."),
        ("encounter", 2, "A quiet man on the ward who would not look at me."),
        ("felt", 1, "Honestly I want to die some days"),
    ]
    assert all(r["stored_encrypted"] for r in week["replies"])
    assert all(e.text.startswith("fernet:") for e in stored_entries(db))  # encrypted at rest, readable in the file
    assert data["deliveries"][0]["week"] == 1 and data["deliveries"][0]["state"] == "answered"
    [alert] = data["safeguarding_alerts"]
    assert alert["kind_of_concern"] == "suicidal" and alert["raised_at"].startswith("2026-01-05T10:00")
    assert alert["acknowledged_at"] is None and "text" not in alert
    assert {e["action"] for e in data["activity_log"]} >= {"student.join", "consent.participate"}
    assert data["research"] == {"studies": [], "items": 0, "exports": []}


def test_mydata_and_delete_for_someone_we_hold_nothing_about(db, env, alice):
    chat = DomainChat(db, env, alice)
    assert chat.command("mydata")[0].text == data_rights.NOTHING_HELD
    assert chat.command("delete")[0].text == data_rights.NOTHING_HELD


def test_a_kept_message_waiting_to_start_a_week_is_sealed_and_shown(db, env, cohort, alice):
    env.cipher = TextCipher([generate_key()])
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    chat.say("Something from the clinic I want to think about.")
    stored = db.call(lambda s: s.exec(select(Enrolment)).one().pending_text)
    assert stored.startswith("fernet:gAAAAA")
    assert my_data(chat)["enrolments"][0]["message_kept_waiting"] == "Something from the clinic I want to think about."
    outcome = chat.press("Yes, start with this")
    assert "I've kept what you wrote as the encounter" in outcome.edit_text
    assert env.cipher.decrypt(stored_entries(db)[0].text, True) == "Something from the clinic I want to think about."


@pytest.fixture
def exported(db: Database, research_env: Env, study_cohort, clock: ManualClock) -> tuple[DomainChat, DomainChat, int]:
    """Ana and Ben reflected in the study; their items are in the queue and in one JSONL export."""
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    ben = enrol(db, research_env, study_cohort, 2002, "Ben")
    reflect(db, research_env, study_cohort, [ana, ben])
    run_intake(db, research_env)
    seed(db, research_env)

    def export(session: Session) -> int:
        return exports.export(
            session, research_env, session.get(Study, study(db).id), "jsonl", io.BytesIO(), actor="cli:lead"
        ).export_id

    return ana, ben, db.call(export)


def test_delete_erases_everything_including_the_coding_queue_and_records_the_exports(db, research_env, exported):
    ana, ben, export_id = exported
    ana_user = db.call(lambda s: repo.get_user_by_telegram_id(session=s, telegram_id=2001))
    assert my_data(ana)["research"]["exports"] == [export_id]
    [ask] = ana.command("delete")
    assert "1 research export(s) made earlier already hold" in ask.text
    assert "5 reflection replies over 1 week, with every edit" in ask.text
    outcome = ana.press("Yes, erase everything")
    assert outcome.toast == "Erased" and "has been erased" in outcome.edit_text
    for table in (ReflectionEntry, ReflectionSession, Delivery, ConsentRecord, Enrolment, SafeguardingAlert):
        assert count(db, table, user_id=ana_user.id) == 0, table.__name__
    assert count(db, User, telegram_id=2001) == 0
    items = db.call(lambda s: list(s.exec(select(CodingItem)).all()))
    assert len(items) == 5 and {i.participant_id for i in items} == {2}  # only Ben's are left
    assert count(db, ReflectionEntry) == 5
    # the pseudonym can no longer be linked back: a returning Ana would be a new participant
    assert db.call(lambda s: s.get(ResearchParticipant, 1).digest).startswith("erased:")

    def events(session: Session) -> list[AuditEvent]:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())

    log = db.call(events)
    [tomb] = [e for e in log if e.action == "student.erase"]
    assert tomb.actor == "erased" and tomb.detail["exports_holding_data"] == [export_id]
    assert tomb.detail["replies"] == 5 and tomb.detail["research_items"] == 5
    assert not any(e.actor == "telegram:2001" for e in log)  # her own events no longer point at her
    assert any(e.actor == "telegram:2002" for e in log)  # Ben's do
    assert "Ana" not in json.dumps([e.detail for e in log])


def test_a_later_export_holds_nothing_of_an_erased_student(db, research_env, exported):
    ana, _ben, _ = exported
    ana.command("delete")
    ana.press("Yes, erase everything")
    out = io.BytesIO()
    db.call(lambda s: exports.export(s, research_env, s.get(Study, study(db).id), "jsonl", out, actor="cli:lead"))
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["pseudonym"] for r in rows} == {"P002"} and len(rows) == 5  # Ben's week only


def test_cancel_keeps_everything_and_a_forged_delete_button_does_nothing(db, env, cohort, alice):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    bob = DomainChat(db, env, Person(telegram_id=1002, first_name="Bob"))
    bob.join_and_consent(cohort.invite_code)
    chat.command("delete")
    assert chat.press("Cancel").edit_text == "Nothing has been erased."
    alice_id = db.call(lambda s: repo.get_user_by_telegram_id(session=s, telegram_id=1001).id)
    forged = db.call(data_rights.confirm_delete, env, bob.person, alice_id, 1)
    assert forged.toast == "This button has expired."
    assert count(db, User) == 2 and count(db, ConsentRecord) == 4


def test_delete_with_an_unacknowledged_alert_hands_it_to_the_lead_first(db, env, cohort, alice):
    env.safeguarding_lead_id = 3001
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    chat.say("I want to kill myself")
    chat.command("delete")
    outcome = chat.press("Yes, erase everything")
    [handover] = outcome.replies
    assert handover.chat_id == 3001 and "erased their data at their own request" in handover.text
    assert "Alice" in handover.text and "kill" not in handover.text
    assert count(db, SafeguardingAlert) == 0


def _days(db: Database, days: int) -> None:
    def run(session: Session) -> None:
        s = session.exec(select(Study)).one()
        s.retention_days = days
        session.add(s)

    db.call(run)


def test_purge_deletes_what_is_older_than_the_studys_retention_and_keeps_the_rest(
    db, research_env, study_cohort, cohort, clock: ManualClock
):
    _days(db, 30)
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana], week=1)
    run_intake(db, research_env)
    plain = DomainChat(db, research_env, Person(telegram_id=1001, first_name="Alice"))  # a cohort with no study
    plain.join_and_consent(cohort.invite_code)
    send_week(db, research_env, cohort, 1)
    plain.say("An old reply in a cohort without a study.")
    clock.advance(timedelta(days=20))
    next_week(clock)  # day 27: week 4 of the study cohort
    reflect(db, research_env, study_cohort, [ana], week=4)
    clock.advance(timedelta(days=5))  # day 32: week 1 is past 30 days, week 4 is not

    dry = db.call(retention.purge, research_env, dry_run=True)
    study_row = next(c for c in dry.cohorts if c.cohort_id == study_cohort.id)
    assert (study_row.replies, study_row.weeks, study_row.deliveries, study_row.research_items) == (5, 1, 1, 5)
    assert count(db, ReflectionEntry) == 11  # a dry run deletes nothing

    report = db.call(retention.purge, research_env)
    assert report.as_dict()["cohorts"][0]["total"] >= 12
    left = [(e.week, e.step) for e in stored_entries(db, 2001)]
    assert len(left) == 5 and {w for w, _ in left} == {4}
    assert count(db, ReflectionEntry, user_id=2) == 1  # Alice's: RETENTION_DAYS (5 years) has not passed
    assert count(db, CodingItem) == 0  # items made from the purged week went with it
    assert count(db, ConsentRecord) == 4  # consents stay while the student is still enrolled
    [event] = [e for e in db.call(lambda s: list(s.exec(select(AuditEvent)).all())) if e.action == "data.purge"]
    assert event.actor == "retention" and "Ana" not in json.dumps(event.detail)

    # with RETENTION_DAYS at 10, the cohort without a study loses its old reply too
    db.call(retention.purge, replace(research_env, retention_days=10))
    assert count(db, ReflectionEntry, user_id=2) == 0


def test_purge_removes_a_long_withdrawn_student_entirely(db, env, cohort, alice, clock: ManualClock):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say("Something I wrote before I left.")
    chat.command("withdraw")
    chat.press("Yes, withdraw")
    clock.advance(timedelta(days=40))
    db.call(retention.purge, replace(env, retention_days=30))
    for table in (ReflectionEntry, ReflectionSession, Delivery, ConsentRecord, Enrolment, User):
        assert count(db, table) == 0, table.__name__
    assert not any(e.actor == "telegram:1001" for e in db.call(lambda s: list(s.exec(select(AuditEvent)).all())))


def test_purge_forgets_people_with_nothing_left_but_keeps_staff_and_anyone_with_an_alert(db, env, cohort):
    db.call(lambda s: repo.grant_role(session=s, telegram_id=2001, role=Role.FACILITATOR, cohort_id=cohort.id))
    DomainChat(db, env, Person(telegram_id=2001, first_name="Fran")).say("hello")
    DomainChat(db, env, Person(telegram_id=5005, first_name="Sam")).say("hello")  # never joined
    DomainChat(db, env, Person(telegram_id=5006, first_name="Kim")).say("I want to die")  # never joined: an alert
    report = db.call(retention.purge, env)
    assert report.users == 1
    assert sorted(u.telegram_id for u in db.call(lambda s: list(s.exec(select(User)).all()))) == [2001, 5006]


def test_keys_rotate_reencrypts_everything_so_the_old_key_can_go(db, env, cohort, alice):
    old, new = generate_key(), generate_key()
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say("Written before any key was set.")  # plain text
    env.cipher = TextCipher([old])
    chat.say("Written under the old key.")
    chat.say("Also under the old key.")
    chat.command("done")  # the week ends, so the next message is kept waiting
    chat.say("Kept waiting, sealed with the old key.")  # no reflection open: kept in pending_text
    both = TextCipher([new, old])
    total, last = 0, 0
    while True:
        step = db.call(rotate_batch, both, after_id=last, limit=2)
        total += step.reencrypted + step.encrypted
        last = step.last_id
        if step.done:
            break
    assert total == 3
    loose = db.call(rotate_loose, both)
    assert (loose.reencrypted, loose.encrypted) == (1, 0)
    only_new = TextCipher([new])
    texts = [only_new.decrypt(e.text, e.encrypted) for e in stored_entries(db)]
    assert texts == ["Written before any key was set.", "Written under the old key.", "Also under the old key."]
    assert all(e.encrypted for e in stored_entries(db))
    pending = db.call(lambda s: s.exec(select(Enrolment)).one().pending_text)
    assert unseal(only_new, pending) == "Kept waiting, sealed with the old key."
    with pytest.raises(KeyProblem):
        TextCipher([old]).decrypt(stored_entries(db)[0].text, True)


def test_rotating_with_the_old_key_missing_stops_with_a_clear_problem(db, env, cohort, alice):
    env.cipher = TextCipher([generate_key()])
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say("Under a key that is about to be lost.")
    with pytest.raises(KeyProblem, match="no configured key decrypts"):
        db.call(rotate_batch, TextCipher([generate_key()]))
    with pytest.raises(KeyProblem, match="not set"):
        db.call(rotate_batch, TextCipher.disabled())


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    stamp(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    return database_url


def test_keys_cli_generate_rotate_status(db, env, cohort, alice, cli_db, monkeypatch):
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say("Stored before encryption was switched on.")
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 2 and "DATA_ENCRYPTION_KEY is not set" in result.stderr
    result = runner.invoke(app, ["keys", "generate"])
    key = result.stdout.strip()
    assert result.exit_code == 0 and TextCipher([key]).enabled and "DATA_ENCRYPTION_KEY=NEW,OLD" in result.stderr
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", key)
    result = runner.invoke(app, ["keys", "status", "--json"])
    assert json.loads(result.stdout) == {"encrypted": 0, "plain": 1, "keys_configured": 1}
    result = runner.invoke(app, ["keys", "rotate", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"reencrypted": 0, "encrypted_from_plain": 1}
    assert TextCipher([key]).decrypt(stored_entries(db)[0].text, True) == "Stored before encryption was switched on."
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", generate_key())  # the old key dropped too early
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 2 and "no configured key decrypts" in result.stderr and "Traceback" not in result.output
    assert "Nothing was changed" in result.stderr
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", f"{key},not-a-key")
    result = runner.invoke(app, ["keys", "status"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Configuration error: DATA_ENCRYPTION_KEY: each comma-separated key must be a "
        "Fernet key (make one with: balint keys generate)"
    )


def test_purge_cli_dry_run_and_json(db, env, cohort, alice, cli_db):
    DomainChat(db, env, alice).join_and_consent(cohort.invite_code)
    result = runner.invoke(app, ["purge", "--dry-run", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["cohorts"][0]["cohort"] == "Psychiatry Jan 2026"
    assert data["cohorts"][0]["retention_days"] == 1825
    assert count(db, Enrolment) == 1
    result = runner.invoke(app, ["purge"])
    assert result.exit_code == 0 and "Psychiatry Jan 2026 (keep 1825 days" in result.stdout


def test_safeguarding_check_cli_prints_one_verdict_per_line(tmp_path):
    lines = [
        "I want to die",
        "I'm not suicidal",
        "the patient said she wanted to die",
        "the nurse slapped the patient",
        "",
        "I could murder a coffee",
    ]
    result = runner.invoke(app, ["safeguarding", "check"], input="\n".join(lines) + "\n")
    out = result.stdout.splitlines()
    assert result.exit_code == 0 and len(out) == len(lines)
    assert out[0].startswith("ALERT  suicidal/student") and out[1].startswith("ok") and "[negated]" in out[1]
    assert out[2].startswith("ok  suicidal/patient") and out[3].startswith("RISK  patient_safety/patient")
    assert "1 would alert a facilitator" in result.stderr
    result = runner.invoke(app, ["safeguarding", "check", "--json"], input="\n".join(lines) + "\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["action"], r["category"], r["subject"], r["negated"]) for r in rows[:4]] == [
        ("self", "suicidal", "student", False),
        ("none", "suicidal", "student", True),
        ("none", "suicidal", "patient", False),
        ("patient_safety", "patient_safety", "patient", False),
    ]
    assert rows[0]["rule"] == "suicidal.want_to_die" and rows[0]["quoted"] is False
    bad = tmp_path / "rules.toml"
    bad.write_text("[[rule]]\nid = 'x'\ncategory = 'nonsense'\npatterns = ['a']\n")
    result = runner.invoke(app, ["safeguarding", "check", "--rules", str(bad)], input="hello\n")
    assert result.exit_code == 2 and "category must be one of" in result.stderr and "Traceback" not in result.output


def test_erasure_takes_the_announcements_sent_to_the_student_too(db, env, cohort, alice):
    from bot.core.facilitator import facilitator_announce
    from storage.facilitator_models import Announcement, AnnouncementDelivery

    fran = Person(telegram_id=2001, first_name="Fran")
    db.call(lambda s: repo.grant_role(session=s, telegram_id=2001, role=Role.FACILITATOR, cohort_id=cohort.id))
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    db.call(facilitator_announce.announce, env, fran, f"{cohort.id} Group moves to Thursday this week.")
    announcement = db.call(lambda s: s.exec(select(Announcement)).one())
    db.call(facilitator_announce.confirm, env, fran, announcement.id, 1)
    assert count(db, AnnouncementDelivery) == 1
    assert my_data(chat)["announcements_received"][0]["announcement"] == announcement.id
    chat.command("delete")
    chat.press("Yes, erase everything")
    assert count(db, AnnouncementDelivery) == 0 and count(db, Announcement) == 1  # the facilitator's text stays
