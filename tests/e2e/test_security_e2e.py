"""Security findings of issue 11 through the real Application and the Bot API emulator: what reaches the admin
chat, forged and double-tapped buttons, a failed reply after a stored answer, bidi controls in names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import select

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.errors import KIND_MESSAGE
from storage import repo
from storage.db import Database
from storage.models import ConsentRecord, Role
from tests.support.botharness import button, has, join, running_bot
from tests.support.database import using_postgres
from tests.support.factories import send_week, stored_entries

ADMIN, FRAN = 7001, 2001
SECRET_REFLECTION = "Mrs Jones on ward 4 cried when I mentioned her son"


@contextmanager
def broken_reflection_inserts(db: Database) -> Iterator[None]:
    """Make every INSERT of a reflection reply fail inside the database, as a full disk or a bad migration would.

    On PostgreSQL the database is shared by the run's tests, so the constraint goes again afterwards.
    """
    if using_postgres():  # PostgreSQL's DETAIL would name the failing row's values: all the more to hide
        make = "ALTER TABLE reflection_entries ADD CONSTRAINT ck_broken CHECK (false) NOT VALID"
        undo = "ALTER TABLE reflection_entries DROP CONSTRAINT ck_broken"
    else:
        make = "CREATE TRIGGER broken BEFORE INSERT ON reflection_entries BEGIN SELECT RAISE(ABORT, 'broken'); END"
        undo = "DROP TRIGGER broken"
    db.call(lambda s: s.execute(text(make)))
    try:
        yield
    finally:
        db.call(lambda s: s.execute(text(undo)))


def error_reports(emu: BotAPIEmulator) -> list[str]:
    return [m["plain_text"] for m in emu.messages_to(ADMIN) if "balintbot error" in (m["plain_text"] or "")]


async def test_a_failing_insert_reports_type_and_frames_but_never_the_reflection(
    db: Database, env: Env, cohort
) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        with broken_reflection_inserts(db):
            told = await anna.say(SECRET_REFLECTION)
            assert told["plain_text"] == KIND_MESSAGE  # true this time: nothing was kept
            await emu.wait_for_message(ADMIN, has("balintbot error"), after=0)
        [report] = error_reports(emu)
    assert "IntegrityError" in report and "reflection.py" in report  # type and code frames
    for secret in ("Mrs Jones", "ward 4", "cried", "INSERT INTO", "[parameters"):
        assert secret not in report, secret
    assert stored_entries(db) == []


async def test_error_reports_to_the_admin_chat_are_rate_limited(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        with broken_reflection_inserts(db):
            for n in range(4):
                told = await anna.say(f"Message {n}: the same failure again")
                assert told["plain_text"] == KIND_MESSAGE
        assert len(error_reports(emu)) == 1


async def test_a_forged_button_with_a_huge_id_is_answered_kindly(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = await join(emu, cohort)
        last = anna.messages()[-1]
        for forged in (
            "cp:99999999999999999999999:1",
            "cp:1:99999999999999999999",
            "dl:-1:1",
            "cp:１:1",
            "cp:1_0:1",
            "ak:+3",
        ):
            query = anna.press_button(last["message_id"], forged, check=False)
            answer = await emu.wait_for_callback_answer(query["id"], timeout=5)
            assert answer["text"] == "Sorry, I didn't understand that button.", forged
        assert error_reports(emu) == []
        assert not any(KIND_MESSAGE == m["plain_text"] for m in anna.messages())


async def test_a_double_tap_on_a_consent_button_keeps_one_record_and_bothers_nobody(
    db: Database, env: Env, cohort
) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = emu.user(1001, "Anna", "anna")
        await anna.say(f"/start {cohort.invite_code}")
        choice = await anna.wait_for_message(has("Choice 1"), after=0)
        data = button(choice, "Yes, I'll take part")
        first = anna.press_button(choice["message_id"], data)
        second = anna.press_button(choice["message_id"], data, check=False)  # before the keyboard went away
        await emu.wait_for_callback_answer(first["id"], timeout=5)
        await emu.wait_for_callback_answer(second["id"], timeout=5)
        await anna.wait_for_message(has("Choice 2 of 2"), after=0)
        research = anna.messages()[-1]
        await anna.click(research["message_id"], button(research, "Yes, you may use them"))
        await anna.wait_for_message(has("you're all set"), after=0)
        assert error_reports(emu) == []
        texts = [m["plain_text"] for m in anna.messages()]
    assert KIND_MESSAGE not in texts
    assert sum("You allowed research use" in t for t in texts) == 1  # choice 2 was asked once (then edited)
    kinds = db.call(lambda s: [r.kind for r in s.exec(select(ConsentRecord)).all()])
    assert sorted(kinds) == ["participate", "research"]


async def test_a_failed_reply_after_a_stored_answer_is_sent_again_not_blamed_on_the_student(
    db: Database, env: Env, cohort
) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        before = len(anna.messages())
        emu.fail_next("sendMessage", chat_id=anna.id, error_code=502, description="Bad Gateway")
        anna.send_text("A man on the ward who would not look at me during the round.")
        nxt = await anna.wait_for_message(after=before, timeout=10)
        texts = [m["plain_text"] for m in anna.messages()[before:]]
        assert KIND_MESSAGE not in texts and not any("send it again" in t for t in texts)
        assert "?" in nxt["plain_text"]  # the next question reached her
        assert error_reports(emu) == []
    [entry] = stored_entries(db)
    assert entry.text.startswith("A man on the ward")


async def test_bidi_controls_in_a_first_name_never_reach_the_facilitator(db: Database, env: Env, cohort) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FRAN, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        fran = emu.user(FRAN, "Fran", "fran_tutor")
        anna = await join(emu, cohort, name="Anna\u202egnp.exe\u202c\u2066x\u2069")
        send_week(db, env, cohort, 1)
        await anna.say("I don't want to be alive anymore")
        alert = await fran.wait_for_message(has("Safeguarding alert #1"), after=0)
    shown = alert["plain_text"]
    assert "Anna" in shown
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


async def test_a_failed_reply_after_a_stored_button_press_is_sent_again(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        anna = emu.user(1001, "Anna", "anna")
        await anna.say(f"/start {cohort.invite_code}")
        choice = await anna.wait_for_message(has("Choice 1"), after=0)
        emu.fail_next("sendMessage", chat_id=anna.id, error_code=502, description="Bad Gateway")
        await anna.click(choice["message_id"], button(choice, "Yes, I'll take part"))
        await anna.wait_for_message(has("Choice 2 of 2"), after=0, timeout=10)
        assert KIND_MESSAGE not in [m["plain_text"] for m in anna.messages()]
        assert error_reports(emu) == []


async def test_a_failed_reply_to_a_facilitator_command_is_sent_again(db: Database, env: Env, cohort) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FRAN, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=ADMIN):
        emu.user(ADMIN, "Ada")
        fran = emu.user(FRAN, "Fran", "fran_tutor")
        emu.fail_next("sendMessage", chat_id=FRAN, error_code=502, description="Bad Gateway")
        listed = await fran.say("/cohorts", timeout=10)
        assert "Psychiatry Jan 2026" in listed["plain_text"]
        assert error_reports(emu) == []
