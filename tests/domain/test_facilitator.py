"""The facilitator console through the domain and a real database: roles checked on every command, guided
dialogues that survive a restart, schedules, previews, send-now, pause and resume, announcements and stats — and
never a word a student wrote. Its command line is in test_facilitator_cli."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from sqlmodel import select

from bot.chat import commands, student, welcome
from bot.core import roles
from bot.core.context import Env, Person
from bot.core.delivery.outbox import drain
from bot.core.facilitator import facilitator, facilitator_announce
from bot.core.replies import Reply
from bot.core.scheduling import send_now
from bot.research import queue as research_queue
from bot.telegram.facilitator_handlers import COMMANDS
from storage.db import Database
from storage.facilitator_models import FacilitatorDraft
from storage.models import AuditEvent, Cohort, CohortStatus, Role, RoleGrant
from tests.support.facilitator_support import REPLIES, RUTH, SAM, audit, get_cohort
from tests.support.factories import DomainChat, send_week
from tests.support.scheduling_helpers import join, tick, utc, wired


@dataclass
class Console:
    """A facilitator's chat with the domain: commands, typed answers, buttons."""

    db: Database
    env: Env
    person: Person
    seen: list[Reply] = field(default_factory=list)

    def _got(self, replies: list[Reply]) -> list[Reply]:
        self.seen.extend(replies)
        return replies

    def start(self, payload: str) -> str:
        return self._got(self.db.call(welcome.start, self.env, self.person, payload))[0].text

    def cmd(self, name: str, args: str = "") -> list[Reply]:
        if name in ("pause", "resume"):  # routed by the student entry point, as in chat
            return self._got(self.db.call(student.command, self.env, self.person, name, args))
        if name == "sendnow":
            return self._got(self.db.call(facilitator.send_now, self.env, self.person, args)[0])
        return self._got(self.db.call(COMMANDS[name], self.env, self.person, args))

    def text(self, name: str, args: str = "") -> str:
        return "\n".join(r.text for r in self.cmd(name, args))

    def say(self, body: str) -> str:
        replies = self._got(
            self.db.call(
                student.text,
                self.env,
                self.person,
                body,
                chat_id=self.person.telegram_id,
                message_id=len(self.seen) + 1,
            )
        )
        return "\n".join(r.text for r in replies)

    def press(self, label: str) -> str:
        for reply in reversed(self.seen):
            for row in reply.buttons:
                for b in row:
                    if b.label == label:
                        outcome = self.db.call(student.callback, self.env, self.person, b.data)
                        self._got(outcome.replies)
                        return "\n".join([outcome.toast or "", *(r.text for r in outcome.replies)])
        raise AssertionError(f"no button {label!r}")


@pytest.fixture
def ruth(db: Database, env: Env, cohort: Cohort) -> Console:
    """A facilitator of the test cohort, by the facilitator link."""
    console = Console(db, env, RUTH)
    console.start(f"f-{cohort.facilitator_code}")
    return console


# ---------------------------------------------------------------- the role


def test_the_facilitator_link_grants_the_role_for_that_cohort_and_is_audited(db, env, cohort):
    console = Console(db, env, RUTH)
    said = console.start(f"f-{cohort.facilitator_code}")
    assert "you're now a facilitator of <b>Psychiatry Jan 2026</b>" in said and "/stats" in said
    assert db.call(lambda s: roles.can_facilitate(s, env, RUTH, cohort.id))
    assert [(e.actor, e.detail["via"]) for e in audit(db, "role.grant")] == [("telegram:9001", "facilitator link")]
    assert "You're already a facilitator" in console.start(f"f-{cohort.facilitator_code.lower()}")
    assert "isn't valid" in Console(db, env, SAM).start("f-NOTACODE12")
    assert not db.call(lambda s: roles.is_facilitator(s, env, SAM))


@pytest.mark.parametrize("name", ["cohorts", "newcohort", "schedule", "preview", "sendnow", "announce", "stats"])
def test_anyone_else_gets_a_polite_refusal_and_the_attempt_is_audited(db, env, cohort, name):
    said = Console(db, env, SAM).text(name, f"1 {cohort.id}" if name in ("preview", "sendnow") else "")
    assert said == roles.REFUSAL
    assert [e.detail["command"] for e in audit(db, "facilitator.refused")] == [name]


