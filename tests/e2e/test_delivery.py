"""Durable delivery through the Bot API emulator: 429s honoured, 403s recorded, network errors retried, limits kept,
a crashed sender's rows recovered, and two senders on one PostgreSQL never sending the same prompt twice."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.core.delivery import delivery, reminders
from bot.core.delivery.delivery import CLAIM_FOR, MAX_ATTEMPTS
from bot.core.delivery.dispatch import Dispatcher
from bot.core.delivery.outbox import drain
from bot.core.facilitator import stats
from bot.core.scheduling import scheduling
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.send import TelegramSender
from storage.db import Database
from storage.models import Cohort, Delivery, DeliveryState, User
from tests.support.database import using_postgres
from tests.support.scheduling_helpers import deliveries, join, tick, wired

ONLY_POSTGRES = pytest.mark.skipif(
    not using_postgres(),
    reason="needs PostgreSQL: row claiming relies on FOR UPDATE SKIP LOCKED; SQLite has a single writer, so a "
    "second process could only queue behind the first (set TEST_DATABASE_URL to run it)",
)


def row_of(db: Database, telegram_id: int, week: int = 1) -> Delivery:
    def run(session: Session) -> Delivery:
        user = session.exec(select(User).where(User.telegram_id == telegram_id)).one()
        return session.exec(select(Delivery).where(Delivery.user_id == user.id, Delivery.week == week)).one()

    return db.call(run)


async def test_a_429_is_honoured_and_the_prompt_then_goes_out_once(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 2000, 3)]
    async with wired(db, env) as w:
        w.emu.fail_next("sendMessage", chat_id=ids[1], error_code=429, retry_after=3)
        first = await tick(db, env, w.dispatcher)
        assert (first.sent, first.rate_limited) == (2, 1)
        waiting = row_of(db, ids[1])
        assert waiting.state == DeliveryState.PENDING and waiting.next_attempt_at == clock.now() + timedelta(seconds=3)
        clock.advance(timedelta(seconds=2))
        assert (await w.dispatcher.run_once()).sent == 0  # not before Telegram said
        clock.advance(timedelta(seconds=1))
        assert (await w.dispatcher.run_once()).sent == 1
        assert w.counts(ids) == dict.fromkeys(ids, 1)
        assert w.emu.count_429 == 1


async def test_a_403_marks_the_student_unreachable_and_the_facilitator_sees_it(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 2100, 3)]
    async with wired(db, env) as w:
        w.emu.block_user(ids[0])
        result = await tick(db, env, w.dispatcher)
        assert (result.sent, result.blocked) == (2, 1)
        blocked = row_of(db, ids[0])
        assert blocked.state == DeliveryState.FAILED and "403" in (blocked.last_error or "")
        assert db.call(lambda s: s.exec(select(User).where(User.telegram_id == ids[0])).one().unreachable_at)
        clock.set(clock.now() + timedelta(days=7))
        await tick(db, env, w.dispatcher)  # week 2 is not even attempted for them
        assert len(w.emu.calls_to("sendMessage")) == 3 + 2
    rows = db.call(lambda s: stats.cohort_stats(s, env, s.get(Cohort, cohort.id)))
    assert [(r.week, r.prompted, r.unreachable) for r in rows] == [(1, 2, 1), (2, 2, 1)]


async def test_a_network_error_is_retried_after_a_backoff(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 2200, 2)]
    async with wired(db, env) as w:
        w.emu.fail_next("sendMessage", chat_id=ids[0], error_code=502)
        assert (await tick(db, env, w.dispatcher)).retried == 1
        assert w.emu.messages_to(ids[0]) == []
        clock.advance(timedelta(seconds=delivery.backoff(1)))
        assert (await w.dispatcher.run_once()).sent == 1
        assert w.counts(ids) == {ids[0]: 1, ids[1]: 1}


async def test_a_prompt_that_keeps_failing_is_given_up_after_the_last_attempt(db, env, cohort, clock):
    student = join(db, env, cohort, 2300, 1)[0].telegram_id
    async with wired(db, env) as w:
        w.emu.fail_next("sendMessage", chat_id=student, error_code=500, times=MAX_ATTEMPTS)
        await tick(db, env, w.dispatcher)
        for _ in range(MAX_ATTEMPTS - 1):
            clock.advance(timedelta(seconds=delivery.backoff(1)))
            await w.dispatcher.run_once()
        assert row_of(db, student).state == DeliveryState.FAILED
        assert row_of(db, student).attempts == MAX_ATTEMPTS


async def test_a_request_telegram_refuses_fails_at_once(db, env, cohort):
    student = join(db, env, cohort, 2400, 1)[0].telegram_id
    async with wired(db, env) as w:
        w.emu.fail_next("sendMessage", chat_id=student, error_code=400, description="Bad Request: message is too long")
        assert (await tick(db, env, w.dispatcher)).failed == 1
    assert row_of(db, student).state == DeliveryState.FAILED


async def test_a_sender_that_crashed_after_claiming_leaves_nothing_lost(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 2500, 2)]
    db.call(lambda s: delivery.ensure_deliveries(s, env, s.get(Cohort, cohort.id), 1))
    assert len(db.call(delivery.claim, env, "crashed")) == 2  # then the process died
    async with wired(db, env, worker="survivor") as w:
        assert (await w.dispatcher.run_once()).sent == 0  # the claim still holds
        clock.advance(CLAIM_FOR + timedelta(seconds=1))
        assert (await w.dispatcher.run_once()).sent == 2
        assert w.counts(ids) == dict.fromkeys(ids, 1)


async def test_within_telegrams_limits_every_student_gets_the_prompt_exactly_once(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 2600, 40)]
    async with wired(db, env, rate=29.0, enforce_limits=True) as w:
        await tick(db, env, w.dispatcher)
        for _ in range(5):  # a 429, if any, is retried once its wait (on the domain's clock) is over
            if all(s != DeliveryState.PENDING for _, _, s in deliveries(db)):
                break
            clock.advance(timedelta(seconds=5))
            await w.dispatcher.run_once()
        assert w.counts(ids) == dict.fromkeys(ids, 1)
    assert {s for _, _, s in deliveries(db)} == {DeliveryState.SENT}


async def test_a_reminder_to_a_student_who_blocked_the_bot_marks_them_unreachable(db, env, cohort, clock):
    student = join(db, env, cohort, 2700, 1)[0].telegram_id
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)
        w.emu.block_user(student)
        clock.advance(timedelta(hours=48))
        result = await drain(db, env, reminders.KIND, w.dispatcher)
        assert (result.sent, result.blocked) == (0, 1)
        assert db.call(lambda s: s.exec(select(User).where(User.telegram_id == student)).one().unreachable_at)
        assert row_of(db, student).state == DeliveryState.SENT  # the prompt itself did go out


# ---------------------------------------------------------------- two senders, one PostgreSQL


@ONLY_POSTGRES
def test_two_claims_at_the_same_moment_get_different_rows(db, database_url, env, cohort):
    join(db, env, cohort, 3000, 10)
    db.call(lambda s: delivery.ensure_deliveries(s, env, s.get(Cohort, cohort.id), 1))
    other = Database(database_url)
    try:
        with db.session() as first, other.session() as second:  # both transactions open at once
            a = delivery.claim(first, env, "a", limit=6)
            b = delivery.claim(second, env, "b", limit=6)  # doesn't wait for a's locks: it skips them
        assert len(a) == 6 and len(b) == 4 and not set(a) & set(b)
    finally:
        other.close()


@ONLY_POSTGRES
async def test_two_bot_processes_on_one_postgresql_never_send_a_prompt_twice(db, database_url, env, cohort):
    ids = [p.telegram_id for p in join(db, env, cohort, 4000, 120)]
    db.call(lambda s: delivery.ensure_deliveries(s, env, s.get(Cohort, cohort.id), 1))
    other = Database(database_url)  # a second process: its own engine, pool and threads
    try:
        async with BotAPIEmulator() as emu:
            bot_a = TelegramSender_for(emu)
            bot_b = TelegramSender_for(emu)
            async with bot_a.bot, bot_b.bot:
                a = Dispatcher(db, env, bot_a, worker="process-a", rate=1000, batch=8, in_flight=4)
                b = Dispatcher(other, env, bot_b, worker="process-b", rate=1000, batch=8, in_flight=4)
                got_a, got_b = await asyncio.gather(a.run_once(), b.run_once())
            per_chat = {i: len(emu.messages_to(i)) for i in ids}
    finally:
        other.close()
    assert got_a.sent + got_b.sent == len(ids)
    assert got_a.sent > 0 and got_b.sent > 0  # both really sent
    assert set(per_chat.values()) == {1}  # no duplicate, no loss


@ONLY_POSTGRES
def test_two_processes_making_the_same_weeks_deliveries_at_once_is_not_an_error(db, database_url, env, cohort):
    join(db, env, cohort, 5000, 3)
    other = Database(database_url)
    try:
        with ThreadPoolExecutor(1) as pool, db.session() as first:
            assert scheduling.fire_week(first, env, cohort.id, 1) == 3  # inserted, not yet committed
            second = pool.submit(other.call, scheduling.fire_week, env, cohort.id, 1)
            for _ in range(500):  # until the second process is waiting on the first one's rows
                if (
                    second.done()
                    or first.connection()
                    .execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database()"
                        )
                    )
                    .scalar()
                ):
                    break
                wait([second], timeout=0.01)
            assert not second.done()
        assert second.result(timeout=30) == 0  # it lost the race quietly: the first process's rows stand
    finally:
        other.close()
    assert len(deliveries(db)) == 3


def TelegramSender_for(emu: BotAPIEmulator) -> TelegramSender:  # noqa: N802  (reads like the class it builds)
    from telegram import Bot

    return TelegramSender(Bot(emu.token, base_url=emu.base_url))
