"""The balint command as a user runs it: a real process, a real database, one clear line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from bot.devtools.emulator import EmulatorThread
from tests.support.cli_support import balint_process


def test_db_upgrade_cohort_create_and_list(empty_database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": empty_database_url}
    up = balint_process("db", "upgrade", env=env, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    assert "Database is at the current schema." in up.stdout
    made = balint_process(
        "cohort",
        "create",
        "--name",
        "Psychiatry Jan 2026",
        "--start",
        "2026-01-05",
        "--weeks",
        "6",
        "--day",
        "mon",
        "--time",
        "09:00",
        "--tz",
        "Europe/London",
        env=env,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert lines[0] == "Cohort 1: Psychiatry Jan 2026"
    code = lines[1].removeprefix("Invite code: ")
    assert lines[2] == f"Link: https://t.me/YOUR_BOT?start={code}"
    listed = json.loads(balint_process("cohort", "list", "--json", env=env, cwd=tmp_path).stdout)
    assert [(c["name"], c["day"], c["time"], c["timezone"], c["students"]) for c in listed] == [
        ("Psychiatry Jan 2026", "mon", "09:00", "Europe/London", 0)
    ]


def test_bad_values_get_one_clear_line(empty_database_url: str, tmp_path: Path) -> None:
    bad_url = balint_process("cohort", "list", env={"DATABASE_URL": "mysql://nope"}, cwd=tmp_path)
    assert bad_url.returncode == 2
    assert bad_url.stderr.strip() == (
        "Configuration error: DATABASE_URL: must be a sqlite:/// or postgresql+psycopg:// URL"
    )
    env = {"DATABASE_URL": empty_database_url}
    balint_process("db", "upgrade", env=env, cwd=tmp_path)
    bad_tz = balint_process(
        "cohort", "create", "--name", "X", "--start", "2026-01-05", "--tz", "Mars/Olympus", env=env, cwd=tmp_path
    )
    assert bad_tz.returncode == 2
    assert bad_tz.stderr.strip() == "Error: unknown time zone 'Mars/Olympus': use an IANA name such as Europe/London"
    bad_date = balint_process("cohort", "create", "--name", "X", "--start", "5/1/2026", env=env, cwd=tmp_path)
    assert "date '5/1/2026' is not YYYY-MM-DD" in bad_date.stderr and "Traceback" not in bad_date.stderr


def test_run_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    script = "/start SANDBOX\n1\n1\n/prompt\nA patient who would not speak to anyone on the ward round.\n/quit\n"
    ran = balint_process("run", env={"DATABASE_URL": f"sqlite:///{tmp_path}/unused.db"}, stdin=script, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "TELEGRAM_BOT_TOKEN is not set, so here is the sandbox instead" in ran.stdout
    assert "Choice 2 of 2" in ran.stdout and "Week 1 of 6" in ran.stdout
    assert "2 · What I felt" in ran.stdout
    assert "Traceback" not in ran.stdout + ran.stderr


def test_run_refuses_an_out_of_date_postgres_or_upgrades_sqlite(empty_database_url: str, tmp_path: Path) -> None:
    with EmulatorThread() as et:
        env = {
            "DATABASE_URL": empty_database_url,
            "TELEGRAM_BOT_TOKEN": et.emu.token,
            "TELEGRAM_API_BASE_URL": et.base_url,
        }
        if empty_database_url.startswith("postgresql"):
            ran = balint_process("run", env=env, cwd=tmp_path)
            assert ran.returncode == 2
            assert ran.stderr.strip().endswith("Run: balint db upgrade")
        else:
            listed = balint_process("cohort", "list", env=env, cwd=tmp_path)  # SQLite brings itself up to date
            assert listed.returncode == 0 and "No cohorts yet" in listed.stdout


def test_send_now_from_the_cli_reaches_consented_students(empty_database_url: str, tmp_path: Path) -> None:
    from bot.core.context import Env, Person
    from bot.core.student.enrolment import find_cohort
    from bot.research import queue as research_queue
    from storage.db import Database
    from tests.support.factories import DomainChat

    with EmulatorThread() as et:
        env = {
            "DATABASE_URL": empty_database_url,
            "TELEGRAM_BOT_TOKEN": et.emu.token,
            "TELEGRAM_API_BASE_URL": et.base_url,
        }
        assert balint_process("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
        made = balint_process("cohort", "create", "--name", "GP", "--start", "2026-01-05", env=env, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        db = Database(empty_database_url)
        cohort = db.call(find_cohort, "GP")
        domain = Env(research=research_queue)
        for tg, research in ((3001, True), (3002, False)):
            DomainChat(db, domain, Person(tg, f"S{tg}")).join_and_consent(cohort.invite_code, research=research)
        DomainChat(db, domain, Person(3003, "Refuser")).start(cohort.invite_code)  # never consents
        db.close()
        sent = balint_process("prompt", "send-now", "--cohort", "GP", "--week", "2", "--json", env=env, cwd=tmp_path)
        assert sent.returncode == 0, sent.stderr
        result = json.loads(sent.stdout)
        assert (result["week"], result["sent"], result["failed"]) == (2, 2, 0)
        assert all("Week 2 of 6" in et.call(et.emu.last_message_to, tg)["plain_text"] for tg in (3001, 3002))
        assert et.call(et.emu.messages_to, 3003) == []
        again = json.loads(
            balint_process(
                "prompt", "send-now", "--cohort", "GP", "--week", "2", "--json", env=env, cwd=tmp_path
            ).stdout
        )
        assert (again["sent"], again["already"]) == (0, 2)  # never twice