def test_a_facilitator_of_one_cohort_cannot_act_on_another(db, env, cohort, ruth):
    from bot.core.student.enrolment import CohortIn, create_cohort

    other = db.call(create_cohort, CohortIn(name="GP Spring", start_date=cohort.start_date))
    for name, args in [
        ("stats", str(other.id)),
        ("schedule", f"{other.id} time 08:00"),
        ("preview", f"1 {other.id}"),
        ("sendnow", f"1 {other.id}"),
        ("pause", str(other.id)),
        ("announce", f"{other.id} hi"),
    ]:
        said = ruth.text(name, args)
        assert said == roles.REFUSAL, (name, said)
    assert get_cohort(db, other.id).status == CohortStatus.OPEN and get_cohort(db, other.id).send_time == time(9)
    assert "GP Spring" not in ruth.text("cohorts")
    admin = Console(
        db,
        Env(
            clock=env.clock,
            bot_username=env.bot_username,
            admin_ids=frozenset({SAM.telegram_id}),
            research=research_queue,
        ),
        SAM,
    )
    assert "GP Spring" in admin.text("cohorts") and "Psychiatry Jan 2026" in admin.text("cohorts")


# ---------------------------------------------------------------- /cohorts, /newcohort, /schedule


def test_help_shows_the_facilitator_commands_only_to_facilitators(db, env, cohort, ruth):
    assert "<b>Facilitator commands</b>" in "\n".join(r.text for r in db.call(commands.help_command, env, RUTH))
    assert "Facilitator" not in "\n".join(r.text for r in db.call(commands.help_command, env, SAM))


def test_cohorts_lists_students_and_the_next_prompt(db, env, cohort, ruth):
    join(db, env, cohort, 5000, 2)
    said = ruth.text("cohorts")
    assert "<b>Psychiatry Jan 2026</b> (id 1) — open" in said.replace(f"(id {cohort.id})", "(id 1)")
    assert "2 joined, 2 taking part · week 1 of 6 · week 2 comes Monday 12 January at 09:00" in said
    assert f"?start={cohort.invite_code}" in said


def test_newcohort_asks_one_question_at_a_time_survives_a_restart_and_creates_the_cohort(
    db, database_url, env, cohort, ruth
):
    assert "What should the cohort be called?" in ruth.text("newcohort")
    assert "exists already" in ruth.say("Psychiatry Jan 2026")
    assert "first day of the placement" in ruth.say("Psychiatry Feb 2026")
    assert "That doesn't look right: date '2nd Feb' is not YYYY-MM-DD" in ruth.say("2nd Feb")
    ruth.say("2026-02-02")
    restarted = Database(database_url)  # the bot restarts mid-dialogue: the draft is in the database
    try:
        ruth.db = restarted
        assert "Which day" in ruth.say("4")
        assert "local time" in ruth.say("Tuesday")
        assert "time zone" in ruth.say("18:30")
        summary = ruth.say("America/New_York")
        assert "Starts 2026-02-02, 4 weekly prompts, tue at 18:30 (America/New_York)" in summary
        created = ruth.say("yes")
    finally:
        restarted.close()
        ruth.db = db
    new = db.call(lambda s: s.exec(select(Cohort).where(Cohort.name == "Psychiatry Feb 2026")).one())
    assert (new.weeks, new.weekday, new.send_time, new.timezone) == (4, 1, time(18, 30), "America/New_York")
    assert f"https://t.me/balint_test_bot?start={new.invite_code}" in created
    assert f"?start=f-{new.facilitator_code}" in created and "share it with care" in created
    assert db.call(lambda s: roles.can_facilitate(s, env, RUTH, new.id))
    assert db.call(lambda s: s.get(FacilitatorDraft, RUTH.telegram_id)) is None
    assert [e.actor for e in audit(db, "cohort.create")][-1] == "telegram:9001"


def test_cancel_ends_a_dialogue_and_typed_text_goes_back_to_normal(db, env, cohort, ruth):
    ruth.cmd("newcohort")
    assert ruth.text("cancel") == "Stopped — nothing was changed."
    assert ruth.text("cancel") == "There's nothing to cancel."
    assert "open the invite link" in ruth.say("Hello, is this thing on?")  # not a cohort name any more


def test_schedule_shows_every_week_and_changes_by_command_or_button(db, env, cohort, ruth):
    shown = ruth.cmd("schedule")[0]
    assert "week  2: Monday 12 January at 09:00 (2026-01-12T09:00:00Z)" in shown.text
    assert [b.label for row in shown.buttons for b in row][:3] == ["Day", "Time", "Time zone"]
    assert "Changed <b>Psychiatry Jan 2026</b>: time 08:30" in ruth.text("schedule", f"{cohort.id} time 08:30")
    assert "Quiet hours as START-END" in ruth.press("Quiet hours")
    assert "That doesn't look right" in ruth.say("late evening")
    assert "quiet hours 22:00–07:00" in ruth.say("22:00-07:00")
    assert "Nothing changed" in ruth.text("schedule", "day mon")
    c = get_cohort(db, cohort.id)
    assert (c.send_time, c.quiet_start, c.quiet_end) == (time(8, 30), time(22), time(7))
    assert [e.detail["changed"] for e in audit(db, "cohort.schedule")] == [["time 08:30"], ["quiet hours 22:00–07:00"]]


