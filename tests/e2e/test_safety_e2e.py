"""Safeguarding, data rights and flood control through the real Application and the Bot API emulator."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.core.safety import safeguarding
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram import flood
from bot.telegram.safety_jobs import run_escalations
from storage import repo
from storage.db import Database
from storage.models import ReflectionEntry, Role, User
from storage.safety_models import SafeguardingAlert
from tests.support.botharness import button, has, join, running_bot
from tests.support.factories import send_week

FRAN, LEAD = 2001, 3001


async def test_risk_message_support_alert_and_acknowledge_over_telegram(
    db: Database, env: Env, cohort, clock: ManualClock
) -> None:
    env.safeguarding_lead_id = LEAD
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FRAN, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        fran = emu.user(FRAN, "Fran", "fran_tutor")
        lead = emu.user(LEAD, "Lee")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        support = await anna.say("I don't want to be alive anymore")
        assert "Anna, thank you for telling me this" in support["plain_text"]
        assert "116 123" in support["plain_text"]
        alert = await fran.wait_for_message(has("Safeguarding alert #1"), after=0)
        assert "Anna (@anna), Telegram id 1001" in alert["plain_text"]
        assert "alive" not in alert["plain_text"]
        mention = [e for e in alert["entities"] if e["type"] == "text_link"]
        assert mention and mention[0]["url"] == "tg://user?id=1001"

        # nobody acknowledges: after the configured time the lead gets it, once
        clock.advance(timedelta(minutes=env.escalate_minutes + 1))
        assert await run_escalations(app.bot, db, env) == 1
        assert await run_escalations(app.bot, db, env) == 0
        escalated = await lead.wait_for_message(has("escalated to you"), after=0)
        assert "Anna" in escalated["plain_text"]

        answer = await fran.click(alert["message_id"], button(alert, "Acknowledge"))
        assert answer["text"] == "Acknowledged"
        await lead.wait_for_message(has("was acknowledged by Fran"), after=0)
        refused = await anna.say("/ack 1")
        assert "only for facilitators" in refused["plain_text"]

    [row] = db.call(lambda s: list(s.exec(select(SafeguardingAlert)).all()))
    assert row.acknowledged_by == FRAN and row.escalated_to == [LEAD]
    stored = db.call(lambda s: [e.text for e in s.exec(select(ReflectionEntry)).all()])
    assert stored == ["I don't want to be alive anymore"]  # the reflection carried on as usual


async def test_an_escalation_that_cannot_be_sent_is_tried_again(db: Database, env: Env, cohort, clock) -> None:
    env.safeguarding_lead_id = LEAD
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        lead = emu.user(LEAD, "Lee")
        anna = await join(emu, cohort)
        await anna.say("I want to kill myself")
        await lead.wait_for_message(has("Safeguarding alert #1"), after=0)  # no facilitator: the lead is told
        clock.advance(timedelta(hours=3))
        emu.fail_next("sendMessage", chat_id=LEAD, error_code=403)
        assert await run_escalations(app.bot, db, env) == 0
        assert db.call(lambda s: s.exec(select(SafeguardingAlert)).one().escalated_at) is None
        assert await run_escalations(app.bot, db, env) == 1


async def test_mydata_sends_a_json_file_and_delete_erases_after_confirming(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        await anna.say("A man on the ward who would not look at me.")
        await anna.say("/mydata")
        doc = await anna.wait_for_message(lambda m: m["method"] == "sendDocument", after=0)
        assert doc["document"]["file_name"].startswith("balintbot-my-data-")
        data = json.loads(doc["document"]["content"])
        assert data["reflections"][0]["replies"][0]["text"] == "A man on the ward who would not look at me."
        ask = await anna.say("/delete")
        assert "Erase everything I hold about you?" in ask["plain_text"]
        yes = button(ask, "Yes, erase everything")
        toast = await anna.click(ask["message_id"], yes)
        assert toast["text"] == "Erased"
        await emu.wait_until(
            lambda: "has been erased" in (anna.messages()[-1]["plain_text"] or ""),
            what="the confirmation replaced by the result",
        )
        stale = anna.press_button(ask["message_id"], yes, check=False)  # an old copy of the button, pressed again
        assert (await emu.wait_for_callback_answer(stale["id"]))["text"] == "This button has expired."
    assert db.call(lambda s: s.exec(select(User)).all()) == []
    assert db.call(lambda s: s.exec(select(ReflectionEntry)).all()) == []


async def test_flooding_is_answered_once_and_risk_is_still_screened(db: Database, env: Env, cohort) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FRAN, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, flood_messages_per_minute=12):
        fran = emu.user(FRAN, "Fran")
        anna = await join(emu, cohort)  # 4 updates: /start, two presses... well within 12
        send_week(db, env, cohort, 1)
        sent = [anna.send_text(f"line {i} of something I pasted") for i in range(12)]
        slow = await anna.wait_for_message(has("faster than I can keep up"), after=0)
        first_dropped = slow["reply_to_message_id"]
        assert first_dropped in [m["message_id"] for m in sent]
        anna.send_text("I want to die")  # over the limit, and still screened
        await anna.wait_for_message(has("thank you for telling me this"), after=0)
        await fran.wait_for_message(has("Safeguarding alert"), after=0)
        assert sum(1 for m in anna.messages() if "faster than I can keep up" in (m["plain_text"] or "")) == 1
    kept = db.call(lambda s: len(s.exec(select(ReflectionEntry)).all()))
    assert 0 < kept < 12  # what went over the limit was not stored (and the student was asked to resend)


async def test_an_overlong_message_is_refused_kindly(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = emu.user(1001, "Anna")
        reply = await anna.say("x" * (flood.MAX_TEXT_CHARS + 1))
        assert "longer than I can keep" in reply["plain_text"]


async def test_a_forged_or_stale_button_answers_politely(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = await join(emu, cohort)
        last = anna.messages()[-1]
        for data in ("zz:1", "ak:999", "dl:7:1", "cp:99:1", "not-even-close", "ak:1:2:3"):
            query = anna.press_button(last["message_id"], data, check=False)
            answer = await emu.wait_for_callback_answer(query["id"])
            assert answer["text"] in (
                "Sorry, I didn't understand that button.",
                "This button has expired.",
                "This button has expired. /consent shows your current choices.",
                safeguarding.NOT_ALLOWED[:190],
            )
    assert db.call(lambda s: len(s.exec(select(User)).all())) == 1  # nothing was erased by the forged DELETE


async def test_an_error_reaches_the_admin_chat_and_the_user_hears_kindly(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, admin_chat_id=4001):
        emu.user(4001, "Ada")
        anna = emu.user(1001, "Anna")
        emu.fail_next("sendMessage", chat_id=1001, error_code=400, description="Bad Request: chat is confused")
        reply = await anna.say("hello")  # handled and stored before the reply failed: the reply is tried again
        assert "not in a cohort yet" in reply["plain_text"] or "invite" in reply["plain_text"]
        report = await emu.wait_for_message(4001, has("balintbot error"), after=0)
        assert "Chat is confused" in report["plain_text"] and "hello" not in report["plain_text"]


async def test_without_an_admin_chat_each_admin_gets_the_error(db: Database, env: Env, cohort) -> None:
    env.admin_ids = frozenset({4001, 4002})
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        admins = [emu.user(4001, "Ada"), emu.user(4002, "Abe")]
        anna = emu.user(1001, "Anna")
        emu.fail_next("sendMessage", chat_id=1001, error_code=400, description="Bad Request: chat is confused")
        await anna.say("hello")
        for admin in admins:
            await admin.wait_for_message(has("balintbot error"), after=0)


async def test_a_risk_message_whose_reply_failed_still_gets_the_support_reply(db: Database, env: Env, cohort) -> None:
    env.safeguarding_lead_id = LEAD
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        lead = emu.user(LEAD, "Lee")
        anna = emu.user(1001, "Anna")
        emu.fail_next("sendMessage", chat_id=1001, error_code=400, description="Bad Request: chat is confused")
        anna.send_text("I want to kill myself")
        await lead.wait_for_message(has("Safeguarding alert #1"), after=0)
        await anna.wait_for_message(has("116 123"), after=0)  # stored already: the support reply is sent again
        assert not any("send it again" in (m["plain_text"] or "") for m in anna.messages())
