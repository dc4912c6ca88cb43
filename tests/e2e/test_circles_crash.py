"""SIGKILL the real bot part-way through relaying circle posts: after a restart every chat holds each post once,
in the order the posts were made.

The bot runs as a child process (``python -m bot.cli run``, as in tests/support/crash_harness.py) against the Bot API
emulator. The emulator holds the relay's next sendMessage once some copies have gone out, and the bot is killed
while it waits for the answer: the copies sent so far are marked, the one in flight never reached the chat.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select, update

from bot.core.circles import relay
from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.devtools.emulator import EmulatorThread
from bot.devtools.emulator.common import ApiError
from storage.circle_models import CircleOutbox
from storage.db import Database
from storage.lease import SendLease
from storage.migrate import stamp
from tests.support.circle_support import LEADER, STUDENTS, make_circle, open_week
from tests.support.crash_harness import BotProcess

CASE = "A man on the ward asked me whether he was dying, and I changed the subject. I still hear him ask."
POSTS = [CASE, "What did you say instead?", "Was anyone else in the room?"]
AUTHORS = ["Anna", "Ben", "Cara"]
SENT_BEFORE_KILL = 7  # of the 15 copies (three posts to five members each)


class HoldOne:
    """Let ``after`` circle copies through, then hold the next sendMessage until released, and drop it."""

    def __init__(self, after: int) -> None:
        self.after, self.passed, self.holding, self.armed = after, 0, False, True
        self.release: asyncio.Event | None = None

    async def __call__(self, name: str, params: dict[str, Any]) -> None:
        if not self.armed or name != "sendMessage" or not any(p in str(params.get("text")) for p in POSTS):
            return
        if self.passed < self.after:
            self.passed += 1
            return
        self.armed, self.holding, self.release = False, True, asyncio.Event()
        await self.release.wait()
        raise ApiError(502, "Bad Gateway")  # the bot is dead by now: nobody reads this, nothing was stored


def _queue_three_posts(db: Database, env: Env, clock: ManualClock, cohort: Any) -> None:
    """A circle whose case and two questions wait in the outbox, everything before them already delivered."""
    make_circle(db, env, cohort)
    chats = open_week(db, env, clock)
    chats["Anna"].press("I'll present this week")
    chats["Anna"].say(CASE)
    chats["Anna"].press("Share it with the circle")
    chats["Ben"].command(POSTS[1])
    chats["Cara"].command(POSTS[2])

    def deliver_the_rest(session: Any) -> None:
        for row in session.exec(select(CircleOutbox).where(col(CircleOutbox.post_id).is_(None))).all():
            relay.mark_sent(session, env, row.id, None)

    db.call(deliver_the_rest)


def _posts_in(messages: list[dict[str, Any]]) -> list[int]:
    """Which of POSTS the chat received, in the order it received them (one entry per copy)."""
    return [i for m in messages for i, p in enumerate(POSTS) if p in (m.get("plain_text") or "")]


def test_a_sigkill_mid_relay_loses_no_copy_and_doubles_none(
    db: Database, env: Env, clock: ManualClock, cohort, database_url: str, tmp_path: Path
) -> None:
    _queue_three_posts(db, env, clock, cohort)
    stamp(database_url)
    expected = {tid: [i for i, a in enumerate(AUTHORS) if a != name] for tid, name in [*STUDENTS, LEADER]}
    assert sum(map(len, expected.values())) == 15 == db.call(relay.pending)
    hold = HoldOne(SENT_BEFORE_KILL)
    with EmulatorThread() as et:
        for tid, name in [*STUDENTS, LEADER]:
            et.call(et.emu.user, tid, name)
        et.emu.before_call = hold
        bot = BotProcess(et.base_url, et.emu.token, database_url, tmp_path)

        def received() -> dict[int, list[int]]:
            return {tid: _posts_in(et.call(et.emu.messages_to, tid)) for tid in expected}

        try:
            bot.start()
            deadline = time.monotonic() + 20
            while not hold.holding and bot.alive() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert hold.holding, bot.log.read_text(errors="replace")[-3000:]
            bot.kill()
            assert hold.release is not None
            et.call(hold.release.set)
            # the dead process's send lease would lapse after send_budget.LEASE_TTL (15 s): lapse it now
            db.call(lambda s: s.execute(update(SendLease).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))))
            before = received()
            assert sum(map(len, before.values())) == SENT_BEFORE_KILL  # part-way: some chats have copies, some not

            bot.start()
            deadline = time.monotonic() + 20
            while received() != expected and bot.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # anything sent twice would have arrived by now
        finally:
            bot.stop()
        after = received()
    assert after == expected, bot.log.read_text(errors="replace")[-3000:]  # once each, in the posts' order
    unsent = db.call(
        lambda s: s.exec(
            select(CircleOutbox.id).where(col(CircleOutbox.post_id).is_not(None), col(CircleOutbox.sent_at).is_(None))
        ).all()
    )
    assert unsent == []
