"""``balint circle create|list|show|close`` through Typer's CliRunner, on the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.chat import student
from bot.cli import app
from bot.core.context import Env, Person
from storage.db import Database
from storage.models import Cohort
from tests.support.circle_support import LEADER, STUDENTS
from tests.support.research_support import enrol

runner = CliRunner()


def balint(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def closes(monkeypatch: pytest.MonkeyPatch) -> list[Database]:
    """Every Database the CLI closes, in order."""
    closed: list[Database] = []
    real = Database.close

    def close(self: Database) -> None:
        closed.append(self)
        real(self)

    monkeypatch.setattr(Database, "close", close)
    return closed


@pytest.mark.usefixtures("cli_env")
def test_create_list_show_close_and_each_command_closes_the_database(
    db: Database, env: Env, cohort: Cohort, closes: list[Database]
) -> None:
    for telegram_id, name in STUDENTS:
        enrol(db, env, cohort, telegram_id, name)
    db.call(student.start, env, Person(telegram_id=LEADER[0], first_name=LEADER[1]), None)
    members = [a for t, _ in STUDENTS for a in ("--student", str(t))]

    code, out, err = balint("circle", "list")
    assert (code, out) == (0, "No circles yet: `balint circle create` makes one.\n"), err
    code, out, err = balint(
        "circle", "create", cohort.name, "--name", "Circle Rose", "--leader", str(LEADER[0]), *members
    )
    assert code == 0, err
    assert out.splitlines() == [
        "Circle 1 'Circle Rose' created: 6 invitations (the leader and 5 students) go out when the bot next runs.",
        "Week 1 opens Saturday 10 January at 10:00 (Europe/London); rhythm: open sat 10:00, case mon 20:00, "
        "questions tue 20:00, discussion thu 20:00, response fri 20:00",
    ]
    code, out, err = balint("circle", "list", "--json")
    assert code == 0, err
    assert [(r["id"], r["name"], r["invited"]) for r in json.loads(out)] == [(1, "Circle Rose", 5)]
    code, out, err = balint("circle", "show", "Circle Rose")
    assert code == 0, err
    assert out.startswith("Circle 1 'Circle Rose' · cohort Psychiatry Jan 2026 · ")
    code, out, err = balint("circle", "show", "Circle Tulip")
    assert (code, err) == (2, "Error: no circle 'Circle Tulip': `balint circle list` shows them\n")
    code, out, err = balint("circle", "close", "1")
    assert (code, out) == (0, "Circle 1 closed; 0 members will be told when the bot next runs.\n"), err
    assert len(closes) == 6, "each command closes the database it opened"
