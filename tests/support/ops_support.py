"""Helpers for the operations tests: students in bulk, the bot as a real process, a port that answers nothing."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from datetime import UTC, datetime

from sqlmodel import Session

from bot.core.context import Env
from bot.core.scheduling.send_now import queue_week_now
from bot.core.student.enrolment import CohortIn, create_cohort
from storage.db import Database
from storage.models import Cohort, Enrolment, User
from tests.support.paths import ROOT


def seed(db: Database, first_id: int, n: int) -> Cohort:
    """A cohort starting today (UTC) with ``n`` students who joined and said yes."""

    def run(session: Session) -> Cohort:
        cohort = create_cohort(
            session, CohortIn(name=f"Ops {first_id}", start_date=datetime.now(UTC).date(), weeks=6, timezone="UTC")
        )
        users = [User(telegram_id=first_id + i, first_name=f"Student{i}") for i in range(n)]
        session.add_all(users)
        session.flush()
        session.add_all(
            [
                Enrolment(user_id=u.id, cohort_id=cohort.id, participate=True, research=False)
                for u in users
                if u.id is not None
            ]
        )
        return cohort

    return db.call(run)


def queue_week(db: Database, cohort: Cohort, week: int = 1) -> None:
    """What send-now does first: the week's rows, due now (on the real clock, as the bot process uses)."""
    env = Env(bot_username="balint_test_bot")
    db.call(lambda s: queue_week_now(s, env, s.get(Cohort, cohort.id), week))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def blackhole() -> socket.socket:
    """A listening socket that never answers: connections open, then hang (a database that went away badly)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s


async def start_bot(
    database_url: str,
    base_url: str,
    token: str,
    *,
    health_port: int,
    worker: str = "w1",
    extra: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """``balint run`` as production starts it, in its own process."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": base_url,
        "HEALTH_PORT": str(health_port),
        "WORKER_ID": worker,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def kill(*procs: asyncio.subprocess.Process) -> None:
    """After a failed test: no bot process is left behind."""
    for proc in procs:
        if proc.returncode is None:
            proc.kill()


async def upgrade(database_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "db",
        "upgrade",
        env=env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
