"""The check-in tier and alert delivery, through the real Application and the Bot API emulator.

Warning signs get "are you safe right now?" with three buttons; "I'm safe" carries the reflection on, "not sure"
and "not safe" raise the alert. An alert whose facilitator can't be reached (blocked, never pressed Start) goes
to the safeguarding lead or the admins at the sender's next tick, and the alerts list says who received it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.core.safety.safeguarding import alert_rows
from bot.core.safety.safeguarding_rules import check
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.safety_jobs import deliver_now
from storage import repo
from storage.db import Database
from storage.models import ReflectionEntry, Role
from storage.safety_models import CheckIn, SafeguardingAlert
from tests.support.botharness import button, has, join, running_bot
from tests.support.factories import send_week
from tests.support.paths import ROOT

FRAN, LEAD, ADMIN = 2001, 3001, 4001
WARNING = "I feel completely hopeless"


def facilitate(db: Database, cohort, telegram_id: int = FRAN) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=telegram_id, role=Role.FACILITATOR, cohort_id=cohort.id))


def check_ins(db: Database) -> list[CheckIn]:
    return db.call(lambda s: list(s.exec(select(CheckIn)).all()))


async def test_warning_signs_check_in_and_im_safe_carries_the_reflection_on(db: Database, env: Env, cohort) -> None:
    facilitate(db, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        fran = emu.user(FRAN, "Fran")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        asked = await anna.say(f"A man on the ward. {WARNING} since.")
        assert "Anna, it sounds like things are really heavy at the moment" in asked["plain_text"]
        assert "are you safe right now?" in asked["plain_text"]
        labels = [row[0]["text"] for row in asked["reply_markup"]["inline_keyboard"]]
        assert labels == ["I'm safe", "I'm not sure", "I'm not safe"]
        # the message was kept as usual, and the next question waits for the answer
        assert not any("2 · What I felt" in (m["plain_text"] or "") for m in anna.messages())
        answer = await anna.click(asked["message_id"], button(asked, "I'm safe"))
        assert answer["text"] == "Thank you"
        carry_on = await anna.wait_for_message(has("Let's carry on where we were"), after=0)
        assert "2 · What I felt" in carry_on["plain_text"] and "116 123" in carry_on["plain_text"]
        pressed = emu.messages_to(1001)[[m["message_id"] for m in emu.messages_to(1001)].index(asked["message_id"])]
        assert "You answered: I'm safe" in pressed["plain_text"] and not pressed.get("reply_markup")
        reply = await anna.say("Sad, and a bit helpless.")
        assert "3 · The patient" in reply["plain_text"]  # the conversation went on where it was
        assert not fran.messages()
    [row] = check_ins(db)
    assert (row.answer, row.rule, row.alert_id) == ("safe", check(WARNING).rule, None)
    assert db.call(lambda s: s.exec(select(SafeguardingAlert)).all()) == []
    steps = db.call(lambda s: [e.step for e in s.exec(select(ReflectionEntry)).all()])
    assert steps == ["encounter", "felt"]


async def test_not_safe_raises_the_alert_with_the_support_reply(db: Database, env: Env, cohort) -> None:
    facilitate(db, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        fran = emu.user(FRAN, "Fran")
        anna = await join(emu, cohort)
        anna.send_text(WARNING)  # no reflection open: the offer to start one with it, then the check-in
        asked = await anna.wait_for_message(has("are you safe right now?"), after=0)
        await anna.click(asked["message_id"], button(asked, "I'm not safe"))
        support = await anna.wait_for_message(has("thank you for telling me this"), after=0)
        assert "letting your cohort facilitator know your name" in support["plain_text"]
        assert "If you feel you might act on these thoughts" in support["plain_text"]
        alert = await fran.wait_for_message(has("Safeguarding alert #1"), after=0, timeout=15)
        assert "answered “I'm not safe”" in alert["plain_text"] and "hopeless" not in alert["plain_text"]
        # a second warning sign while the alert is open asks nothing more
        after = len(anna.messages())
        await anna.say(f"Still {WARNING.lower()}")
        assert not any("are you safe" in (m["plain_text"] or "") for m in anna.messages()[after:])
        await deliver_now(app)
    [row] = check_ins(db)
    [alert] = db.call(lambda s: list(s.exec(select(SafeguardingAlert)).all()))
    assert (row.answer, row.alert_id) == ("not_safe", alert.id)
    assert (alert.category, alert.rule, alert.notified) == ("warning_sign", "check_in.not_safe", [FRAN])


async def test_not_sure_raises_the_alert_too(db: Database, env: Env, cohort) -> None:
    env.safeguarding_lead_id = LEAD
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        lead = emu.user(LEAD, "Lee")
        anna = await join(emu, cohort)
        anna.send_text(WARNING)
        asked = await anna.wait_for_message(has("are you safe right now?"), after=0)
        await anna.click(asked["message_id"], button(asked, "I'm not sure"))
        await anna.wait_for_message(has("thank you for telling me this"), after=0)
        await deliver_now(app)
        alert = await lead.wait_for_message(has("Safeguarding alert #1"), after=0)
        assert "answered “I'm not sure”" in alert["plain_text"]


async def test_an_alert_whose_facilitator_blocked_the_bot_reaches_the_lead_at_the_next_tick(
    db: Database, env: Env, cohort, clock: ManualClock
) -> None:
    env.safeguarding_lead_id = LEAD
    facilitate(db, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        emu.user(FRAN, "Fran")
        emu.block_user(FRAN)
        lead = emu.user(LEAD, "Lee")
        anna = await join(emu, cohort)
        await anna.say("I want to kill myself")
        await deliver_now(app)  # the sender's tick (it also runs every 10 s, and right after)
        alert = await lead.wait_for_message(has("Safeguarding alert #1"), after=0, timeout=5)
        assert "no facilitator could be reached" in alert["plain_text"]
        assert "Anna (@anna), Telegram id 1001" in alert["plain_text"]
        assert "blocked the bot, or never pressed Start" in alert["plain_text"]
    [row] = alert_rows_of(db)
    assert row["received_by"] == [LEAD]
    states = [(d["telegram_id"], d["role"], d["reason"], d["state"]) for d in row["deliveries"]]
    assert states == [(FRAN, "facilitator", "facilitator", "unreachable"), (LEAD, "lead", "fallback", "sent")]
    assert "blocked" in str(row["deliveries"][0]["error"])


async def test_a_facilitator_who_never_pressed_start_and_an_unreachable_lead_fall_to_the_admins(
    db: Database, env: Env, cohort
) -> None:
    env.safeguarding_lead_id, env.admin_ids = LEAD, frozenset({ADMIN})
    facilitate(db, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        # Fran never opened the bot: Telegram refuses to start the conversation
        emu.fail_next(
            "sendMessage",
            chat_id=FRAN,
            error_code=403,
            description="Forbidden: bot can't initiate conversation with a user",
        )
        emu.user(LEAD, "Lee")
        emu.block_user(LEAD)
        ada = emu.user(ADMIN, "Ada")
        anna = await join(emu, cohort)
        await anna.say("I want to kill myself")
        await deliver_now(app)
        await ada.wait_for_message(has("Safeguarding alert #1"), after=0, timeout=5)
    [row] = alert_rows_of(db)
    assert [(d["role"], d["state"]) for d in row["deliveries"]] == [
        ("facilitator", "unreachable"),
        ("lead", "unreachable"),
        ("admin", "sent"),
    ]


async def test_a_transient_failure_is_retried_from_the_outbox(
    db: Database, env: Env, cohort, clock: ManualClock
) -> None:
    facilitate(db, cohort)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        fran = emu.user(FRAN, "Fran")
        emu.fail_next("sendMessage", chat_id=FRAN, error_code=502, description="Bad Gateway", times=20)
        anna = await join(emu, cohort)
        await anna.say("I want to kill myself")
        for _ in range(3):  # the kick right after the message, and the sender's ticks: all refused with a 502
            await deliver_now(app)
        [row] = alert_rows_of(db)
        assert row["received_by"] == [] and row["deliveries"][0]["state"] == "pending"
        assert row["deliveries"][0]["attempts"] == 1 and "Bad Gateway" in row["deliveries"][0]["error"]
        emu.clear_faults()
        clock.advance(timedelta(minutes=1))
        stats = await deliver_now(app)
        assert stats.sent == 1
        await fran.wait_for_message(has("Safeguarding alert #1"), after=0)
    assert alert_rows_of(db)[0]["received_by"] == [FRAN]


def alert_rows_of(db: Database) -> list[dict]:
    return db.call(alert_rows)


def test_the_alerts_command_shows_who_received_each_alert(env: Env, tmp_path: Path) -> None:
    from bot.core.safety import safeguarding_delivery as sg_delivery
    from bot.core.student.enrolment import CohortIn, create_cohort
    from storage.migrate import upgrade
    from tests.support.factories import DomainChat

    database_url = f"sqlite:///{tmp_path}/cli.db"  # a database at the migrations' head, as the CLI wants
    upgrade(database_url)
    db = Database(database_url)
    cohort = db.call(create_cohort, CohortIn(name="Psychiatry Jan 2026", start_date=env.clock.now().date()))
    env.safeguarding_lead_id = LEAD
    facilitate(db, cohort)
    chat = DomainChat(db, env, _anna())
    chat.join_and_consent(cohort.invite_code)
    chat.say("I want to kill myself")
    [notice_id] = db.call(sg_delivery.claim, env, "test")
    db.call(sg_delivery.mark_unreachable, env, notice_id, "Forbidden: bot was blocked by the user")
    [lead_notice] = db.call(sg_delivery.claim, env, "test")
    db.call(sg_delivery.mark_sent, env, lead_notice)
    db.close()
    ran = _balint("safeguarding", "alerts", url=database_url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "✗ facilitator 2001       NOT reached: Forbidden: bot was blocked by the user" in ran.stdout
    assert "✓ lead 3001              received 2026-01-05 10:00 (no facilitator could be reached)" in ran.stdout
    as_json = json.loads(_balint("safeguarding", "alerts", "--json", url=database_url, cwd=tmp_path).stdout)
    assert as_json[0]["received_by"] == [LEAD]


def test_the_sandbox_checks_in_and_not_safe_raises_an_alert(tmp_path: Path) -> None:
    script = f"/start SANDBOX\n1\n1\n/prompt\n{WARNING}\n3\n/quit\n"
    ran = _balint("sandbox", url=f"sqlite:///{tmp_path}/unused.db", cwd=tmp_path, stdin=script)
    assert ran.returncode == 0, ran.stderr
    assert "are you safe right now?" in ran.stdout
    assert "[1] I'm safe" in ran.stdout and "[3] I'm not safe" in ran.stdout
    assert "You answered: I'm not safe" in ran.stdout
    assert "thank you for telling me this" in ran.stdout and "116 123" in ran.stdout
    assert (
        "This is the sandbox, so no one was told. In a real cohort the facilitators would get this alert" in ran.stdout
    )
    assert "Traceback" not in ran.stdout + ran.stderr


def test_the_sandbox_im_safe_goes_on_with_the_reflection(tmp_path: Path) -> None:
    script = f"/start SANDBOX\n1\n1\n/prompt\n{WARNING} after that shift\n1\n/quit\n"
    ran = _balint("sandbox", url=f"sqlite:///{tmp_path}/unused.db", cwd=tmp_path, stdin=script)
    assert "Let's carry on where we were" in ran.stdout and "2 · What I felt" in ran.stdout
    assert "<b>" not in ran.stdout and "alert #" not in ran.stdout


def _anna():
    from bot.core.context import Person

    return Person(telegram_id=1001, first_name="Anna", username="anna")


def _balint(*args: str, url: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "DATABASE_URL": url}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
