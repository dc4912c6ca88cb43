"""The facilitator's command line on a real database: roles granted, listed and revoked, the facilitator link,
schedules, pause and resume, stats and their chart."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import time, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.core import roles
from storage.models import CohortStatus, Enrolment, RoleGrant
from tests.support.facilitator_support import REPLIES, RUTH, audit, get_cohort
from tests.support.factories import DomainChat, send_week
from tests.support.scheduling_helpers import join

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
        (9001, "facilitator", "Psychiatry Jan 2026")
    ]
    assert db.call(lambda s: roles.can_facilitate(s, env, RUTH, cohort.id))
    assert cli("role", "revoke", "facilitator", "--telegram-id", "9001", "--cohort", str(cohort.id))[0] == 0
    assert db.call(lambda s: list(s.exec(select(RoleGrant)).all())) == []
    code, _, err = cli("role", "grant", "facilitator", "--telegram-id", "9001", "--cohort", "Nope")
    assert (code, err.splitlines()[-1]) == (2, "Error: no cohort 'Nope': `balint cohort list` shows ids and names")


def test_cli_prints_the_facilitator_link(db, cohort, cli):
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--json")
    assert (
        code == 0 and json.loads(out)["facilitator_link"] == f"https://t.me/YOUR_BOT?start=f-{cohort.facilitator_code}"
    )


def test_cli_shows_and_changes_a_schedule_in_one_step(db, cohort, cli):
    code, out, _ = cli(
        "cohort",
        "schedule",
        str(cohort.id),
        "--day",
        "wed",
        "--time",
        "18:00",
        "--tz",
        "America/New_York",
        "--quiet",
        "22:00-07:00",
        "--weeks",
        "4",
    )
    assert code == 0, out
    assert (
        out.splitlines()[0] == "Changed: 4 weeks, day wed, time 18:00, time zone America/New_York, quiet hours "
        "22:00–07:00."
    )
    assert "week  1: Wednesday 7 January at 18:00 (2026-01-07T23:00:00Z)" in out
    c = get_cohort(db, cohort.id)
    assert (c.weeks, c.weekday, c.send_time, c.timezone) == (4, 2, time(18), "America/New_York")
    code, out, _ = cli("cohort", "schedule", str(cohort.id), "--json")
    assert json.loads(out)["quiet"] == "22:00–07:00" and len(json.loads(out)["due"]) == 4
    code, _, err = cli("cohort", "schedule", str(cohort.id), "--tz", "Mars/Olympus")
    assert (code, err.splitlines()[-1]) == (
        2,
        "Error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/London",
    )
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
    assert code == 0 and weeks[0] == {
        "week": 1,
        "invited": 2,
        "consented": 2,
        "prompted": 2,
        "replied": 0,
        "completed": 0,
        "unreachable": 0,
        "declined": 0,
    }
    assert [w["week"] for w in weeks] == [1, 2, 3, 4, 5, 6]
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = cli("stats", "--cohort", str(cohort.id))
    assert out.splitlines()[1].split() == [
        "Week",
        "Invited",
        "Consented",
        "Prompted",
        "Replied",
        "Completed",
        "Unreachable",
        "Declined",
    ]


def test_cli_stats_count_a_week_sent_before_the_first_day(db, env, cli, tmp_path):
    """`balint stats` and its chart count what was delivered and answered, whatever the schedule says (issue 16)."""
    from datetime import UTC, datetime

    from bot.core.student.enrolment import CohortIn, create_cohort

    start = datetime.now(UTC).date() + timedelta(days=40)  # the command line runs on the real clock: not yet due
    early = db.call(
        create_cohort,
        CohortIn(
            name="Paeds later",
            start_date=start,
            weeks=6,
            weekday=start.weekday(),
            send_time=time(9, 0),
            timezone="Europe/London",
        ),
    )
    writer, _ = join(db, env, early, 6300, 2)
    send_week(db, env, early, 1)  # as `balint prompt send-now` does
    chat = DomainChat(db, env, writer, next_message_id=900)
    for text in REPLIES:
        chat.say(text)
    code, out, err = cli("stats", "--cohort", "Paeds later", "--json", "--chart", str(tmp_path / "early.png"))
    assert code == 0, err
    assert json.loads(out)["weeks"] == [
        {
            "week": 1,
            "invited": 2,
            "consented": 2,
            "prompted": 2,
            "replied": 1,
            "completed": 1,
            "unreachable": 0,
            "declined": 0,
        }
    ]
    assert (tmp_path / "early.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = cli("stats", "--cohort", "Paeds later")
    assert "No prompt has fallen due" not in out and out.splitlines()[2].split() == [
        "1",
        "2",
        "2",
        "2",
        "1",
        "1",
        "0",
        "0",
    ]
    code, out, _ = cli("cohort", "schedule", "Paeds later")
    [week1] = [line for line in out.splitlines() if "week  1:" in line]
    assert week1.startswith("✓ week  1:") and " — sent early, " in week1, out  # the schedule view shows it too


def test_cli_pause_never_touches_a_student_enrolment(db, env, cohort, cli):
    join(db, env, cohort, 5900, 1)
    cli("cohort", "pause", str(cohort.id))
    assert db.call(lambda s: [e.paused for e in s.exec(select(Enrolment)).all()]) == [False]
    assert [e.actor for e in audit(db, "cohort.pause")] == ["cli"]
