"""One chat waiting on Telegram (429s) holds up no one else; one chat's updates stay in order. Polling and webhook."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from sqlmodel import select

from bot.core.context import Env, Person
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.runner import serve
from storage.db import Database
from storage.models import ReflectionEntry
from tests.support.botharness import running_bot, settings_for
from tests.support.factories import DomainChat, send_week
from tests.support.ops_support import free_port

STRANGER = 8001
REPLIES = [
    "A man on the ward who kept asking for his wife.",
    "Helpless, then oddly calm.",
    "Perhaps that nobody was listening to him.",
    "When I sat down, he stopped shouting.",
]


def flood_stranger(emu: BotAPIEmulator) -> None:
    """Every answer to the stranger meets a per-chat 429 (retry after 3 s): their lane waits ~6 s."""
    emu.fail_next("sendMessage", chat_id=STRANGER, error_code=429, retry_after=3, times=3)


def steps(db: Database) -> list[str]:
    return db.call(lambda s: [e.text for e in s.exec(select(ReflectionEntry).order_by(ReflectionEntry.id)).all()])


async def test_polling_a_rate_limited_chat_does_not_hold_up_another_student(
    db: Database, env: Env, cohort, alice: Person
) -> None:
    DomainChat(db, env, alice).join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        flood_stranger(emu)
        stranger, student = emu.user(STRANGER, "Stranger"), emu.user(alice.telegram_id, alice.first_name)
        stranger.send_text("hello? anyone?")
        await asyncio.sleep(0.5)  # the stranger's update is in hand, its reply waiting out the 429
        began = time.monotonic()
        reply = await student.say(REPLIES[0], timeout=10)
        took = time.monotonic() - began
        assert "2 · What I felt" in reply["plain_text"]
        assert took < 1.0, f"the student waited {took:.2f} s behind the rate-limited chat"
        # one chat's updates in order, sent without waiting for each answer
        for text in REPLIES[1:]:
            student.send_text(text)
        await student.wait_for_message(lambda m: "5 · " in (m["plain_text"] or ""), timeout=10, after=0)
    assert steps(db) == REPLIES


def update(update_id: int, person: Person, text: str) -> dict[str, Any]:
    who = {"id": person.telegram_id, "first_name": person.first_name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {**who, "type": "private"},
            "from": {**who, "is_bot": False},
        },
    }


async def test_webhook_a_rate_limited_chat_does_not_hold_up_another_and_order_holds(
    db: Database, env: Env, cohort, alice: Person
) -> None:
    DomainChat(db, env, alice).join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    port, secret = free_port(), "s3cret-token-for-tests"
    url = f"http://127.0.0.1:{port}/telegram"
    stranger = Person(telegram_id=STRANGER, first_name="Stranger")
    async with BotAPIEmulator() as emu:
        emu.user(STRANGER, "Stranger")
        emu.user(alice.telegram_id, alice.first_name)
        settings = settings_for(
            emu, db, webhook_url=url, webhook_port=port, webhook_secret_token=secret, health_port=free_port()
        )
        stop = asyncio.Event()
        server = asyncio.create_task(serve(settings, db, env, webhook=True, stop=stop))
        try:
            await emu.wait_until(lambda: emu.webhook is not None, 10, what="setWebhook")
            flood_stranger(emu)
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with aiohttp.ClientSession() as http:

                async def post(body: dict[str, Any]) -> float:
                    began = time.monotonic()
                    async with http.post(url, json=body, headers=headers) as r:
                        assert r.status == 200
                    return time.monotonic() - began

                # as Telegram does, on parallel connections: the stranger first, then four replies of one student
                slow = asyncio.create_task(post(update(100, stranger, "hello? anyone?")))
                await asyncio.sleep(0.3)
                fast = [asyncio.create_task(post(update(101 + i, alice, text))) for i, text in enumerate(REPLIES)]
                took = await asyncio.gather(*fast)
                assert max(took) < 1.0, f"the student's updates waited {max(took):.2f} s"
                assert not slow.done()  # the stranger's lane is still waiting out its 429s
                await slow
        finally:
            stop.set()
            await server
    assert steps(db) == REPLIES
