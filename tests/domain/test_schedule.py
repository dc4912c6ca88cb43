"""Schedules on a controllable clock: daylight saving, several time zones, restarts, downtime, quiet hours,
reminders and expiry — through the domain, the real database, and (where sending is the point) the emulator."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.core.delivery import reminders
from bot.core.delivery.outbox import drain
from bot.core.scheduling import scheduling
from bot.core.scheduling.cohort_schedule import ScheduleChange, change_schedule, set_status
from bot.core.scheduling.scheduling import job_id, job_plan, parse_job_id
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram import jobs
from bot.telegram.app import build_application
from bot.telegram.send import TelegramSender
from storage.db import Database
from storage.models import Cohort, CohortStatus, Delivery, DeliveryState, ReflectionSession
from tests.support.botharness import settings_for
from tests.support.factories import DomainChat
from tests.support.scheduling_helpers import deliveries, join, tick, utc, wired


def new_cohort(
    db: Database,
    name: str,
    start: date,
    *,
    weeks: int = 3,
    weekday: int = 0,
    at: time = time(9, 0),
    tz: str = "Europe/London",
) -> Cohort:
    return db.call(
        create_cohort, CohortIn(name=name, start_date=start, weeks=weeks, weekday=weekday, send_time=at, timezone=tz)
    )


def moments(db: Database, env: Env, cohort: Cohort) -> list:
    return [(j.week, j.at) for j in db.call(job_plan, env, cohort.id)]


def edit(db: Database, cohort: Cohort, **values: object) -> None:
    def run(session):
        c = session.get(Cohort, cohort.id)
        for k, v in values.items():
            setattr(c, k, v)
        session.add(c)

    db.call(run)


# ---------------------------------------------------------------- when prompts fall due


def test_job_ids_are_deterministic_and_cover_only_the_weeks_to_come(db, env, cohort):
    plan = db.call(job_plan, env)
    assert [j.id for j in plan] == [f"cohort:{cohort.id}:week:{w}" for w in range(2, 7)]  # week 1 was at 09:00
    assert plan[0].at == utc(2026, 1, 12, 9, 0)
    assert parse_job_id(job_id(cohort.id, 4)) == (cohort.id, 4)
    assert parse_job_id("dispatch") is None and parse_job_id("cohort:x:week:1") is None


def test_london_prompts_stay_at_nine_local_on_both_sides_of_each_clock_change(db, env, clock: ManualClock):
    clock.set(utc(2026, 3, 1))
    spring = new_cohort(db, "Spring", date(2026, 3, 16))  # clocks go forward on Sunday 29 March
    autumn = new_cohort(db, "Autumn", date(2026, 10, 19), weeks=2)  # and back on Sunday 25 October
    assert moments(db, env, spring) == [(1, utc(2026, 3, 16, 9)), (2, utc(2026, 3, 23, 9)), (3, utc(2026, 3, 30, 8))]
    assert moments(db, env, autumn) == [(1, utc(2026, 10, 19, 8)), (2, utc(2026, 10, 26, 9))]
    london = ZoneInfo("Europe/London")
    assert {at.astimezone(london).time() for _, at in moments(db, env, spring) + moments(db, env, autumn)} == {
        time(9, 0)
    }


def test_new_york_prompts_stay_at_nine_local_on_both_sides_of_each_clock_change(db, env, clock):
    clock.set(utc(2026, 3, 1))
    spring = new_cohort(db, "NY spring", date(2026, 3, 2), weeks=2, weekday=4, tz="America/New_York")  # Fridays
    autumn = new_cohort(db, "NY autumn", date(2026, 10, 26), weeks=2, weekday=4, tz="America/New_York")
    assert moments(db, env, spring) == [(1, utc(2026, 3, 6, 14)), (2, utc(2026, 3, 13, 13))]  # EST, then EDT
    assert moments(db, env, autumn) == [(1, utc(2026, 10, 30, 13)), (2, utc(2026, 11, 6, 14))]  # EDT, then EST


def test_a_time_the_clock_change_skips_or_repeats_resolves_the_way_a_person_expects(db, env, clock):
    clock.set(utc(2026, 3, 1))
    gap = new_cohort(db, "Gap", date(2026, 3, 8), weeks=1, weekday=6, at=time(2, 30), tz="America/New_York")
    fold = new_cohort(db, "Fold", date(2026, 10, 25), weeks=1, weekday=6, at=time(1, 30))
    assert moments(db, env, gap) == [(1, utc(2026, 3, 8, 7, 30))]  # 02:30 doesn't exist: 03:30 EDT
    assert moments(db, env, fold) == [(1, utc(2026, 10, 25, 0, 30))]  # 01:30 happens twice: the first one


def test_a_time_inside_quiet_hours_moves_to_their_end(db, env, clock):
    clock.set(utc(2026, 1, 1))
    late = new_cohort(db, "Late", date(2026, 1, 5), weeks=1, at=time(23, 0))
    change_schedule_now(db, env, late, ScheduleChange(quiet=(time(22, 0), time(7, 0))))
    assert moments(db, env, late) == [(1, utc(2026, 1, 6, 7, 0))]  # Tuesday 07:00 London (GMT)


def change_schedule_now(db: Database, env: Env, cohort: Cohort, change: ScheduleChange) -> list[str]:
    return db.call(lambda s: change_schedule(s, env, s.get(Cohort, cohort.id), change, actor="test"))


async def test_several_time_zones_each_get_their_prompt_at_nine_local(db, env, clock):
    clock.set(utc(2026, 2, 1, 20, 0))  # Sunday evening UTC
    zones = {"Tokyo": "Asia/Tokyo", "London": "Europe/London", "New York": "America/New_York"}
    cohorts = {name: new_cohort(db, name, date(2026, 2, 2), tz=tz) for name, tz in zones.items()}
    people = {name: join(db, env, c, 100 * (i + 1), 2) for i, (name, c) in enumerate(cohorts.items())}
    chats = {name: [p.telegram_id for p in ps] for name, ps in people.items()}
    async with wired(db, env) as w:

        def reached() -> set[str]:
            return {name for name, ids in chats.items() if all(w.counts(ids)[i] == 1 for i in ids)}

        await tick(db, env, w.dispatcher)
        assert reached() == set()
        clock.set(utc(2026, 2, 2, 0, 0))  # 09:00 in Tokyo
        await tick(db, env, w.dispatcher)
        assert reached() == {"Tokyo"}
        clock.set(utc(2026, 2, 2, 8, 59))
        await tick(db, env, w.dispatcher)
        assert reached() == {"Tokyo"}
        clock.set(utc(2026, 2, 2, 9, 0))  # 09:00 in London
        await tick(db, env, w.dispatcher)
        assert reached() == {"Tokyo", "London"}
        clock.set(utc(2026, 2, 2, 14, 0))  # 09:00 in New York (EST)
        await tick(db, env, w.dispatcher)
        assert reached() == {"Tokyo", "London", "New York"}
        assert all("Week 1 of 3" in w.texts(c)[0] for ids in chats.values() for c in ids)


# ---------------------------------------------------------------- the week job, restarts and downtime


def test_a_week_job_makes_that_weeks_deliveries_only_when_it_is_due_and_the_cohort_open(db, env, cohort, clock):
    join(db, env, cohort, 500, 2)
    clock.set(utc(2026, 1, 12, 8, 59))
    assert db.call(scheduling.fire_week, env, cohort.id, 2) == 0  # early
    clock.set(utc(2026, 1, 12, 9, 0))
    db.call(lambda s: set_status(s, env, s.get(Cohort, cohort.id), CohortStatus.PAUSED, actor="test"))
    assert db.call(scheduling.fire_week, env, cohort.id, 2) == 0  # paused
    db.call(lambda s: set_status(s, env, s.get(Cohort, cohort.id), CohortStatus.OPEN, actor="test"))
    assert db.call(scheduling.fire_week, env, cohort.id, 2) == 2
    assert db.call(scheduling.fire_week, env, cohort.id, 2) == 0  # idempotent
    clock.set(utc(2026, 1, 19, 21, 1))  # 12 h and a minute after week 3's moment: too late
    assert db.call(scheduling.fire_week, env, cohort.id, 3) == 0


async def test_a_restart_mid_placement_rebuilds_the_jobs_from_the_database_and_sends_nothing_twice(
    db, database_url, env, cohort, clock
):
    clock.set(utc(2026, 1, 5, 8, 0))
    ids = [p.telegram_id for p in join(db, env, cohort, 700, 3)]
    async with BotAPIEmulator() as emu:
        first = build_application(settings_for(emu, db), db, env)
        async with first:
            await first.start()
            sched = await jobs.start(first, dispatcher_for(first, db, env, "first"))
            names = set(sched.week_jobs())
            assert names == {f"cohort:{cohort.id}:week:{w}" for w in range(1, 7)}
            assert {job.job.id for job in sched.week_jobs().values()} == names  # the APScheduler ids too
            clock.set(
                utc(
                    2026,
                    1,
                    5,
                    9,
                    0,
                )
            )
            await sched.tick()
            await first.stop()
        assert [len(emu.messages_to(i)) for i in ids] == [1, 1, 1]

        again = Database(database_url)  # the process restarts on Wednesday of week 1
        try:
            clock.set(utc(2026, 1, 7, 12, 0))
            second = build_application(settings_for(emu, again), again, env)
            async with second:
                await second.start()
                sched = await jobs.start(second, dispatcher_for(second, again, env, "second"))
                assert set(sched.week_jobs()) == {f"cohort:{cohort.id}:week:{w}" for w in range(2, 7)}
                assert (await sched.dispatcher.run_once()).sent == 0
                clock.set(utc(2026, 1, 12, 9, 0))
                await sched.tick()
                await second.stop()
        finally:
            again.close()
        assert [len(emu.messages_to(i)) for i in ids] == [2, 2, 2]
        assert all("Week 2 of 6" in emu.messages_to(i)[-1]["plain_text"] for i in ids)


def dispatcher_for(app, db: Database, env: Env, worker: str):
    from bot.core.delivery.dispatch import Dispatcher

    return Dispatcher(db, env, TelegramSender(app.bot), worker=worker, rate=500)


async def test_after_downtime_a_week_that_fell_due_within_the_grace_window_goes_out_on_start(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 800, 2)]
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher, starting=True)  # week 1, on time
        clock.set(utc(2026, 1, 12, 9, 0) + timedelta(hours=env.grace_hours - 1))  # down over Monday morning
        stats = await tick(db, env, w.dispatcher, starting=True)
        assert stats.sent == 2
        assert [w.texts(i)[-1].startswith("Week 2 of 6") for i in ids] == [True, True]


async def test_after_longer_downtime_the_week_is_recorded_missed_and_never_sent_late(db, env, cohort, clock):
    ids = [p.telegram_id for p in join(db, env, cohort, 900, 2)]
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher, starting=True)
        clock.set(utc(2026, 1, 12, 9, 0) + timedelta(hours=env.grace_hours, minutes=1))
        report = db.call(scheduling.sync, env, starting=True)
        assert report.missed == 2
        assert (await w.dispatcher.run_once()).sent == 0
        assert sorted(s for _, week, s in deliveries(db) if week == 2) == [DeliveryState.MISSED] * 2
        clock.set(utc(2026, 1, 19, 9, 0))  # the next week comes as usual
        await tick(db, env, w.dispatcher)
        assert [[t[:13] for t in w.texts(i)] for i in ids] == [["Week 1 of 6 —", "Week 3 of 6 —"]] * 2


async def test_a_delivery_left_pending_by_a_crash_is_missed_when_the_bot_returns_too_late(db, env, cohort, clock):
    join(db, env, cohort, 950, 1)
    db.call(scheduling.sync, env)  # the week-1 rows were made, then the process died before sending
    clock.advance(timedelta(hours=env.grace_hours + 1))
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher, starting=True)
        assert w.emu.messages_to(950) == []
    assert deliveries(db) == [(deliveries(db)[0][0], 1, DeliveryState.MISSED)]


async def test_a_student_joining_within_the_grace_window_gets_this_weeks_prompt_later_ones_wait(db, env, cohort, clock):
    async with wired(db, env) as w:
        clock.set(utc(2026, 1, 5, 11, 0))
        join(db, env, cohort, 960, 1)
        await tick(db, env, w.dispatcher)
        assert w.texts(960)[0].startswith("Week 1 of 6")
        clock.set(utc(2026, 1, 6, 9, 0))  # a day after the prompt: /reflect is there, no prompt is pushed
        join(db, env, cohort, 961, 1)
        await tick(db, env, w.dispatcher)
        assert w.emu.messages_to(961) == []


async def test_quiet_hours_hold_an_automatic_send_until_morning(db, env, cohort, clock):
    change_schedule_now(db, env, cohort, ScheduleChange(send_time=time(21, 30), quiet=(time(22, 0), time(7, 0))))
    async with wired(db, env) as w:
        clock.set(utc(2026, 1, 5, 23, 0))  # joined after the 21:30 prompt, inside quiet hours
        join(db, env, cohort, 970, 1)
        await tick(db, env, w.dispatcher)
        assert w.emu.messages_to(970) == []
        clock.set(utc(2026, 1, 6, 7, 0))
        await tick(db, env, w.dispatcher)
        assert w.texts(970)[0].startswith("Week 1 of 6")


async def test_pause_holds_prompts_and_resume_sends_only_within_the_grace_window(db, env, cohort, clock):
    join(db, env, cohort, 980, 1)
    pause = lambda status: db.call(  # noqa: E731
        lambda s: set_status(s, env, s.get(Cohort, cohort.id), status, actor="test")
    )
    async with wired(db, env) as w:
        pause(CohortStatus.PAUSED)
        await tick(db, env, w.dispatcher)
        assert w.emu.messages_to(980) == []
        clock.advance(timedelta(hours=2))
        pause(CohortStatus.OPEN)
        await tick(db, env, w.dispatcher)
        assert len(w.emu.messages_to(980)) == 1  # within the grace window: it goes out now
        pause(CohortStatus.PAUSED)
        clock.set(utc(2026, 1, 12, 9, 0))
        await tick(db, env, w.dispatcher)
        clock.set(utc(2026, 1, 13, 9, 0))  # resumed a day later: week 2 is skipped, not sent late
        pause(CohortStatus.OPEN)
        await tick(db, env, w.dispatcher, starting=True)
        assert len(w.emu.messages_to(980)) == 1


# ---------------------------------------------------------------- a schedule change without a restart


async def test_a_schedule_change_from_anywhere_moves_the_jobs_at_the_next_tick(db, database_url, env, cohort, clock):
    async with BotAPIEmulator() as emu:
        app = build_application(settings_for(emu, db), db, env)
        async with app:
            await app.start()
            sched = await jobs.start(app, dispatcher_for(app, db, env, "a"))
            name = f"cohort:{cohort.id}:week:2"
            assert sched.week_jobs()[name].data["at"] == utc(2026, 1, 12, 9, 0)
            other = Database(database_url)  # `balint cohort schedule` runs in another process
            try:
                other.call(
                    lambda s: change_schedule(
                        s, env, s.get(Cohort, cohort.id), ScheduleChange(weekday=2, send_time=time(8, 30)), actor="cli"
                    )
                )
            finally:
                other.close()
            await sched.tick()
            assert sched.week_jobs()[name].data["at"] == utc(2026, 1, 14, 8, 30)
            db.call(lambda s: set_status(s, env, s.get(Cohort, cohort.id), CohortStatus.PAUSED, actor="test"))
            await sched.reschedule(cohort.id)
            assert sched.week_jobs() == {}
            await app.stop()


def test_a_schedule_change_drops_deliveries_made_for_the_old_one(db, env, cohort, clock):
    join(db, env, cohort, 990, 2)
    db.call(scheduling.sync, env)
    assert len(deliveries(db)) == 2
    change_schedule_now(db, env, cohort, ScheduleChange(send_time=time(12, 0)))  # week 1 now at noon
    assert deliveries(db) == []
    clock.set(utc(2026, 1, 5, 12, 0))
    assert db.call(scheduling.sync, env).created == 2


async def test_a_cohort_can_follow_its_own_plan(db, env, cohort, clock):
    change_schedule_now(
        db, env, cohort, ScheduleChange(plan=["week4_hard_to_be_with.html.j2", "week1_arriving.html.j2"])
    )
    join(db, env, cohort, 995, 1)
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)
        assert "A patient I found hard to be with" in w.texts(995)[0]


# ---------------------------------------------------------------- reminders and expiry


async def send_reminders(db: Database, env: Env, w) -> int:
    return (await drain(db, env, reminders.KIND, w.dispatcher)).sent


async def test_one_gentle_reminder_to_those_who_have_not_replied_and_no_one_else(db, env, cohort, clock):
    replier, quiet_one, paused, leaver = join(db, env, cohort, 1100, 4)
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)
        DomainChat(db, env, replier).say("A woman on the ward who reminded me of my aunt.")
        DomainChat(db, env, paused).command("pause")
        chat = DomainChat(db, env, leaver)
        chat.command("withdraw")
        chat.press("Yes, withdraw")
        clock.advance(timedelta(hours=47, minutes=59))
        assert await send_reminders(db, env, w) == 0
        clock.advance(timedelta(minutes=2))
        assert await send_reminders(db, env, w) == 1
        reminder = w.texts(quiet_one.telegram_id)[-1]
        assert "gentle note" in reminder and "week 1's reflection is still open" in reminder
        assert "only reminder" in reminder
        assert [len(w.emu.messages_to(p.telegram_id)) for p in (replier, paused)] == [1, 1]
        clock.advance(timedelta(hours=24))
        assert await send_reminders(db, env, w) == 0  # never a second one


async def test_a_reminder_waits_for_the_end_of_quiet_hours(db, env, cohort, clock):
    change_schedule_now(db, env, cohort, ScheduleChange(quiet=(time(22, 0), time(7, 0)), reminder_hours=13))
    student = join(db, env, cohort, 1200, 1)[0]
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)  # sent at 10:00, so the reminder falls at 23:00
        clock.set(utc(2026, 1, 5, 23, 0))
        assert await send_reminders(db, env, w) == 0
        clock.set(utc(2026, 1, 6, 7, 0))
        assert await send_reminders(db, env, w) == 1
        assert "gentle note" in w.texts(student.telegram_id)[-1]


async def test_no_reminder_when_the_cohort_turned_it_off(db, env, cohort, clock):
    change_schedule_now(db, env, cohort, ScheduleChange(reminder_hours=0))
    join(db, env, cohort, 1300, 1)
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)
        clock.advance(timedelta(days=6))
        assert await send_reminders(db, env, w) == 0


async def test_an_unanswered_prompt_expires_when_the_next_arrives_and_is_not_reminded_after(db, env, cohort, clock):
    edit(db, cohort, reminder_hours=24 * 8)  # a reminder that would fall after next week's prompt
    student = join(db, env, cohort, 1400, 1)[0]
    async with wired(db, env) as w:
        await tick(db, env, w.dispatcher)
        clock.set(utc(2026, 1, 12, 9, 0))
        await tick(db, env, w.dispatcher)
        clock.set(utc(2026, 1, 13, 11, 0))
        assert await send_reminders(db, env, w) == 0
        assert [t[:11] for t in w.texts(student.telegram_id)] == ["Week 1 of 6", "Week 2 of 6"]

    def states(session):
        return (
            sorted((d.week, d.state) for d in session.exec(select(Delivery)).all()),
            sorted((r.week, r.status) for r in session.exec(select(ReflectionSession)).all()),
        )

    assert db.call(states) == ([(1, DeliveryState.EXPIRED), (2, DeliveryState.SENT)], [(1, "expired"), (2, "open")])
