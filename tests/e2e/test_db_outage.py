"""PostgreSQL goes away mid-conversation: the message waits, is stored when it comes back, no error is shown."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage.db import Database
from storage.inbox import keep_updates, unhandled_updates
from storage.models import ReflectionEntry
from tests.support.botharness import running_bot
from tests.support.database import using_postgres
from tests.support.factories import DomainChat, send_week
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(not using_postgres(), reason="a database server to take away: PostgreSQL only")


async def test_a_database_outage_delays_but_loses_nothing(database_url: str, env: Env, cohort, alice) -> None:
    setup = Database(database_url)
    chat = DomainChat(setup, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(setup, env, cohort, 1)
    setup.close()
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        db = Database(proxied, retry_for=30.0)
        try:
            async with BotAPIEmulator() as emu, running_bot(emu, db, env):
                student = emu.user(alice.telegram_id, alice.first_name)
                await student.say("A woman on the ward who kept apologising for being there.")
                proxy.down()
                after = len(student.messages())
                student.send_text("Sad, and a bit helpless, because there was little I could do for her.")
                await asyncio.sleep(2.0)  # the database is away; the message waits
                assert len(student.messages()) == after
                proxy.up()
                reply = await student.wait_for_message(after=after, timeout=30)
                assert "3 · The patient" in reply["plain_text"]
                assert not any("something went wrong" in (m["plain_text"] or "") for m in student.messages())
        finally:
            db.close()
    check = Database(database_url)
    steps = check.call(lambda s: [e.step for e in s.exec(select(ReflectionEntry)).all()])
    check.close()
    assert steps == ["encounter", "felt"]


async def test_updates_a_crash_left_in_the_inbox_are_handled_once_the_database_is_back(
    database_url: str, env: Env, cohort, alice, caplog: pytest.LogCaptureFixture
) -> None:
    setup = Database(database_url)
    DomainChat(setup, env, alice).join_and_consent(cohort.invite_code)
    send_week(setup, env, cohort, 1)
    who = {"id": alice.telegram_id, "first_name": alice.first_name}
    text = "A man who kept asking for his wife."
    left = {
        "update_id": 7,
        "message": {
            "message_id": 7,
            "date": int(time.time()),
            "chat": {**who, "type": "private"},
            "from": {**who, "is_bot": False},
            "text": text,
        },
    }
    setup.call(keep_updates, [(7, json.dumps(left))], now=datetime.now(UTC))  # stored, confirmed, then the crash
    setup.close()
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        db = Database(proxied, retry_for=30.0)
        try:
            async with BotAPIEmulator() as emu, running_bot(emu, db, env):
                proxy.down()  # before the poller's first look at the inbox
                student = emu.user(alice.telegram_id, alice.first_name)
                await asyncio.sleep(1.0)
                assert any(getattr(r, "event", None) == "inbox_unavailable" for r in caplog.records)
                proxy.up()
                reply = await student.wait_for_message(after=0, timeout=15)  # read again within RESUME_RETRY
                assert "2 · What I felt" in reply["plain_text"]
        finally:
            db.close()
    check = Database(database_url)
    steps = check.call(lambda s: [e.text for e in s.exec(select(ReflectionEntry)).all()])
    inbox = check.call(unhandled_updates)
    check.close()
    assert steps == [text] and inbox == []
