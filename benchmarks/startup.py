"""Start-up time: the ``balint`` command line, and the bot with a full placement.

    python benchmarks/startup.py --cli-only [--runs 5] [--cli-students 1000]
    python benchmarks/startup.py [--students 10000] [--weeks 6] [--database-url URL]

First the command line: the wall-clock seconds of ``balint --help``, ``balint cohort list``, ``balint stats`` and
``balint safeguarding alerts`` on a SQLite database seeded with a finished placement (``--cli-students``, bulk
inserts) and stamped at the current schema, as processes (median and best of ``--runs``, at least 5), and the CPU
seconds each took (user + system: steadier than wall time on a shared machine, where other work takes the cores).
Goals: 0.3 s for ``--help`` and 0.6 s for a database command on a 2-core machine.

Then (unless ``--cli-only``) it fills a database (bulk inserts), starts ``balint run`` as a process against the
Bot API emulator and prints the seconds from process start to ready (its first getUpdates) and its resident
memory once ready. Goal: under 2 s and under 200 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import storage.schema  # noqa: E402,F401
from bot.devtools.emulator import EmulatorThread  # noqa: E402
from storage.migrate import stamp  # noqa: E402
from storage.models import (  # noqa: E402
    Cohort,
    ConsentRecord,
    Delivery,
    Enrolment,
    ReflectionEntry,
    ReflectionSession,
    User,
)

STEPS = ("encounter", "felt", "patient", "between", "takeaway")
TEXT = "A long conversation with a patient on the ward that stayed with me on the way home. " * 3


def fill(url: str, students: int, weeks: int) -> dict[str, int]:
    """Bulk-insert a finished placement; return row counts."""
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    start = (now - timedelta(weeks=weeks - 1, days=1)).date()
    cohorts = max(1, students // 100)
    counts = dict.fromkeys(("users", "enrolments", "deliveries", "sessions", "entries"), 0)
    with engine.begin() as conn:
        conn.execute(insert(Cohort), [
            {"id": c + 1, "name": f"Cohort {c + 1}", "invite_code": f"C{c:07d}", "start_date": start, "weeks": weeks,
             "weekday": start.weekday(), "send_time": dtime(9, 0), "timezone": "Europe/London", "status": "open",
             "reminder_hours": 48, "created_at": now}
            for c in range(cohorts)])
        users = [{"id": i + 1, "telegram_id": 10_000_000 + i, "first_name": f"S{i}", "created_at": now}
                 for i in range(students)]
        conn.execute(insert(User), users)
        conn.execute(insert(Enrolment), [
            {"id": i + 1, "user_id": i + 1, "cohort_id": i % cohorts + 1, "joined_at": now, "participate": True,
             "research": i % 3 != 0, "consent_version": "v1", "paused": False} for i in range(students)])
        conn.execute(insert(ConsentRecord), [
            {"enrolment_id": i + 1, "user_id": i + 1, "cohort_id": i % cohorts + 1, "kind": k, "value": True,
             "text_version": "v1", "recorded_at": now} for i in range(students) for k in ("participate", "research")])
        counts["users"] = counts["enrolments"] = students
        for week in range(1, weeks + 1):
            sent = now - timedelta(weeks=weeks - week)
            conn.execute(insert(Delivery), [
                {"enrolment_id": i + 1, "user_id": i + 1, "cohort_id": i % cohorts + 1, "week": week,
                 "state": "answered", "due_at": sent, "next_attempt_at": sent, "attempts": 1, "sent_at": sent,
                 "message_id": week, "answered_at": sent} for i in range(students)])
            conn.execute(insert(ReflectionSession), [
                {"id": (week - 1) * students + i + 1, "enrolment_id": i + 1, "user_id": i + 1,
                 "cohort_id": i % cohorts + 1, "week": week, "step": "closed", "status": "closed", "path": "full",
                 "nudged": False, "skipped": [], "started_at": sent, "updated_at": sent, "closed_at": sent}
                for i in range(students)])
            conn.execute(insert(ReflectionEntry), [
                {"session_id": (week - 1) * students + i + 1, "user_id": i + 1, "cohort_id": i % cohorts + 1,
                 "week": week, "step": step, "text": TEXT, "encrypted": False, "version": 1,
                 "chat_id": 10_000_000 + i, "message_id": week * 10 + s, "created_at": sent}
                for i in range(students) for s, step in enumerate(STEPS)])
            counts["deliveries"] += students
            counts["sessions"] += students
            counts["entries"] += students * len(STEPS)
    engine.dispose()
    stamp(url)
    return counts


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cli_times(runs: int, students: int) -> None:
    """Time ``balint --help`` and two database commands as processes on a seeded database; print median and best."""
    with tempfile.TemporaryDirectory(prefix="balint-cli-") as tmp:
        url = f"sqlite:///{tmp}/cli.db"
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        env.pop("TELEGRAM_BOT_TOKEN", None)
        counts = fill(url, students, 6)
        print(f"command line, on a database of {counts['users']:,} students in {max(1, students // 100)} cohorts, "
              f"{counts['entries']:,} reflection steps:")
        cohort = "Cohort 1"
        commands = (("balint --help", ["--help"]), ("balint cohort list", ["cohort", "list"]),
                    (f"balint stats --cohort '{cohort}'", ["stats", "--cohort", cohort]),
                    ("balint safeguarding alerts", ["safeguarding", "alerts"]))
        for label, argv in commands:
            seconds, cpu = [], []
            for _ in range(runs):
                c0 = _children_cpu()
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "bot.cli", *argv], env=env, cwd=tmp, check=True,
                               capture_output=True)
                seconds.append(time.perf_counter() - t0)
                cpu.append(_children_cpu() - c0)
            print(f"  {label:<33} median {statistics.median(seconds):.2f} s, best {min(seconds):.2f} s; "
                  f"CPU median {statistics.median(cpu):.2f} s ({runs} runs)")


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cli-students", type=int, default=1_000, help="students in the command line's database")
    parser.add_argument("--cli-only", action="store_true", help="time only the command line")
    args = parser.parse_args()
    cli_times(max(args.runs, 5), args.cli_students)
    if args.cli_only:
        return
    with tempfile.TemporaryDirectory(prefix="balint-startup-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/startup.db"
        t = time.perf_counter()
        counts = fill(url, args.students, args.weeks)
        print(f"filled in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        with EmulatorThread() as et:
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": et.emu.token, "TELEGRAM_API_BASE_URL": et.base_url,
                   "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                   "BALINT_PROMPTS_DIR": str(ROOT / "prompts")}
            for run in range(args.runs):
                before = len(et.emu.calls_to("getUpdates"))
                t0 = time.perf_counter()
                proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                while len(et.emu.calls_to("getUpdates")) == before:
                    if proc.poll() is not None:
                        raise SystemExit(f"the bot exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                    time.sleep(0.005)
                ready = time.perf_counter() - t0
                time.sleep(1.0)
                mem = rss_mb(proc.pid)
                proc.terminate()
                proc.wait(timeout=30)
                print(f"run {run + 1}: ready in {ready:.2f} s, resident memory {mem:.0f} MB")


if __name__ == "__main__":
    main()
