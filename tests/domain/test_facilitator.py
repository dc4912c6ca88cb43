"""The facilitator console through the domain and a real database, and its CLI: roles checked on every command,
guided dialogues that survive a restart, schedules, previews, send-now, pause and resume, announcements and
stats — and never a word a student wrote."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.chat import commands, student, welcome
from bot.cli import app as cli_app
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
from storage.models import AuditEvent, Cohort, CohortStatus, Enrolment, Role, RoleGrant
from tests.support.factories import DomainChat, send_week
from tests.support.scheduling_helpers import join, tick, utc, wired

REPLIES = [
    "A young man admitted after an overdose who joked with everyone but me.",
    "Shut out, and then guilty for minding.",
    "Perhaps ashamed that a student his own age was seeing him like this.",
    "We circled each other; I stopped pushing and he asked about my course.",
    "Being the same age as a patient is something to notice, not hide.",
]
RUTH = Person(telegram_id=9001, first_name="Ruth", username="dr_ruth")
SAM = Person(telegram_id=9002, first_name="Sam")


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
        replies = self._got(self.db.call(student.text, self.env, self.person, body, chat_id=self.person.telegram_id,
                                         message_id=len(self.seen) + 1))
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


def audit(db: Database, action: str) -> list[AuditEvent]:
    return db.call(lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == action)).all()))


def get_cohort(db: Database, cohort_id: int) -> Cohort:
    return db.call(lambda s: s.get(Cohort, cohort_id))


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
    for name, args in [("stats", str(other.id)), ("schedule", f"{other.id} time 08:00"), ("preview", f"1 {other.id}"),
                       ("sendnow", f"1 {other.id}"), ("pause", str(other.id)), ("announce", f"{other.id} hi")]:
        said = ruth.text(name, args)
        assert said == roles.REFUSAL, (name, said)
    assert get_cohort(db, other.id).status == CohortStatus.OPEN and get_cohort(db, other.id).send_time == time(9)
    assert "GP Spring" not in ruth.text("cohorts")
    admin = Console(db, Env(clock=env.clock, bot_username=env.bot_username, admin_ids=frozenset({SAM.telegram_id}),
                            research=research_queue), SAM)
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


def test_newcohort_asks_one_question_at_a_time_survives_a_restart_and_creates_the_cohort(db, database_url, env,
                                                                                         cohort, ruth):
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
    assert [e.detail["changed"] for e in audit(db, "cohort.schedule")] == [["time 08:30"],
                                                                            ["quiet hours 22:00–07:00"]]


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
            "Week 2 of <b>Psychiatry Jan 2026</b>: sent 3, 1 unreachable (they blocked the bot).")
        assert "(3 had it already" in ruth.text("sendnow", "2")
        assert (await w.dispatcher.run_once(cohort_id=cohort.id)).sent == 0
        assert all(w.texts(i) == [w.texts(ids[0])[0].replace("Student0", f"Student{n}")]
                   for n, i in enumerate(ids[:3]))
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
            assert w.texts(p.telegram_id) == ["A message from Ruth, facilitator of Psychiatry Jan 2026:\n\n"
                                              "Thursday's group moves to <room 4> & starts at 2."]
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
    assert rows[0] == ["Week", "Invited", "Consented", "Prompted", "Replied", "Completed", "Unreachable",
                       "Declined"]
    # Nia said no to taking part: declined, not invited
    assert rows[1:] == [["1", "4", "4", "3", "2", "1", "1", "1"], ["2", "4", "4", "3", "0", "0", "1", "1"]]
    assert chart.attachment is not None and chart.attachment.kind == "photo"
    assert chart.attachment.content.startswith(b"\x89PNG")

    everything = [ruth.cmd(name, args) for name, args in [
        ("cohorts", ""), ("schedule", ""), ("preview", "1"), ("stats", ""), ("announce", ""), ("pause", ""),
        ("resume", "")]]
    shown = " ".join(r.text for replies in everything for r in replies) + " ".join(r.text for r in ruth.seen)
    assert all(reply[:30] not in shown for reply in REPLIES)
    assert "A young man" not in json.dumps([e.detail for e in db.call(lambda s: s.exec(select(AuditEvent)).all())])


def test_stats_before_the_first_prompt_say_when_it_comes(db, env, cohort, ruth, clock):
    clock.set(utc(2026, 1, 1))
    assert "hasn't started yet: not started · week 1 comes Monday 5 January at 09:00" in ruth.text("stats")


# ---------------------------------------------------------------- the command line


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """Run ``balint ...`` on the test database; returns (exit code, stdout, stderr)."""
    from storage.migrate import stamp

    stamp(database_url)  # made by create_all: tell Alembic it is current
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli_app, list(args))
        return result.exit_code, result.stdout, result.stderr

    yield run
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_cli_grants_lists_and_revokes_the_facilitator_role(db, env, cohort, cli):
    code, out, _ = cli("role", "grant", "facilitator", "--telegram-id", "9001", "--cohort", str(cohort.id))
    assert (code, out) == (0, f"Telegram user 9001 is now a facilitator of Psychiatry Jan 2026 (id {cohort.id}).\n")
    code, out, _ = cli("role", "list", "--json")
    assert [(r["telegram_id"], r["role"], r["cohort"]) for r in json.loads(out)] == [
        (9001, "facilitator", "Psychiatry Jan 2026")]
    assert db.call(lambda s: roles.can_facilitate(s, env, RUTH, cohort.id))
    assert cli("role", "revoke", "facilitator", "--telegram-id", "9001", "--cohort", str(cohort.id))[0] == 0
    assert db.call(lambda s: list(s.exec(select(RoleGrant)).all())) == []
    code, _, err = cli("role", "grant", "facilitator", "--telegram-id", "9001", "--cohort", "Nope")
    assert (code, err.splitlines()[-1]) == (2, "Error: no cohort 'Nope': `balint cohort list` shows ids and names")


def test_cli_prints_the_facilitator_link(db, cohort, cli):
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--json")
    assert code == 0 and json.loads(out)["facilitator_link"] == f"https://t.me/YOUR_BOT?start=f-{cohort.facilitator_code}"


def test_cli_shows_and_changes_a_schedule_in_one_step(db, cohort, cli):
    code, out, _ = cli("cohort", "schedule", str(cohort.id), "--day", "wed", "--time", "18:00", "--tz",
                       "America/New_York", "--quiet", "22:00-07:00", "--weeks", "4")
    assert code == 0, out
    assert out.splitlines()[0] == "Changed: 4 weeks, day wed, time 18:00, time zone America/New_York, quiet hours " \
                                  "22:00–07:00."
    assert "week  1: Wednesday 7 January at 18:00 (2026-01-07T23:00:00Z)" in out
    c = get_cohort(db, cohort.id)
    assert (c.weeks, c.weekday, c.send_time, c.timezone) == (4, 2, time(18), "America/New_York")
    code, out, _ = cli("cohort", "schedule", str(cohort.id), "--json")
    assert json.loads(out)["quiet"] == "22:00–07:00" and len(json.loads(out)["due"]) == 4
    code, _, err = cli("cohort", "schedule", str(cohort.id), "--tz", "Mars/Olympus")
    assert (code, err.splitlines()[-1]) == (
        2, "Error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/London")
    code, _, err = cli("cohort", "schedule", str(cohort.id), "--quiet", "late")
    assert code == 2 and err.splitlines()[-1].startswith("Error: quiet hours 'late' are not START-END")


def test_cli_pauses_and_resumes_and_prints_stats(db, env, cohort, cli, tmp_path):
    assert cli("cohort", "pause", str(cohort.id))[1] == "Psychiatry Jan 2026 paused.\n"
    assert get_cohort(db, cohort.id).status == CohortStatus.PAUSED
    assert cli("cohort", "resume", "Psychiatry Jan 2026")[1] == "Psychiatry Jan 2026 resumed.\n"
    join(db, env, cohort, 5800, 2)
    send_week(db, env, cohort, 1)
    code, out, _ = cli("stats", "--cohort", str(cohort.id), "--json", "--chart", str(tmp_path / "c.png"))
    weeks = json.loads(out)["weeks"]  # the command line runs on the real clock: the whole placement is past
    assert code == 0 and weeks[0] == {"week": 1, "invited": 2, "consented": 2, "prompted": 2, "replied": 0,
                                      "completed": 0, "unreachable": 0, "declined": 0}
    assert [w["week"] for w in weeks] == [1, 2, 3, 4, 5, 6]
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = cli("stats", "--cohort", str(cohort.id))
    assert out.splitlines()[1].split() == ["Week", "Invited", "Consented", "Prompted", "Replied", "Completed",
                                           "Unreachable", "Declined"]


def test_cli_stats_count_a_week_sent_before_the_first_day(db, env, cli, tmp_path):
    """`balint stats` and its chart count what was delivered and answered, whatever the schedule says (issue 16)."""
    from datetime import UTC, datetime

    from bot.core.student.enrolment import CohortIn, create_cohort

    start = datetime.now(UTC).date() + timedelta(days=40)  # the command line runs on the real clock: not yet due
    early = db.call(create_cohort, CohortIn(name="Paeds later", start_date=start, weeks=6, weekday=start.weekday(),
                                            send_time=time(9, 0), timezone="Europe/London"))
    writer, _ = join(db, env, early, 6300, 2)
    send_week(db, env, early, 1)  # as `balint prompt send-now` does
    chat = DomainChat(db, env, writer, next_message_id=900)
    for text in REPLIES:
        chat.say(text)
    code, out, err = cli("stats", "--cohort", "Paeds later", "--json", "--chart", str(tmp_path / "early.png"))
    assert code == 0, err
    assert json.loads(out)["weeks"] == [{"week": 1, "invited": 2, "consented": 2, "prompted": 2, "replied": 1,
                                         "completed": 1, "unreachable": 0, "declined": 0}]
    assert (tmp_path / "early.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = cli("stats", "--cohort", "Paeds later")
    assert "No prompt has fallen due" not in out and out.splitlines()[2].split() == ["1", "2", "2", "2", "1", "1",
                                                                                     "0", "0"]
    code, out, _ = cli("cohort", "schedule", "Paeds later")
    [week1] = [line for line in out.splitlines() if "week  1:" in line]
    assert week1.startswith("✓ week  1:") and " — sent early, " in week1, out  # the schedule view shows it too


def test_cli_pause_never_touches_a_student_enrolment(db, env, cohort, cli):
    join(db, env, cohort, 5900, 1)
    cli("cohort", "pause", str(cohort.id))
    assert db.call(lambda s: [e.paused for e in s.exec(select(Enrolment)).all()]) == [False]
    assert [e.actor for e in audit(db, "cohort.pause")] == ["cli"]


def test_role_enum_matches_what_the_link_grants(db, env, cohort, ruth):
    grants = db.call(lambda s: list(s.exec(select(RoleGrant)).all()))
    assert [(g.telegram_id, g.role, g.cohort_id) for g in grants] == [(RUTH.telegram_id, Role.FACILITATOR,
                                                                        cohort.id)]


def test_drafts_expire_after_a_day(db, env, cohort, ruth, clock):
    ruth.cmd("newcohort")
    clock.advance(timedelta(hours=25))
    assert "open the invite link" in ruth.say("Psychiatry March")
