"""The one send-now service: a facilitator's /sendnow and ``balint prompt send-now`` queue, audit, count and refuse
alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator
from bot.core.scheduling import send_now
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram import broadcast
from storage.db import Database
from storage.models import AuditEvent, Cohort
from tests.support.cli_support import balint
from tests.support.factories import DomainChat
from tests.support.scheduling_helpers import deliveries, join, wired

RUTH = Person(telegram_id=9001, first_name="Ruth")


def audit_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every send-now audit row, as what it says (actor, action, cohort, week), oldest first."""
    return db.call(
        lambda s: [
            (e.actor, e.action, e.cohort_id, e.detail)
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.action == send_now.AUDIT_ACTION).order_by(AuditEvent.id)
            ).all()
        ]
    )


async def test_chat_and_cli_send_now_leave_the_same_audit_row_and_count_from_the_database(
    db: Database, env: Env, cohort: Cohort
) -> None:
    ids = [p.telegram_id for p in join(db, env, cohort, 5200, 3)]
    DomainChat(db, env, RUTH).start(f"f-{cohort.facilitator_code}")  # a facilitator of the cohort

    async with wired(db, env) as w:  # the chat path: the bot's dispatcher sends, the summary counts the rows
        _, queued = db.call(facilitator.send_now, env, RUTH, "2")
        assert queued is not None
        await w.dispatcher.run_once(cohort_id=cohort.id)
        assert facilitator.sent_summary(queued, db.call(send_now.tally, queued)).text == (
            "Week 2 of <b>Psychiatry Jan 2026</b>: sent 3."
        )

    async with BotAPIEmulator() as emu:  # the CLI path, as `balint prompt send-now` runs it: it sends itself
        settings = Settings(
            _env_file=None,
            telegram_bot_token=emu.token,  # type: ignore[call-arg]
            telegram_api_base_url=emu.base_url,
            database_url=db.url,
        )
        done = await broadcast.send_now(settings, db, env, str(cohort.id), 3, actor="cli:ops")
        assert (done["week"], done["sent"], done["already"], done["failed"]) == (3, 3, 0, 0)
        assert all(emu.messages_to(i) for i in ids)
        again = await broadcast.send_now(settings, db, env, cohort.name, 3, actor="cli:ops")
        assert (again["sent"], again["already"]) == (0, 3)  # counted from the rows: nobody gets it twice

    assert audit_rows(db) == [
        ("telegram:9001", "facilitator.sendnow", cohort.id, {"week": 2}),
        ("cli:ops", "facilitator.sendnow", cohort.id, {"week": 3}),
        ("cli:ops", "facilitator.sendnow", cohort.id, {"week": 3}),
    ]


def test_the_command_line_refuses_a_paused_cohort_with_the_chats_words_and_queues_nothing(
    db: Database, env: Env, cohort: Cohort, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(db, env, cohort, 5200, 3)
    DomainChat(db, env, RUTH).start(f"f-{cohort.facilitator_code}")
    code, out, err = balint("cohort", "pause", str(cohort.id))
    assert (code, out, err) == (0, "Psychiatry Jan 2026 paused.\n", "")

    said, queued = db.call(facilitator.send_now, env, RUTH, "2")  # the chat's /sendnow
    assert queued is None
    assert [r.text for r in said] == [
        f"<b>Psychiatry Jan 2026</b> is paused, so nothing can go out. /resume {cohort.id} opens it again."
    ]

    # the command line: a token, but a Bot API nobody answers (port 9), so a send that got through would fail loudly
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:not-a-real-token")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    code, out, err = balint("prompt", "send-now", "--cohort", "Psychiatry Jan 2026", "--week", "2")
    assert (code, out) == (2, "")
    assert err == (
        f"Psychiatry Jan 2026 is paused, so nothing can go out. balint cohort resume {cohort.id} opens it again.\n"
    )  # the chat's sentence, naming the command line's own way to reopen it
    code, _, err = balint("prompt", "send-now", "--cohort", str(cohort.id), "--week", "99")  # refused before the week
    assert code == 2 and err.startswith("Psychiatry Jan 2026 is paused")

    assert deliveries(db, cohort.id) == []  # nothing queued
    assert audit_rows(db) == []  # and, as in chat, no send-now audit row for a refusal
