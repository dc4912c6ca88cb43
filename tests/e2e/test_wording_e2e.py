"""Words that must match what happened, through the real Application and the Bot API emulator."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import ManualClock
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage import repo
from storage.db import Database
from storage.models import Cohort, Role
from tests.support.botharness import button, has, join, running_bot
from tests.support.factories import send_week

REPLIES = [
    "A woman in clinic who cried when I took her blood pressure.",
    "Out of my depth.",
    "Maybe relieved that someone had time.",
    "I stayed longer than I meant to.",
    "Time is a kind of care.",
]


async def test_done_with_nothing_written_does_not_say_it_was_saved(db: Database, env: Env, cohort: Cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        closing = (await anna.say("/done"))["plain_text"]
        assert "nothing was written, and that's fine too" in closing
        assert "saved" not in closing


async def test_delete_counts_the_weeks_that_hold_replies(
    db: Database, env: Env, cohort: Cohort, clock: ManualClock
) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        for text in REPLIES:
            await anna.say(text)
        for week in (2, 3):  # two more prompts arrive; she doesn't answer them
            clock.advance(timedelta(weeks=1))
            send_week(db, env, cohort, week)
        summary = (await anna.say("/delete"))["plain_text"]
        assert "• 5 reflection replies over 1 week, with every edit" in summary


async def test_an_acknowledged_alert_says_so_instead_of_asking(db: Database, env: Env, cohort: Cohort) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=2001, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        fran = emu.user(2001, "Fran")
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        await anna.say("I don't want to be alive anymore")
        alert = await fran.wait_for_message(has("Safeguarding alert #1"), after=0)
        assert "Tap Acknowledge (or send /ack 1)" in alert["plain_text"]
        await fran.click(alert["message_id"], button(alert, "Acknowledge"))
        await fran.wait_for_message(has("alert #1 is acknowledged"), after=0)
        edited = next(m for m in fran.messages() if m["message_id"] == alert["message_id"])
        assert "Tap Acknowledge" not in edited["plain_text"]
        assert "✓ Acknowledged by you at Mon 05 Jan 10:00 GMT." in edited["plain_text"]
        assert "Safeguarding alert #1" in edited["plain_text"] and not edited["reply_markup"]


async def test_stats_show_declined_apart_from_invited(db: Database, env: Env, cohort: Cohort) -> None:
    db.call(lambda s: repo.grant_role(session=s, telegram_id=2001, role=Role.FACILITATOR, cohort_id=cohort.id))
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        await join(emu, cohort)
        ben = emu.user(1002, "Ben")
        await ben.say(f"/start {cohort.invite_code}")
        choice = await ben.wait_for_message(has("Choice 1"), after=0)
        await ben.click(choice["message_id"], button(choice, "No, not now"))
        send_week(db, env, cohort, 1)
        fran = emu.user(2001, "Fran")
        table = (await fran.say("/stats"))["plain_text"]
        lines = table.splitlines()
        assert lines[1].split() == [
            "Week",
            "Invited",
            "Consented",
            "Prompted",
            "Replied",
            "Completed",
            "Unreachable",
            "Declined",
        ]
        assert lines[2].split() == ["1", "1", "1", "1", "0", "0", "0", "1"]
        assert "Declined: said no to taking part" in table


async def test_a_patients_name_gets_one_gentle_note_a_week(
    db: Database, env: Env, cohort: Cohort, clock: ManualClock
) -> None:
    from sqlmodel import select

    from storage.models import ReflectionEntry

    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = await join(emu, cohort)
        send_week(db, env, cohort, 1)
        after = len(anna.messages())
        anna.send_text("I met Mrs Patel on the ward; she had been waiting all day.")
        await anna.wait_for_message(has("2 · What I felt"), after=after)
        got = [m["plain_text"] for m in anna.messages()[after:]]
        assert got[0] == (
            "A small note: “Patel” looks like a name. It stays in your reflection, and names "
            "are removed before anything is used for research — next time you might leave it out, "
            "or say “the patient”."
        )
        assert "2 · What I felt" in got[1]
        after = len(anna.messages())
        anna.send_text("Worried, like when Mr Okafor shouted at the nurse.")
        await anna.wait_for_message(has("3 ·"), after=after)
        assert not any("looks like a name" in m["plain_text"] for m in anna.messages()[after:])  # once a week
        clock.advance(timedelta(weeks=1))
        send_week(db, env, cohort, 2)  # week 2's conversation opens
        after = len(anna.messages())
        anna.send_text("Mr Okafor again, on the day unit.")
        await anna.wait_for_message(has("2 · What I felt"), after=after)
        assert "“Okafor” looks like a name" in anna.messages()[after]["plain_text"]
    stored = db.call(lambda s: [e.text for e in s.exec(select(ReflectionEntry).order_by(ReflectionEntry.id))])
    assert stored[0] == "I met Mrs Patel on the ward; she had been waiting all day."  # kept as written


def test_the_name_note_is_worded_in_prompts_and_off_when_emptied(
    db: Database, env: Env, cohort: Cohort, tmp_path, monkeypatch
) -> None:
    from sqlmodel import select

    from bot.core import templates
    from bot.core.privacy import name_nudge
    from storage.models import AuditEvent
    from tests.support.factories import DomainChat
    from tests.support.scheduling_helpers import join as join_domain

    folder = tmp_path / "prompts"
    folder.mkdir()
    monkeypatch.setattr(name_nudge, "render", lambda name, **kw: templates.render(name, root=folder, **kw))
    first, second = join_domain(db, env, cohort, 6400, 2)
    send_week(db, env, cohort, 1)
    (folder / name_nudge.TEMPLATE).write_text(
        "Names like {{ found }} are taken out before research, {{ first_name }}.", encoding="utf-8"
    )
    said = [r.text for r in DomainChat(db, env, first, next_message_id=500).say("I met Mrs Patel on the ward.")]
    assert said[0] == f"Names like Patel are taken out before research, {first.first_name}."
    (folder / name_nudge.TEMPLATE).write_text("{#- off -#}\n", encoding="utf-8")
    templates.environment.cache_clear()  # Jinja2 would notice the file changed; don't rely on its mtime check
    said = [r.text for r in DomainChat(db, env, second, next_message_id=600).say("I met Mrs Patel on the ward.")]
    assert not any("Patel" in text for text in said) and said  # no note, but the conversation goes on
    noted = db.call(
        lambda s: [e.actor for e in s.exec(select(AuditEvent).where(AuditEvent.action == name_nudge.ACTION))]
    )
    assert noted == [first.actor]  # only the note that was sent is recorded
