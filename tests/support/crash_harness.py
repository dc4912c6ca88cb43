"""Kill the real bot process with SIGKILL mid-work, restart it, and count what was stored, lost or doubled.

Used at small scale by tests/e2e/test_crash_safety.py and at large scale by benchmarks/crash.py. The bot runs as
a separate process (``python -m bot.cli run``) against the Bot API emulator running in a thread here.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select

import storage.schema  # noqa: F401  (every table)
from bot.core.clock import SystemClock
from bot.core.context import Env
from bot.core.delivery.delivery import ensure_deliveries, mark_sent, prepare
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.core.student.reflection import open_week
from bot.devtools.emulator import EmulatorThread
from bot.research import queue as research_queue
from storage.migrate import stamp
from storage.models import Delivery, DeliveryState, Enrolment, ReflectionEntry, User
from tests.support.paths import ROOT

REPLY_ID_BASE = 100_000  # students who reply
PROMPT_ID_BASE = 200_000  # students who get the broadcast


@dataclass
class CrashPlan:
    repliers: int = 20
    replies_each: int = 5
    broadcast_to: int = 60
    kills: int = 3
    seed: int = 7
    kill_after: tuple[float, float] = (0.4, 1.6)  # seconds of work before each SIGKILL
    finish_within: float = 180.0


@dataclass
class CrashResult:
    replies_sent: int = 0
    replies_stored: int = 0
    replies_lost: int = 0
    replies_duplicated: int = 0
    prompts_expected: int = 0
    prompts_received: int = 0
    prompts_missing: int = 0
    prompts_duplicated: int = 0
    kills: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def prepare_database(url: str, plan: CrashPlan) -> int:
    """Create the schema, a cohort, students with week 1 open (repliers) and pending prompts (broadcast)."""
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    stamp(url)
    env = Env(research=research_queue, clock=SystemClock())
    today = datetime.now(UTC).date()
    with Session(engine) as session:
        reply_cohort = create_cohort(
            session,
            CohortIn(
                name="Crash repliers",
                start_date=today - timedelta(days=3),
                weekday=(today - timedelta(days=1)).weekday(),
            ),
        )
        prompt_cohort = create_cohort(session, CohortIn(name="Crash broadcast", start_date=date(2020, 1, 6)))
        for cohort, base, n in (
            (reply_cohort, REPLY_ID_BASE, plan.repliers),
            (prompt_cohort, PROMPT_ID_BASE, plan.broadcast_to),
        ):
            for i in range(n):
                user = User(telegram_id=base + i, first_name=f"S{i}")
                session.add(user)
                session.flush()
                assert user.id is not None and cohort.id is not None
                session.add(
                    Enrolment(
                        user_id=user.id, cohort_id=cohort.id, participate=True, research=True, consent_version="v1"
                    )
                )
        session.flush()
        now = env.clock.now()
        # repliers: week 1's prompt already went out, their conversations are open
        ensure_deliveries(session, env, reply_cohort, 1, when=now - timedelta(hours=1))
        for d in session.exec(select(Delivery).where(Delivery.cohort_id == reply_cohort.id)).all():
            assert d.id is not None
            prepare(session, env, d.id)
            mark_sent(session, env, d.id, 1)
        for e in session.exec(select(Enrolment).where(Enrolment.cohort_id == reply_cohort.id)).all():
            open_week(session, env, e, 1)
        # broadcast: week 1 falls due now for everyone in the second cohort
        ensure_deliveries(session, env, prompt_cohort, 1, when=now)
        session.commit()
        prompt_cohort_id = prompt_cohort.id
    engine.dispose()
    assert prompt_cohort_id is not None
    return prompt_cohort_id


class BotProcess:
    """``balint run`` as a child process, pointed at the emulator and the test database."""

    def __init__(self, base_url: str, token: str, database_url: str, workdir: Path) -> None:
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "WORKER_ID": "crash-test",
            "LOG_LEVEL": "WARNING",
            "ENVIRONMENT": "test",
            "HEALTH_PORT": "0",  # any free port: another bot or `balint web` on this machine may hold 8080
            "PYTHONPATH": str(ROOT),
            "BALINT_PROMPTS_DIR": str(ROOT / "prompts"),
        }
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "bot.log"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def run_crash(plan: CrashPlan, database_url: str, workdir: Path) -> CrashResult:
    """Send replies and a broadcast while killing the bot ``plan.kills`` times; count the outcome."""
    rng = random.Random(plan.seed)
    prepare_database(database_url, plan)
    result = CrashResult(prompts_expected=plan.broadcast_to)
    sent: list[tuple[int, int]] = []
    started = time.monotonic()
    with EmulatorThread() as et:
        emu = et.emu
        for i in range(plan.repliers):
            et.call(_add_user, emu, REPLY_ID_BASE + i)
        for i in range(plan.broadcast_to):
            et.call(_add_user, emu, PROMPT_ID_BASE + i)
        for turn in range(plan.replies_each):
            for i in range(plan.repliers):
                msg = et.call(
                    _send,
                    emu,
                    REPLY_ID_BASE + i,
                    f"Reply {turn + 1} from student {i}: what stayed with me this week was a long talk.",
                )
                sent.append((REPLY_ID_BASE + i, msg["message_id"]))
        result.replies_sent = len(sent)
        bot = BotProcess(et.base_url, emu.token, database_url, workdir)
        try:
            for _ in range(plan.kills):
                bot.start()
                time.sleep(rng.uniform(*plan.kill_after) + 1.0)  # ~1 s of start-up, then some work
                bot.kill()
                result.kills += 1
            bot.start()
            deadline = time.monotonic() + plan.finish_within
            while time.monotonic() < deadline:
                if et.call(_pending, emu) == 0 and _pending_deliveries(database_url) == 0:
                    break
                if not bot.alive():
                    result.notes.append("the bot exited by itself; see " + str(bot.log))
                    break
                time.sleep(0.5)
            time.sleep(0.5)
        finally:
            bot.stop()
        received = Counter()
        for i in range(plan.broadcast_to):
            msgs = et.call(_messages, emu, PROMPT_ID_BASE + i)
            received[i] = sum(1 for m in msgs if "Week 1 of" in (m.get("plain_text") or ""))
    result.prompts_received = sum(1 for c in received.values() if c >= 1)
    result.prompts_missing = plan.broadcast_to - result.prompts_received
    result.prompts_duplicated = sum(c - 1 for c in received.values() if c > 1)
    stored = _stored(database_url)
    counts = Counter(stored)
    result.replies_stored = sum(1 for key in sent if counts.get(key, 0) >= 1)
    result.replies_lost = len(sent) - result.replies_stored
    result.replies_duplicated = sum(c - 1 for c in counts.values() if c > 1)
    result.seconds = time.monotonic() - started
    return result


def _add_user(emu, user_id: int) -> None:  # type: ignore[no-untyped-def]
    emu.user(user_id, f"S{user_id}")


def _send(emu, user_id: int, text: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return emu.send_text(user_id, text)


def _pending(emu) -> int:  # type: ignore[no-untyped-def]
    return emu.pending_updates()


def _messages(emu, chat_id: int) -> list:  # type: ignore[no-untyped-def, type-arg]
    return list(emu.messages_to(chat_id))


def _pending_deliveries(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        n = len(session.exec(select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)).all())
    engine.dispose()
    return n


def _stored(url: str) -> list[tuple[int, int]]:
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.exec(
            select(ReflectionEntry.chat_id, ReflectionEntry.message_id).where(ReflectionEntry.version == 1)
        ).all()
    engine.dispose()
    return [(int(c), int(m)) for c, m in rows]
