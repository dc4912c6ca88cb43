"""A Balint circle of 10 students and a leader: one post relayed to every other member's chat.

    python benchmarks/circle_relay.py [--posts 5]

Runs the real bot (PTB Application, polling) against the Bot API emulator on a SQLite file. For each post, it
prints the seconds from the member sending it (``/circle TEXT``) to the tenth copy arriving in the emulator,
and the median. Goal: under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import SQLModel, create_engine  # noqa: E402

import storage.schema  # noqa: E402,F401
from bot.chat import student  # noqa: E402
from bot.core.circles import setup  # noqa: E402
from bot.core.clock import ManualClock  # noqa: E402
from bot.core.context import Env, Person  # noqa: E402
from bot.core.student.enrolment import CohortIn, create_cohort  # noqa: E402
from bot.devtools.emulator import BotAPIEmulator  # noqa: E402
from bot.research import queue as research_queue  # noqa: E402
from bot.telegram import circles  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.support.botharness import running_bot  # noqa: E402
from tests.support.research_support import enrol  # noqa: E402

STUDENTS = [(4000 + i, f"Student{i}") for i in range(1, 11)]
LEADER = (4100, "Leader")


async def run(posts: int) -> list[float]:
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    db = Database(url)
    clock = ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    env = Env(clock=clock, research=research_queue)  # as bot.runtime.make_env wires it
    cohort = db.call(create_cohort, CohortIn(name="Bench", start_date=date(2026, 1, 5), weeks=6, weekday=0,
                                             send_time=clock_time(9, 0), timezone="Europe/London"))
    for tid, name in STUDENTS:
        enrol(db, env, cohort, tid, name)
    db.call(student.start, env, Person(telegram_id=LEADER[0], first_name=LEADER[1]), None)
    db.call(setup.create, env, setup.CircleIn(cohort="Bench", name="Circle", leader=LEADER[0],
                                              students=[t for t, _ in STUDENTS]))
    times: list[float] = []
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        users = [emu.user(tid, name) for tid, name in [*STUDENTS, LEADER]]
        await asyncio.sleep(1.5)  # the send lease
        await circles.relay_once(app)
        for u in users:
            invite = await u.wait_for_message(lambda m: "What joining means" in (m["plain_text"] or ""), after=0)
            data = next(b["callback_data"] for row in invite["reply_markup"]["inline_keyboard"] for b in row
                        if b["text"] == "Yes, I'll join")
            await u.click(invite["message_id"], data)
        clock.set(datetime(2026, 1, 10, 10, 1, tzinfo=UTC))
        await circles.tick_once(app)
        await asyncio.sleep(0.5)
        for n in range(posts):
            text = f"Post number {n} to the circle, from the leader."
            others = users[:-1]
            start = time.perf_counter()
            users[-1].send_text(f"/circle {text}")
            for u in others:
                await u.wait_for_message(lambda m, t=text: t in (m["plain_text"] or ""), after=0, timeout=30)
            times.append(time.perf_counter() - start)
    db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5)
    args = parser.parse_args()
    times = asyncio.run(run(args.posts))
    print("seconds to all 10 copies: " + ", ".join(f"{t:.2f}" for t in times))  # noqa: T201
    print(f"median {statistics.median(times):.2f} s (goal < 2 s)")  # noqa: T201


if __name__ == "__main__":
    main()
