"""Operations: one send budget for the token, a graceful stop, honest health. Real processes, the emulator."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.health import Health
from storage.db import Database
from storage.lease import drop_lease, take_lease
from tests.support.botharness import running_bot
from tests.support.ops_support import blackhole, free_port, kill, queue_week, seed, start_bot, upgrade

WEEK1 = "Week 1 of 6"


def prompts_per_student(emu: BotAPIEmulator, first_id: int, n: int) -> Counter[int]:
    return Counter(
        {
            c: sum(1 for m in emu.messages_to(c) if WEEK1 in (m["plain_text"] or ""))
            for c in range(first_id, first_id + n)
        }
    )


def test_the_lease_has_one_holder_at_a_time(db: Database) -> None:
    now = datetime.now(UTC)
    assert db.call(take_lease, holder="a", now=now, ttl=15)
    assert not db.call(take_lease, holder="b", now=now, ttl=15)
    assert db.call(take_lease, holder="a", now=now + timedelta(seconds=5), ttl=15)  # renewal
    assert not db.call(take_lease, holder="b", now=now + timedelta(seconds=19), ttl=15)
    assert db.call(take_lease, holder="b", now=now + timedelta(seconds=21), ttl=15)  # a's lapsed
    db.call(drop_lease, holder="b")
    assert db.call(take_lease, holder="a", now=now + timedelta(seconds=22), ttl=15)  # b gave it up


async def test_two_bot_processes_share_one_budget(db: Database) -> None:
    cohort = seed(db, 50_000, 90)
    env = Env(bot_username="balint_test_bot")  # the real clock, as the queued rows use
    async with (
        BotAPIEmulator(enforce_limits=True) as emu,
        running_bot(emu, db, env, worker_id="worker-a") as a,
        running_bot(emu, db, env, worker_id="worker-b") as b,
    ):
        queue_week(db, cohort)
        await emu.wait_until(lambda: sum(prompts_per_student(emu, 50_000, 90).values()) >= 90, 30, what="prompts")
        await asyncio.sleep(1.5)  # anything sent twice would show by now
        senders = [app.bot_data["dispatcher"].sent_total for app in (a, b)]
        got = prompts_per_student(emu, 50_000, 90)
    assert set(got.values()) == {1}  # every student once: none lost, none twice
    assert emu.count_429 == 0
    assert sorted(senders) == [0, 90]  # the lease holder sent them all; the other sent none


async def test_sigterm_mid_broadcast_stops_within_5s_and_the_rest_go_out_once(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    db = Database(empty_database_url)
    cohort = seed(db, 60_000, 300)
    bots: list[asyncio.subprocess.Process] = []
    try:
        async with BotAPIEmulator(enforce_limits=True) as emu:
            bots.append(await start_bot(empty_database_url, emu.base_url, emu.token, health_port=free_port()))
            queue_week(db, cohort)
            await emu.wait_until(
                lambda: sum(prompts_per_student(emu, 60_000, 300).values()) >= 60, 30, what="the broadcast under way"
            )
            bots[0].send_signal(signal.SIGTERM)
            began = time.monotonic()
            _, err = await asyncio.wait_for(bots[0].communicate(), 10)
            took = time.monotonic() - began
            assert bots[0].returncode == 0, err.decode()[-2000:]
            assert took < 5.0
            assert sum(prompts_per_student(emu, 60_000, 300).values()) < 300  # stopped mid-way, not at the end
            assert "Traceback" not in err.decode()

            bots.append(await start_bot(empty_database_url, emu.base_url, emu.token, health_port=free_port()))
            await emu.wait_until(
                lambda: sum(prompts_per_student(emu, 60_000, 300).values()) >= 300,
                40,
                what="the rest after the restart",
            )
            await asyncio.sleep(1.0)
            bots[1].send_signal(signal.SIGTERM)
            await asyncio.wait_for(bots[1].communicate(), 10)
            assert bots[1].returncode == 0
            got = prompts_per_student(emu, 60_000, 300)
        assert set(got.values()) == {1}
        assert emu.count_429 == 0
    finally:
        kill(*bots)
        db.close()


async def test_a_401_from_getupdates_ends_the_process_with_one_line(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    port = free_port()
    async with BotAPIEmulator() as emu:
        bot = await start_bot(empty_database_url, emu.base_url, emu.token, health_port=port)
        try:
            body: dict[str, str] = {}
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                            body = await r.json()
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
            assert body == {"status": "ok", "polling": "ok", "database": "ok"}
            emu.fail_next("getUpdates", error_code=401)
            emu.user(7001, "Wake").send_text("hello")  # ends the long poll in progress; the next one gets the 401
            _, err = await asyncio.wait_for(bot.communicate(), 15)
        finally:
            kill(bot)
    # Skip the timestamp ("20:33:25,401 ...") so only a line that reports the 401 itself counts.
    lines = [ln for ln in err.decode().splitlines() if "401" in ln.split(" ", 2)[-1]]
    assert bot.returncode == 1
    assert len(lines) == 1 and "CRITICAL" in lines[0] and "TELEGRAM_BOT_TOKEN is wrong or was revoked" in lines[0]
    assert "Traceback" not in err.decode()


async def test_healthz_answers_within_a_second_when_the_database_hangs() -> None:
    hole = blackhole()
    health = Health(f"postgresql+psycopg://postgres@127.0.0.1:{hole.getsockname()[1]}/gone", mode="polling")
    try:
        health.alive()
        began = time.monotonic()
        status, body = await health.report()
        took = time.monotonic() - began
    finally:
        health.close()
        hole.close()
    assert status == 503 and body["polling"] == "ok" and body["database"].startswith("unreachable")
    assert took < 1.0
    assert json.dumps(body)  # what /healthz sends


def test_doctor_says_what_is_wrong_one_line_per_check(empty_database_url: str, tmp_path) -> None:
    from cryptography.fernet import Fernet

    from bot.devtools.emulator import EmulatorThread
    from tests.support.cli_support import balint_process as balint

    with EmulatorThread() as et:
        good = {
            "DATABASE_URL": empty_database_url,
            "TELEGRAM_BOT_TOKEN": et.emu.token,
            "TELEGRAM_API_BASE_URL": et.base_url,
            "SAFEGUARDING_INSTITUTION": "example",
            "SAFEGUARDING_LEAD_TELEGRAM_ID": "42",
            "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "PSEUDONYM_KEY": "a-long-random-pseudonym-key-for-tests",
        }
        assert balint("db", "upgrade", env=good, cwd=tmp_path).returncode == 0
        ok = balint("doctor", env=good, cwd=tmp_path)
        assert ok.returncode == 0, ok.stdout
        assert [line.split()[0] for line in ok.stdout.splitlines()[:8]] == ["ok"] * 8
        assert ok.stdout.splitlines()[0].split(maxsplit=2)[1:] == ["token", "@balint_test_bot (id 123456)"]

        bad = {**good, "TELEGRAM_BOT_TOKEN": "123456:WRONG", "SAFEGUARDING_INSTITUTION": ""}
        wrong = balint(
            "doctor",
            "--webhook",
            env={
                **bad,
                "WEBHOOK_URL": "https://bot.example.org/telegram",
                "WEBHOOK_SECRET_TOKEN": "a-webhook-secret-of-32-characters",
            },
            cwd=tmp_path,
        )
    assert wrong.returncode == 1
    lines = {line[6:28].strip(): line for line in wrong.stdout.splitlines() if line.startswith(("ok", "warn", "FAIL"))}
    assert lines["token"].startswith("FAIL") and "rejected the token (401)" in lines["token"]
    contacts = lines["safeguarding contacts"]
    assert contacts.startswith("FAIL") and "still placeholders: wellbeing, school_concerns" in contacts
    assert "Traceback" not in wrong.stdout + wrong.stderr
