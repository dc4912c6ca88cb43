"""Benchmark one weekly prompt to 5,000 students through the Bot API emulator enforcing Telegram's limits.

Run from the repository root:

    python benchmarks/broadcast.py --mode cli [--students 5000] [--database-url URL]
    python benchmarks/broadcast.py --mode workers --database-url postgresql+psycopg://...  [--students 5000]
    python benchmarks/broadcast.py --mode dispatcher [--rate 29] [--database-url URL] [--no-ptb-limiter]

``--mode cli``: a bot process (``balint run``) is running and the operator types ``balint prompt send-now``: the
two processes share the bot-wide send budget (the send lease), so the bot sends and the command watches.
``--mode workers``: two bot processes (webhook mode, ``WORKER_ID`` w1 and w2) on one PostgreSQL database and the
week falls due for both; whichever holds the lease sends. ``--mode dispatcher``: the dispatcher alone, in-process.
The emulator enforces a strict sliding one-second window of 30 messages (and 1/s per chat) and answers 429 beyond;
it notes when it accepted each message, and the rates below are computed from those times.

The path is production's: durable delivery rows (``send_now.queue_week_now``, the send-now path), the
``Dispatcher`` claiming and pacing them, ``TelegramSender`` on a PTB ``ExtBot`` with the same ``AIORateLimiter``
as ``build_application``, over HTTP to the emulator in its own thread with flood control on (30 messages/s
overall, 1/s per chat, 429 with retry_after beyond). The database is a fresh SQLite file unless
``--database-url`` names an empty PostgreSQL database.

Printed: messages/s achieved against the 30/s ceiling (over the whole run, and in the worst and best 10-second
windows), the 429s the emulator answered, and duplicates and losses (messages each chat received against one
expected). Goal: at least 28 messages/s sustained, no duplicate, no loss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402
from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402

import storage.facilitator_models  # noqa: E402, F401  (registers the tables)
import storage.models  # noqa: E402, F401
import storage.research_models  # noqa: E402, F401
import storage.schema  # noqa: E402, F401  (every table, the send lease too)
from bot.core.context import Env  # noqa: E402
from bot.core.delivery.dispatch import Dispatcher  # noqa: E402
from bot.core.replies import Reply  # noqa: E402
from bot.core.scheduling.send_now import queue_week_now  # noqa: E402
from bot.core.student.enrolment import CohortIn, create_cohort  # noqa: E402
from bot.devtools.emulator import EmulatorThread  # noqa: E402
from bot.research import queue as research_queue
from bot.telegram.send import TelegramSender  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Cohort, Delivery, Enrolment, User  # noqa: E402

FIRST_ID = 10_000_000


class TimedSender(TelegramSender):
    """The production sender, noting when each message was accepted (for the rate over time)."""

    def __init__(self, bot: ExtBot) -> None:  # type: ignore[type-arg]
        super().__init__(bot)
        self.accepted: list[float] = []

    async def send(self, chat_id: int, reply: Reply) -> int:
        message_id = await super().send(chat_id, reply)
        self.accepted.append(time.monotonic())
        return message_id


def seed(db: Database, n: int) -> Cohort:
    """A cohort starting today (UTC) with ``n`` students who joined and consented."""
    today = datetime.now(UTC).date()

    def run(session: Session) -> Cohort:
        cohort = create_cohort(session, CohortIn(name="Benchmark cohort", start_date=today, weeks=6,
                                                 timezone="UTC"))
        users = [User(telegram_id=FIRST_ID + i, first_name=f"Student{i}") for i in range(n)]
        session.add_all(users)
        session.flush()
        session.add_all([Enrolment(user_id=u.id, cohort_id=cohort.id, participate=True, research=False)
                         for u in users if u.id is not None])
        return cohort

    return db.call(run)


def windows(stamps: list[float], width: float) -> tuple[float, float]:
    """Worst and best rate over full windows of ``width`` seconds (the last, partial one left out)."""
    if not stamps:
        return 0.0, 0.0
    start, end = stamps[0], stamps[-1]
    rates = []
    t = start
    while t + width <= end:
        rates.append(sum(1 for s in stamps if t <= s < t + width) / width)
        t += width
    return (min(rates), max(rates)) if rates else (len(stamps) / max(end - start, 1e-9),) * 2


def busiest_second(stamps: list[float]) -> int:
    """The most messages accepted within any one second."""
    best, j = 0, 0
    for i, s in enumerate(stamps):
        while stamps[j] <= s - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


async def broadcast(db: Database, base_url: str, token: str, rate: float,
                    ptb_limiter: bool) -> tuple[TimedSender, float, int]:
    env = Env(research=research_queue, bot_username="balint_bench_bot")
    cohort = db.call(lambda s: s.get(Cohort, 1))
    queued = db.call(lambda s: queue_week_now(s, env, s.get(Cohort, cohort.id), 1))
    assert queued.already == 0
    bot = ExtBot(token, base_url=base_url, rate_limiter=AIORateLimiter(max_retries=2) if ptb_limiter else None)
    async with bot:
        sender = TimedSender(bot)
        dispatcher = Dispatcher(db, env, sender, worker="benchmark", rate=rate)
        began = time.monotonic()
        stats = await dispatcher.run_once(settle=120)
        elapsed = time.monotonic() - began
    return sender, elapsed, stats.rate_limited


ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"


def fresh_schema(url: str) -> None:
    """An empty database brought to the current schema by ``balint db upgrade``, as a deployment does."""
    db = Database(url)
    SQLModel.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.close()
    done = subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url})
    if done.returncode != 0:
        raise SystemExit(done.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(url: str, base_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url, "LOG_LEVEL": "WARNING", "ENVIRONMENT": "test", **extra}


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the bot on health port {port} did not become healthy")


def run_processes(mode: str, url: str, n: int) -> tuple[list[float], int, Counter[int], float, str]:
    """Bot process(es) and, for ``cli``, ``balint prompt send-now``; return send times, 429s, per-chat counts."""
    cohort = seed(Database(url), n)
    with EmulatorThread(TOKEN, enforce_limits=True) as emu_thread:
        emu = emu_thread.emu
        bots: list[subprocess.Popen[bytes]] = []
        note = ""
        try:
            if mode == "cli":
                health = free_port()
                bots.append(subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT,
                                             env=bot_env(url, emu_thread.base_url, HEALTH_PORT=str(health),
                                                         WORKER_ID="bot")))
                wait_healthy(health)
                began = time.monotonic()
                cli = subprocess.run([sys.executable, "-m", "bot.cli", "prompt", "send-now", "--cohort",
                                      str(cohort.id), "--week", "1", "--json"], cwd=ROOT, capture_output=True,
                                     text=True, env=bot_env(url, emu_thread.base_url))
                elapsed = time.monotonic() - began
                if cli.returncode != 0:
                    raise SystemExit(cli.stderr)
                result = json.loads(cli.stdout)
                note = (f"send-now: sent {result['sent']} (by the command itself: {result['sent_here']}), "
                        f"traceback on stderr: {'yes' if 'Traceback' in cli.stderr else 'no'}")
            else:
                secret = "bench-webhook-secret-0123456789abcdef"
                for worker in ("w1", "w2"):
                    port, health = free_port(), free_port()
                    bots.append(subprocess.Popen(
                        [sys.executable, "-m", "bot.cli", "run", "--webhook"], cwd=ROOT,
                        env=bot_env(url, emu_thread.base_url, HEALTH_PORT=str(health), WORKER_ID=worker,
                                    WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", WEBHOOK_PORT=str(port),
                                    WEBHOOK_SECRET_TOKEN=secret)))
                    wait_healthy(health)
                began = time.monotonic()
                env = Env(research=research_queue, bot_username="balint_bench_bot")
                Database(url).call(lambda s: queue_week_now(s, env, s.get(Cohort, cohort.id), 1))
                ids = range(FIRST_ID, FIRST_ID + n)
                deadline = time.monotonic() + n / 20 + 60
                while time.monotonic() < deadline:
                    if emu_thread.call(lambda: sum(1 for c in ids if emu.messages_to(c))) >= n:
                        break
                    time.sleep(0.5)
                elapsed = time.monotonic() - began
                time.sleep(2.0)  # anything sent twice would show by now
        finally:
            for bot in bots:
                bot.send_signal(signal.SIGTERM)
            for bot in bots:
                bot.wait(15)
        stamps = emu_thread.call(lambda: sorted(emu.state.sent_at))
        per_chat = emu_thread.call(lambda: Counter(
            {c: len(emu.messages_to(c)) for c in range(FIRST_ID, FIRST_ID + n)}))
        count_429 = emu_thread.call(lambda: emu.count_429)
    return stamps, count_429, per_chat, elapsed, note


def report_processes(args: argparse.Namespace, url: str) -> None:
    stamps, count_429, per_chat, elapsed, note = run_processes(args.mode, url, args.students)
    db = Database(url)
    states = db.call(lambda s: Counter(d.state for d in s.exec(select(Delivery)).all()))
    db.close()
    sent = len(stamps)
    span = stamps[-1] - stamps[0] if sent > 1 else 0.0
    worst, best = windows(stamps, 10.0)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    losses = sum(1 for n in per_chat.values() if n == 0)
    how = ("balint prompt send-now while balint run polls" if args.mode == "cli"
           else "two bot processes (webhook mode, WORKER_ID w1 and w2)")
    print(f"students: {args.students}   database: {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}   "
          f"senders: {how}")
    print(f"sent: {sent} in {elapsed:.1f} s (first to last message {span:.1f} s)")
    if note:
        print(note)
    print(f"achieved: {sent / span if span else 0:.2f} messages/s against the 30/s ceiling "
          f"(worst 10 s window {worst:.1f}/s, best {best:.1f}/s, busiest sliding second {busiest_second(stamps)})")
    print(f"429 responses from the emulator: {count_429}")
    print(f"duplicates: {duplicates}   losses: {losses}   delivery states: {dict(states)}")
    ok = bool(span) and sent / span >= 28 and count_429 == 0 and duplicates == 0 and losses == 0
    print("goal (>= 28/s, 0 x 429, no duplicate, no loss):", "met" if ok else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["cli", "workers", "dispatcher"], default="cli")
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=29.0, help="the dispatcher's pace, messages/s")
    parser.add_argument("--database-url", default=None, help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--no-ptb-limiter", action="store_true", help="leave out PTB's AIORateLimiter")
    args = parser.parse_args()
    if args.mode == "workers" and not (args.database_url or "").startswith("postgresql"):
        raise SystemExit("--mode workers needs --database-url postgresql+psycopg://... (several workers share it)")

    if args.mode != "dispatcher":
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/broadcast.db"
            fresh_schema(url)
            report_processes(args, url)
        return

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/broadcast.db"
        db = Database(url)
        SQLModel.metadata.create_all(db.engine)
        seed(db, args.students)
        with EmulatorThread("123456:BENCH", enforce_limits=True) as emu_thread:
            sender, elapsed, rate_limited = asyncio.run(
                broadcast(db, emu_thread.base_url, "123456:BENCH", args.rate, not args.no_ptb_limiter))
            emu = emu_thread.emu
            per_chat = emu_thread.call(lambda: Counter(
                {c: len(emu.messages_to(c)) for c in range(FIRST_ID, FIRST_ID + args.students)}))
            count_429 = emu_thread.call(lambda: emu.count_429)
        states = db.call(lambda s: Counter(d.state for d in s.exec(select(Delivery)).all()))
        db.close()

    stamps = sorted(sender.accepted)
    sent = len(stamps)
    span = stamps[-1] - stamps[0] if sent > 1 else 0.0
    worst, best = windows(stamps, 10.0)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    losses = sum(1 for n in per_chat.values() if n == 0)
    print(f"students: {args.students}   database: {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}   "
          f"dispatcher pace: {args.rate:g}/s   PTB AIORateLimiter: {'off' if args.no_ptb_limiter else 'on'}")
    print(f"sent: {sent} in {elapsed:.1f} s (first to last message {span:.1f} s)")
    print(f"achieved: {sent / span if span else 0:.2f} messages/s against the 30/s ceiling "
          f"(worst 10 s window {worst:.1f}/s, best {best:.1f}/s, busiest single second {busiest_second(stamps)})")
    print(f"429 responses from the emulator: {count_429} (seen by the dispatcher after PTB's retries: "
          f"{rate_limited})")
    print(f"duplicates: {duplicates}   losses: {losses}   delivery states: {dict(states)}")
    ok = sent / span >= 28 and worst >= 28 and duplicates == 0 and losses == 0 if span else False
    print("goal (>= 28/s sustained, no duplicate, no loss):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
