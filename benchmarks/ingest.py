"""Ingest throughput and latency: our bot against a bare python-telegram-bot echo bot, same emulator, same run.

The emulator and the simulated students run in a child process (as Telegram runs elsewhere), so the bot under
test has its process to itself, as it would in production.

    python benchmarks/ingest.py [--students 400] [--replies 5] [--rate 100] [--rounds 5] [--database-url URL]
                                [--no-model]   # the safeguarding rules alone: what the model costs

Two loads for each bot on the same Bot API emulator:
  * flat out: every student replies as soon as the bot has answered their previous message (closed loop);
    prints updates/s. Run --rounds times per bot, bare and ours taking turns, and the median round and the
    median ratio are reported: on a small shared machine one run can be 20 % off the next;
  * paced: messages arrive at --rate updates/s in total; prints p50/p99 latency from the student's message to
    the bot's answer, and (our bot) to the reply being stored in the database.
Goal: our bot >= 50 % of the bare bot's throughput; p99 < 250 ms at 100 updates/s. The bare bot is PTB's stock echo
example (httpx, PTB's default transport); the same echo bot on our aiohttp transport is measured too, so the
cost of our own work per update shows apart from the transport.
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
from bot.core.delivery.delivery import ensure_deliveries, mark_sent, prepare  # noqa: E402
from bot.core.student.enrolment import CohortIn, create_cohort  # noqa: E402
from bot.devtools.emulator import BotAPIEmulator  # noqa: E402
from bot.research import queue as research_queue
from bot.telegram.app import ALLOWED_UPDATES, build_application  # noqa: E402
from bot.telegram.http import AiohttpRequest  # noqa: E402
from bot.telegram.polling import SafePoller  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import stamp  # noqa: E402
from storage.models import Enrolment, ReflectionEntry, User  # noqa: E402

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
    env = Env(research=research_queue, clock=SystemClock())
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
    app = build_application(settings, db, Env(research=research_queue, clock=SystemClock()))
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


async def run_bare(emu: dict[str, str], users: list[int], replies: int, rate: float | None, *,
                   aiohttp: bool = False) -> Load:
    """The stock echo bot of PTB's examples; ``aiohttp``: on the bot's own transport instead of PTB's httpx."""
    builder = ApplicationBuilder().token(emu["token"]).base_url(emu["base_url"])
    if aiohttp:
        builder = builder.request(AiohttpRequest(connection_pool_size=64)).get_updates_request(
            AiohttpRequest(connection_pool_size=1))
    app = builder.build()
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
    parser.add_argument("--rounds", type=int, default=5, help="flat-out rounds per bot, interleaved (default 5)")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--no-model", action="store_true",
                        help="screen with the safeguarding rules alone, to show what the model costs")
    parser.add_argument("--serve-emulator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_emulator:
        asyncio.run(serve_emulator())
        return
    if args.no_model:
        import functools

        from bot.core.safety import safeguarding_rules

        rules_alone = safeguarding_rules.SafeguardingRules.from_toml(model_path=None)
        safeguarding_rules.default_rules = functools.lru_cache(maxsize=1)(lambda: rules_alone)  # what check() reads
    child = subprocess.Popen([sys.executable, __file__, "--serve-emulator"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    emu = json.loads(child.stdout.readline())
    n, rounds = args.students, args.rounds
    try:
        with tempfile.TemporaryDirectory(prefix="balint-ingest-") as tmp:
            url = args.database_url or f"sqlite:///{tmp}/ingest.db"
            engine = create_engine(url)
            SQLModel.metadata.drop_all(engine)
            SQLModel.metadata.create_all(engine)
            engine.dispose()
            stamp(url)
            # each flat round and the paced run get students of their own: a conversation can be answered once
            groups = [[BASE + g * n + i for i in range(n)] for g in range(rounds + 1)]
            for g in range(rounds + 1):
                prepare_db(url, n, g * n)
            import urllib.request

            req = urllib.request.Request(f"{emu['ctrl']}/users", data=json.dumps(
                {"users": [u for group in groups for u in group]}).encode(),
                headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()
            bare_flat: list[Load] = []
            bare_aio_flat: list[Load] = []
            ours_flat: list[Load] = []
            for g in range(rounds):  # interleaved, so a slow spell of the machine hits every bot alike
                bare_flat.append(asyncio.run(run_bare(emu, groups[g], args.replies, None)))
                bare_aio_flat.append(asyncio.run(run_bare(emu, groups[g], args.replies, None, aiohttp=True)))
                ours_flat.append(asyncio.run(run_ours(emu, url, groups[g], args.replies, None)))
            bare_paced = asyncio.run(run_bare(emu, groups[rounds], args.replies, args.rate))
            ours_paced = asyncio.run(run_ours(emu, url, groups[rounds], args.replies, args.rate))
            stored_flat = [ms for load in ours_flat for ms in stored_ms(url, load)]
            stored_paced = stored_ms(url, ours_paced)
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    backend = url.split(":", 1)[0].split("+")[0]
    ratios = [o.rate / b.rate for o, b in zip(ours_flat, bare_flat, strict=True)]
    aio_ratios = [o.rate / b.rate for o, b in zip(ours_flat, bare_aio_flat, strict=True)]

    def median(loads: list[Load]) -> Load:
        return sorted(loads, key=lambda x: x.rate)[rounds // 2]

    print(f"ingest benchmark on {backend}: {n} students x {args.replies} replies per load, "
          f"{rounds} flat-out rounds per bot")
    print(f"{'':28}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name, load in (("bare PTB echo, flat out*", median(bare_flat)),
                       ("bare echo on aiohttp, flat*", median(bare_aio_flat)),
                       ("balintbot, flat out*", median(ours_flat)),
                       (f"bare PTB echo, {args.rate:.0f}/s", bare_paced),
                       (f"balintbot, {args.rate:.0f}/s", ours_paced)):
        print(f"{name:28}{load.rate:>10.1f}{pct(load.answer_ms, 50):>9.1f}{pct(load.answer_ms, 99):>9.1f}")
    print("* the median round")
    print("rounds, updates/s: bare " + ", ".join(f"{x.rate:.0f}" for x in bare_flat)
          + "; bare on aiohttp " + ", ".join(f"{x.rate:.0f}" for x in bare_aio_flat)
          + "; balintbot " + ", ".join(f"{x.rate:.0f}" for x in ours_flat))
    print(f"balintbot / bare throughput: median {sorted(ratios)[rounds // 2]:.0%} "
          f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)})")
    print(f"balintbot / bare echo on the same aiohttp transport: median {sorted(aio_ratios)[rounds // 2]:.0%} "
          f"(rounds: {', '.join(f'{r:.0%}' for r in aio_ratios)})")
    print(f"message -> stored reply, balintbot flat out: p50 {pct(stored_flat, 50):.1f} ms, "
          f"p99 {pct(stored_flat, 99):.1f} ms ({len(stored_flat)} stored)")
    print(f"message -> stored reply, balintbot at {args.rate:.0f}/s: p50 {pct(stored_paced, 50):.1f} ms, "
          f"p99 {pct(stored_paced, 99):.1f} ms ({len(stored_paced)} stored)")


if __name__ == "__main__":
    main()
