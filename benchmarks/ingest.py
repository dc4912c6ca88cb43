"""Ingest throughput and latency: our bot against a bare python-telegram-bot echo bot, same emulator, same run.

The emulator and the simulated students run in a child process (as Telegram runs elsewhere), so the bot under
test has its process to itself, as it would in production.

    python benchmarks/ingest.py [--students 400] [--replies 5] [--rate 100] [--database-url URL]

Two loads for each bot, one after the other on the same Bot API emulator:
  * flat out: every student replies as soon as the bot has answered their previous message (closed loop);
    prints updates/s;
  * paced: messages arrive at --rate updates/s in total; prints p50/p99 latency from the student's message to
    the bot's answer, and (our bot) to the reply being stored in the database.
Goal: our bot >= 50 % of the bare bot's throughput; p99 < 250 ms at 100 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

import storage.schema  # noqa: E402,F401
from bot.config import Settings  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.context import Env  # noqa: E402
from bot.core.delivery import ensure_deliveries, mark_sent, prepare  # noqa: E402
from bot.core.enrolment import CohortIn, create_cohort  # noqa: E402
from bot.telegram.app import ALLOWED_UPDATES, build_application  # noqa: E402
from bot.telegram.polling import SafePoller  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import stamp  # noqa: E402
from storage.models import Enrolment, ReflectionEntry, User  # noqa: E402
from tests.emulator import BotAPIEmulator  # noqa: E402

BASE = 500_000
TEXT = "On the ward today I sat with a patient who was frightened, and I noticed how much I wanted to fix it."


@dataclass
class Load:
    updates: int
    seconds: float
    answer_ms: list[float]
    sent_at: dict[tuple[int, int], float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prepare_db(url: str, students: int, offset: int) -> None:
    """Students of a cohort whose week-1 conversation is open (so every reply is stored)."""
    engine = create_engine(url)
    env = Env(clock=SystemClock())
    today = datetime.now(UTC).date()
    with Session(engine) as session:
        cohort = create_cohort(session, CohortIn(name=f"Ingest {offset}", start_date=today - timedelta(days=1),
                                                 weekday=(today - timedelta(days=1)).weekday()))
        for i in range(students):
            user = User(telegram_id=BASE + offset + i, first_name=f"S{i}")
            session.add(user)
            session.flush()
            assert user.id is not None and cohort.id is not None
            session.add(Enrolment(user_id=user.id, cohort_id=cohort.id, participate=True, research=True,
                                  consent_version="v1"))
        session.flush()
        ensure_deliveries(session, env, cohort, 1, when=env.clock.now() - timedelta(minutes=5))
        from storage.models import Delivery

        for d in session.exec(select(Delivery).where(Delivery.cohort_id == cohort.id)).all():
            assert d.id is not None
            prepare(session, env, d.id)
            mark_sent(session, env, d.id, 1)
        session.commit()
    engine.dispose()


async def drive(emu: Any, users: list[int], replies: int, rate: float | None) -> Load:
    """Run on the emulator's loop: students reply (flat out, or paced at ``rate`` updates/s overall).

    One watcher notices answers for every waiting student, so the driver itself stays cheap with many students.
    """
    answer_ms: list[float] = []
    sent_at: dict[tuple[int, int], float] = {}
    interval = 1.0 / rate if rate else 0.0
    next_slot = [time.perf_counter()]
    waiting: dict[int, tuple[int, asyncio.Future[None]]] = {}
    finished = asyncio.Event()

    async def watcher() -> None:
        while not finished.is_set():
            await emu.state.changed.wait(0.05)
            for uid, (after, fut) in list(waiting.items()):
                if len(emu.state.bot_records.get(uid, ())) > after and not fut.done():
                    fut.set_result(None)
                    del waiting[uid]

    async def student(uid: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(replies):
            if interval:
                slot = next_slot[0]
                next_slot[0] += interval
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
            fut: asyncio.Future[None] = loop.create_future()
            waiting[uid] = (len(emu.state.bot_records.get(uid, ())), fut)
            t0 = time.perf_counter()
            msg = emu.send_text(uid, TEXT)
            sent_at[(uid, msg["message_id"])] = time.time()
            await asyncio.wait_for(fut, 60)
            answer_ms.append((time.perf_counter() - t0) * 1000)

    watch = asyncio.create_task(watcher())
    start = time.perf_counter()
    await asyncio.gather(*(student(u) for u in users))
    elapsed = time.perf_counter() - start
    finished.set()
    await watch
    return Load(len(answer_ms), elapsed, answer_ms, sent_at)


async def serve_emulator() -> None:
    """Child process: the emulator plus a small control server that runs a load and returns its figures."""
    from aiohttp import web

    emu = await BotAPIEmulator().start()

    async def users(request: web.Request) -> web.Response:
        for uid in (await request.json())["users"]:
            emu.user(uid, f"S{uid}")
        return web.json_response({"ok": True})

    async def run_load(request: web.Request) -> web.Response:
        body = await request.json()
        load = await drive(emu, body["users"], body["replies"], body["rate"])
        return web.json_response({"updates": load.updates, "seconds": load.seconds, "answer_ms": load.answer_ms,
                                  "sent_at": [[c, m, t] for (c, m), t in load.sent_at.items()]})

    ctrl = web.Application(client_max_size=64 * 1024 * 1024)
    ctrl.router.add_post("/users", users)
    ctrl.router.add_post("/drive", run_load)
    runner = web.AppRunner(ctrl, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(json.dumps({"base_url": emu.base_url, "token": emu.token, "ctrl": f"http://127.0.0.1:{port}"}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    await runner.cleanup()
    await emu.stop()


async def remote_load(ctrl: str, users: list[int], replies: int, rate: float | None) -> Load:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
        async with http.post(f"{ctrl}/drive", json={"users": users, "replies": replies, "rate": rate}) as resp:
            data = await resp.json()
    return Load(data["updates"], data["seconds"], data["answer_ms"],
                {(int(c), int(m)): float(t) for c, m, t in data["sent_at"]})


async def run_ours(emu: dict[str, str], url: str, users: list[int], replies: int, rate: float | None) -> Load:
    db = Database(url)
    settings = Settings(_env_file=None, telegram_bot_token=emu["token"],  # type: ignore[call-arg]
                        telegram_api_base_url=emu["base_url"], database_url=url, log_level="WARNING")
    app = build_application(settings, db, Env(clock=SystemClock()))
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        poller = SafePoller(app, timeout=1, allowed_updates=ALLOWED_UPDATES)
        task = asyncio.create_task(poller.run())
        load = await remote_load(emu["ctrl"], users, replies, rate)
        poller.stop()
        await task
        await app.stop()
    db.close()
    return load


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


async def run_bare(emu: dict[str, str], users: list[int], replies: int, rate: float | None) -> Load:
    app = ApplicationBuilder().token(emu["token"]).base_url(emu["base_url"]).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        load = await remote_load(emu["ctrl"], users, replies, rate)
        await app.updater.stop()
        await app.stop()
    return load


def stored_ms(url: str, load: Load) -> list[float]:
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.exec(select(ReflectionEntry.chat_id, ReflectionEntry.message_id,
                                   ReflectionEntry.created_at)).all()
    engine.dispose()
    out = []
    for chat, msg, created in rows:
        t0 = load.sent_at.get((int(chat), int(msg)))
        if t0 is not None:
            out.append((created.timestamp() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--replies", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--serve-emulator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_emulator:
        asyncio.run(serve_emulator())
        return
    child = subprocess.Popen([sys.executable, __file__, "--serve-emulator"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    emu = json.loads(child.stdout.readline())
    try:
        with tempfile.TemporaryDirectory(prefix="balint-ingest-") as tmp:
            url = args.database_url or f"sqlite:///{tmp}/ingest.db"
            engine = create_engine(url)
            SQLModel.metadata.drop_all(engine)
            SQLModel.metadata.create_all(engine)
            engine.dispose()
            stamp(url)
            n = args.students
            prepare_db(url, n, 0)
            prepare_db(url, n, n)
            import urllib.request

            req = urllib.request.Request(f"{emu['ctrl']}/users", data=json.dumps(
                {"users": [BASE + i for i in range(2 * n)]}).encode(), headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()
            first = [BASE + i for i in range(n)]
            second = [BASE + n + i for i in range(n)]
            bare_flat = asyncio.run(run_bare(emu, first, args.replies, None))
            ours_flat = asyncio.run(run_ours(emu, url, first, args.replies, None))
            bare_paced = asyncio.run(run_bare(emu, second, args.replies, args.rate))
            ours_paced = asyncio.run(run_ours(emu, url, second, args.replies, args.rate))
            stored_flat = stored_ms(url, ours_flat)
            stored_paced = stored_ms(url, ours_paced)
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    backend = url.split(":", 1)[0].split("+")[0]
    print(f"ingest benchmark on {backend}: {n} students x {args.replies} replies per load")
    print(f"{'':28}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name, load in (("bare PTB echo, flat out", bare_flat), ("balintbot, flat out", ours_flat),
                       (f"bare PTB echo, {args.rate:.0f}/s", bare_paced),
                       (f"balintbot, {args.rate:.0f}/s", ours_paced)):
        print(f"{name:28}{load.rate:>10.1f}{pct(load.answer_ms, 50):>9.1f}{pct(load.answer_ms, 99):>9.1f}")
    print(f"balintbot / bare throughput: {ours_flat.rate / bare_flat.rate:.0%}")
    print(f"message -> stored reply, balintbot flat out: p50 {pct(stored_flat, 50):.1f} ms, "
          f"p99 {pct(stored_flat, 99):.1f} ms ({len(stored_flat)} stored)")
    print(f"message -> stored reply, balintbot at {args.rate:.0f}/s: p50 {pct(stored_paced, 50):.1f} ms, "
          f"p99 {pct(stored_paced, 99):.1f} ms ({len(stored_paced)} stored)")


if __name__ == "__main__":
    main()