def test_a_plan_override_is_checked_before_it_is_kept(db, env, cohort, ruth):
    assert "is not in prompts/plan/" in ruth.text("schedule", "plan week9_nothing")
    assert "Changed" in ruth.text("schedule", "plan week5_what_i_carry, week1_arriving")
    assert get_cohort(db, cohort.id).plan == ["week5_what_i_carry.html.j2", "week1_arriving.html.j2"]
    assert "What I carry home" in ruth.text("preview", "1")


# ---------------------------------------------------------------- /preview, /sendnow, /pause, /resume


def test_preview_is_exactly_what_a_student_sees(db, env, cohort, ruth):
    namesake = Person(telegram_id=5100, first_name="Ruth")
    DomainChat(db, env, namesake).join_and_consent(cohort.invite_code)
    received = send_week(db, env, cohort, 1)[namesake.telegram_id]
    head, *shown = ruth.cmd("preview", "1")
    assert "Preview of week 1" in head.text and "due Monday 5 January at 09:00" in head.text
    assert [r.text for r in shown] == [r.text for r in received]
    assert [b.label for r in shown for row in r.buttons for b in row] == ["No encounter this week"]
    assert "has weeks 1 to 6; there is no week 9" in ruth.text("preview", "9")
    assert "Which week?" in ruth.text("preview")


async def test_sendnow_goes_out_through_the_dispatcher_once_per_student(db, env, cohort, ruth):
    ids = [p.telegram_id for p in join(db, env, cohort, 5200, 4)]
    async with wired(db, env) as w:
        w.emu.block_user(ids[3])
        assert "Sending week 2's prompt" in ruth.text("sendnow", "2")
        _, queued = db.call(facilitator.send_now, env, RUTH, "2")
        assert (await w.dispatcher.run_once(cohort_id=cohort.id)).sent == 3
        tally = db.call(send_now.week_tally, cohort.id, 2)
        assert facilitator.sent_summary(queued, tally).text == (
            "Week 2 of <b>Psychiatry Jan 2026</b>: sent 3, 1 unreachable (they blocked the bot)."
        )
        assert "(3 had it already" in ruth.text("sendnow", "2")
        assert (await w.dispatcher.run_once(cohort_id=cohort.id)).sent == 0
        assert all(w.texts(i) == [w.texts(ids[0])[0].replace("Student0", f"Student{n}")] for n, i in enumerate(ids[:3]))
    assert [e.detail["week"] for e in audit(db, "facilitator.sendnow")] == [2, 2, 2]


def test_pause_and_resume_mean_the_cohort_for_a_facilitator_and_themselves_for_a_student(db, env, cohort, ruth):
    assert "Paused <b>Psychiatry Jan 2026</b>" in ruth.text("pause")
    assert get_cohort(db, cohort.id).status == CohortStatus.PAUSED
    assert "already paused" in ruth.text("pause")
    assert "Resumed <b>Psychiatry Jan 2026</b>: week 1 of 6" in ruth.text("resume")

    alice = Console(db, env, Person(telegram_id=5300, first_name="Alice"))
    DomainChat(db, env, alice.person).join_and_consent(cohort.invite_code)
    assert "Paused. I won't send prompts" in alice.text("pause")  # her own prompts
    assert get_cohort(db, cohort.id).status == CohortStatus.OPEN
    assert alice.text("resume", str(cohort.id)) == roles.REFUSAL  # naming a cohort she doesn't run

    DomainChat(db, env, RUTH).join_and_consent(cohort.invite_code)  # the facilitator tries it as a student
    assert "Paused. I won't send prompts" in ruth.text("pause")
    assert "Paused <b>Psychiatry Jan 2026</b>" in ruth.text("pause", str(cohort.id))
    assert [e.actor for e in audit(db, "cohort.pause")] == ["telegram:9001", "telegram:9001"]


# ---------------------------------------------------------------- /announce


