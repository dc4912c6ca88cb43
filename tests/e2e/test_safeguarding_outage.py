"""The support reply to a message at risk reaches the student when the database can't store the alert.

Two real failures: PostgreSQL taken away behind a TCP proxy (the message waits, the reply doesn't), and a SQLite
database that refuses the alert's row (as a full disk does). Either way the student gets the support reply, the
lead is sent the alert directly with the reason it isn't stored, and once the database takes it again the alert
is stored and the facilitator gets their copy through the outbox.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.core.context import Env
from bot.core.safety.safeguarding import alert_rows
from bot.core.safety.safeguarding_rules import check
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.safety_jobs import UNSTORED_KEY, deliver_now, store_unstored
from storage import repo
from storage.db import Database
from storage.models import Role
from storage.safety_models import SafeguardingAlert
from tests.support.botharness import has, running_bot
from tests.support.database import using_postgres
from tests.support.factories import DomainChat, send_week
from tests.support.tcp_proxy import TcpProxy

FRAN, LEAD = 2001, 3001
SUPPORT = "thank you for telling me this"


def _setup(db: Database, env: Env, cohort, alice) -> None:
    env.safeguarding_lead_id = LEAD
    db.call(lambda s: repo.grant_role(session=s, telegram_id=FRAN, role=Role.FACILITATOR, cohort_id=cohort.id))
    DomainChat(db, env, alice).join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)


@pytest.mark.skipif(not using_postgres(), reason="a database server to take away: PostgreSQL only")
async def test_with_postgresql_away_the_support_reply_arrives_and_the_alert_follows(
    database_url: str, env: Env, cohort, alice
) -> None:
    setup = Database(database_url)
    _setup(setup, env, cohort, alice)
    setup.close()
    url = make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        db = Database(proxied, retry_for=30.0)
        try:
            async with BotAPIEmulator() as emu, running_bot(emu, db, env):
                fran, lead = emu.user(FRAN, "Fran"), emu.user(LEAD, "Lee")
                student = emu.user(alice.telegram_id, alice.first_name)
                proxy.down()
                student.send_text("I want to kill myself")
                support = await student.wait_for_message(has(SUPPORT), after=0, timeout=10)
                assert "116 123" in support["plain_text"]
                told = await lead.wait_for_message(has("not stored yet"), after=0, timeout=10)
                assert "Alice" in told["plain_text"] and "kill" not in told["plain_text"]
                assert "did not answer within 3 seconds" in told["plain_text"]
                assert not fran.messages()  # the facilitators can't be known without the database
                proxy.up()  # back within the retry window: the message is stored as usual
                await fran.wait_for_message(has("Safeguarding alert #1"), after=0, timeout=30)
                await student.wait_for_message(has("2 · What I felt"), after=0, timeout=10)
                assert sum(SUPPORT in (m["plain_text"] or "") for m in student.messages()) == 1  # not twice
        finally:
            db.close()
    check = Database(database_url)
    [alert] = check.call(lambda s: list(s.exec(select(SafeguardingAlert)).all()))
    [row] = check.call(alert_rows)
    check.close()
    assert sorted(alert.notified) == [FRAN, LEAD]  # the lead directly, the facilitator once it was stored
    assert {(d["telegram_id"], d["reason"]) for d in row["deliveries"]} == {(LEAD, "outage"), (FRAN, "facilitator")}


async def test_a_database_that_refuses_the_alert_still_lets_the_support_reply_through(
    db: Database, env: Env, cohort, alice
) -> None:
    _setup(db, env, cohort, alice)
    full = (
        "CREATE TRIGGER disk_full BEFORE INSERT ON safeguarding_alerts BEGIN SELECT RAISE(FAIL, "
        "'database or disk is full'); END"
        if not using_postgres()
        else None
    )
    if full is None:  # PostgreSQL: the same refusal from a trigger function
        full = (
            "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'could not extend file: "
            "No space left on device'; END $$ LANGUAGE plpgsql; CREATE TRIGGER disk_full BEFORE INSERT ON "
            "safeguarding_alerts FOR EACH ROW EXECUTE FUNCTION disk_full()"
        )
    db.call(lambda s: s.execute(text(full)))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        fran, lead = emu.user(FRAN, "Fran"), emu.user(LEAD, "Lee")
        student = emu.user(alice.telegram_id, alice.first_name)
        student.send_text("I want to kill myself")
        support = await student.wait_for_message(has(SUPPORT), after=0, timeout=10)
        assert "Samaritans" in support["plain_text"]
        told = await lead.wait_for_message(has("not stored yet"), after=0, timeout=10)
        assert "the database refused it" in told["plain_text"] and "kill" not in told["plain_text"]
        sorry = await student.wait_for_message(has("couldn't save that last message"), after=0, timeout=10)
        assert "Traceback" not in sorry["plain_text"]
        assert len(app.bot_data[UNSTORED_KEY].waiting) == 1
        assert await store_unstored(app) == 0  # still refused: kept
        db.call(
            lambda s: s.execute(
                text("DROP TRIGGER disk_full" + (" ON safeguarding_alerts" if using_postgres() else ""))
            )
        )
        assert await store_unstored(app) == 1
        await deliver_now(app)
        await fran.wait_for_message(has("Safeguarding alert #"), after=0, timeout=10)  # (PostgreSQL spent ids)
    [row] = db.call(alert_rows)
    assert [(d["telegram_id"], d["role"], d["reason"], d["state"]) for d in row["deliveries"]] == [
        (LEAD, "lead", "outage", "sent"),
        (FRAN, "facilitator", "facilitator", "sent"),
    ]
    assert row["rule"] == check("I want to kill myself").rule