async def test_an_announcement_reaches_every_consented_student_once_after_send_is_pressed(db, env, cohort, ruth):
    taking_part = join(db, env, cohort, 5400, 3)
    DomainChat(db, env, taking_part[2]).command("pause")  # paused: still told
    declined = Person(telegram_id=5499, first_name="Dee")
    chat = DomainChat(db, env, declined)
    chat.start(cohort.invite_code)
    chat.press("No, not now")
    preview = ruth.cmd("announce", "Thursday's group moves to <room 4> & starts at 2.")
    assert "This goes to 3 students of <b>Psychiatry Jan 2026</b>" in preview[0].text
    assert "group moves to &lt;room 4&gt; &amp; starts at 2." in preview[1].text  # escaped, never markup
    async with wired(db, env) as w:
        assert (await drain(db, env, facilitator_announce.KIND, w.dispatcher)).sent == 0  # nothing before Send
        assert "Sending to 3 students" in ruth.press("Send to 3 students")
        assert ruth.press("Send to 3 students") == "Already done."
        assert (await drain(db, env, facilitator_announce.KIND, w.dispatcher)).sent == 3
        assert (await drain(db, env, facilitator_announce.KIND, w.dispatcher)).sent == 0
        for p in taking_part:
            assert w.texts(p.telegram_id) == [
                "A message from Ruth, facilitator of Psychiatry Jan 2026:\n\n"
                "Thursday's group moves to <room 4> & starts at 2."
            ]
        assert w.emu.messages_to(declined.telegram_id) == []
    assert "sent to 3 of 3" in ruth.text("announce")
    assert [e.detail["recipients"] for e in audit(db, "facilitator.announce")] == [3]


def test_only_the_author_can_send_an_announcement_and_cancel_sends_nothing(db, env, cohort, ruth):
    join(db, env, cohort, 5500, 1)
    ruth.cmd("announce", "Hello all")
    co = Console(db, env, SAM)
    co.start(f"f-{cohort.facilitator_code}")
    co.seen = ruth.seen
    assert "isn't for you" in co.press("Send to 1 student")
    assert "Cancelled — nothing was sent." in ruth.press("Cancel")
    assert "Already done." in ruth.press("Send to 1 student")


# ---------------------------------------------------------------- /stats, and no student text anywhere


async def test_stats_count_participation_per_week_and_never_show_what_anyone_wrote(db, env, cohort, ruth, clock):
    wrote_all, wrote_once, silent, blocked = join(db, env, cohort, 5600, 4)
    chat = DomainChat(db, env, Person(telegram_id=5699, first_name="Nia"))
    chat.start(cohort.invite_code)
    chat.press("No, not now")
    async with wired(db, env) as w:
        w.emu.block_user(blocked.telegram_id)
        await tick(db, env, w.dispatcher)
        writer = DomainChat(db, env, wrote_all, next_message_id=700)
        for text in REPLIES:
            writer.say(text)
        DomainChat(db, env, wrote_once, next_message_id=800).say(REPLIES[0] + " (again)")
        clock.set(utc(2026, 1, 12, 9, 0))
        await tick(db, env, w.dispatcher)
    table, chart = ruth.cmd("stats")
    rows = [line.split() for line in table.text.split("<pre>")[1].split("</pre>")[0].splitlines()]
    assert rows[0] == ["Week", "Invited", "Consented", "Prompted", "Replied", "Completed", "Unreachable", "Declined"]
    # Nia said no to taking part: declined, not invited
    assert rows[1:] == [["1", "4", "4", "3", "2", "1", "1", "1"], ["2", "4", "4", "3", "0", "0", "1", "1"]]
    assert chart.attachment is not None and chart.attachment.kind == "photo"
    assert chart.attachment.content.startswith(b"\x89PNG")

    everything = [
        ruth.cmd(name, args)
        for name, args in [
            ("cohorts", ""),
            ("schedule", ""),
            ("preview", "1"),
            ("stats", ""),
            ("announce", ""),
            ("pause", ""),
            ("resume", ""),
        ]
    ]
    shown = " ".join(r.text for replies in everything for r in replies) + " ".join(r.text for r in ruth.seen)
    assert all(reply[:30] not in shown for reply in REPLIES)
    assert "A young man" not in json.dumps([e.detail for e in db.call(lambda s: s.exec(select(AuditEvent)).all())])


def test_stats_before_the_first_prompt_say_when_it_comes(db, env, cohort, ruth, clock):
    clock.set(utc(2026, 1, 1))
    assert "hasn't started yet: not started · week 1 comes Monday 5 January at 09:00" in ruth.text("stats")


def test_role_enum_matches_what_the_link_grants(db, env, cohort, ruth):
    grants = db.call(lambda s: list(s.exec(select(RoleGrant)).all()))
    assert [(g.telegram_id, g.role, g.cohort_id) for g in grants] == [(RUTH.telegram_id, Role.FACILITATOR, cohort.id)]


def test_drafts_expire_after_a_day(db, env, cohort, ruth, clock):
    ruth.cmd("newcohort")
    clock.advance(timedelta(hours=25))
    assert "open the invite link" in ruth.say("Psychiatry March")
