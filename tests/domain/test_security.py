"""The security findings of issue 11, each reproduced first: start-up secrets, link rotation, forged buttons,
edits after consent, audit rows after /delete, cohort names in charts, bidi controls in names."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.chat import student
from bot.cli import app as cli_app
from bot.config import ConfigError, load_settings
from bot.core import roles
from bot.core.context import Env, Person
from bot.core.facilitator import facilitator
from bot.core.student.enrolment import CohortIn, create_cohort
from bot.research import access
from bot.telegram.facilitator_handlers import COMMANDS
from storage import repo
from storage.db import Database
from storage.models import AuditEvent, Cohort, Role
from tests.support.factories import DomainChat, send_week, stored_entries
from tests.support.paths import ROOT

# ------------------------------------------------------------------ start-up secrets


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env file and none of the deployment's variables."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "ENVIRONMENT",
        "TELEGRAM_BOT_TOKEN",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET_TOKEN",
        "PSEUDONYM_KEY",
        "DATA_ENCRYPTION_KEY",
    ):
        monkeypatch.delenv(name, raising=False)


def run_balint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )


def test_an_empty_webhook_secret_stops_start_up_with_one_line(tmp_path: Path) -> None:
    ran = run_balint(
        tmp_path, TELEGRAM_BOT_TOKEN="123:abc", WEBHOOK_URL="https://bot.example.org/telegram", WEBHOOK_SECRET_TOKEN=""
    )
    assert ran.returncode == 2, ran.stdout
    assert ran.stderr.strip() == (
        "Configuration error: WEBHOOK_SECRET_TOKEN: must be 16–256 characters of A–Z, a–z, 0–9, _ and - "
        '(make one with: python -c "import secrets; print(secrets.token_urlsafe(32))")'
    )


@pytest.mark.parametrize(
    "token",
    ["", "   ", "short-secret", "x" * 257, "has space in it 1234", "ünïcode-sécret-1234", "s3cret/with/slashes!!"],
)
def test_weak_webhook_secrets_are_refused(bare_env: None, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", token)
    with pytest.raises(ConfigError, match="^Configuration error: WEBHOOK_SECRET_TOKEN: must be 16–256 characters"):
        load_settings()


@pytest.mark.parametrize("token", ["a" * 16, "Abc_def-123456789", "z" * 256])
def test_good_webhook_secrets_are_taken(bare_env: None, monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", token)
    got = load_settings().webhook_secret_token
    assert got is not None and got.get_secret_value() == token


def test_webhook_url_without_a_secret_is_refused(bare_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.delenv("WEBHOOK_SECRET_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="^Configuration error: WEBHOOK_SECRET_TOKEN is required when WEBHOOK_URL"):
        load_settings()


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_pseudonym_key_fails_in_production(
    bare_env: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATA_ENCRYPTION_KEY", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=")
    monkeypatch.setenv("PSEUDONYM_KEY", value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == "Configuration error: PSEUDONYM_KEY is required when ENVIRONMENT=production"


def test_an_empty_pseudonym_key_means_none_in_development(bare_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("PSEUDONYM_KEY", "")
    assert load_settings().pseudonym_key is None


# ------------------------------------------------------------------ edits after consent is refused or withdrawn


def answered(db: Database, env: Env, cohort: Cohort, alice: Person) -> DomainChat:
    chat = DomainChat(db, env, alice)
    chat.join_and_consent(cohort.invite_code)
    send_week(db, env, cohort, 1)
    chat.say("A woman on the ward who thanked me for sitting with her.", message_id=500)
    assert len(stored_entries(db)) == 1
    return chat


def edit(db: Database, env: Env, alice: Person, body: str) -> str:
    replies = db.call(student.edited, env, alice, body, chat_id=alice.telegram_id, message_id=500)
    return "\n".join(r.text for r in replies)


def test_an_edit_after_withdrawing_is_not_stored(db: Database, env: Env, cohort: Cohort, alice: Person) -> None:
    chat = answered(db, env, cohort, alice)
    chat.command("withdraw")
    chat.press("Yes, withdraw")
    said = edit(db, env, alice, "Second thoughts: her name was Mrs Patel, bed 12.")
    assert "haven't kept" in said
    assert [e.text for e in stored_entries(db)] == ["A woman on the ward who thanked me for sitting with her."]


def test_an_edit_after_refusing_is_not_stored(db: Database, env: Env, cohort: Cohort, alice: Person) -> None:
    chat = answered(db, env, cohort, alice)
    chat.command("consent")
    chat.press("Stop taking part")
    said = edit(db, env, alice, "Her name was Mrs Patel.")
    assert "haven't kept" in said
    assert len(stored_entries(db)) == 1


def test_an_edit_while_taking_part_is_still_kept(db: Database, env: Env, cohort: Cohort, alice: Person) -> None:
    answered(db, env, cohort, alice)
    assert "kept your edited version" in edit(db, env, alice, "A woman who thanked me for sitting with her.")
    assert [e.version for e in stored_entries(db)] == [1, 2]


# ------------------------------------------------------------------ audit rows after /delete


def test_delete_leaves_no_audit_row_naming_the_student(db: Database, env: Env, cohort: Cohort, alice: Person) -> None:
    chat = answered(db, env, cohort, alice)
    chat.start("f-NOTACODE99")  # facilitator.bad_link
    chat.command("pause")
    db.call(COMMANDS["stats"], env, alice, "")  # facilitator.refused
    chat.command("mydata")
    chat.command("delete")
    chat.press("Yes, erase everything")
    actors = db.call(lambda s: [(e.actor, e.action) for e in s.exec(select(AuditEvent)).all()])
    assert not [a for a in actors if "1001" in a[0]], actors
    assert ("erased", "student.erase") in actors and ("erased", "facilitator.refused") in actors


def test_delete_keeps_a_facilitators_staff_actions_linked(db: Database, env: Env, cohort: Cohort) -> None:
    chat = DomainChat(db, env, RUTH)
    chat.start(f"f-{cohort.facilitator_code}")  # role.grant, as a facilitator
    chat.join_and_consent(cohort.invite_code)  # and a student of another kind of week
    chat.command("delete")
    chat.press("Yes, erase everything")
    actors = db.call(lambda s: {(e.actor, e.action) for e in s.exec(select(AuditEvent)).all()})
    assert ("telegram:9001", "role.grant") in actors  # she still holds the role: her staff acts stay hers
    assert not {a for a in actors if a[0] == "telegram:9001" and a[1].startswith(("consent.", "student."))}


# ------------------------------------------------------------------ cohort names in the /stats chart


def test_a_cohort_name_with_math_text_draws_its_chart(db: Database, env: Env) -> None:
    odd = db.call(create_cohort, CohortIn(name=r"Psych $\foo$ 2026", start_date=date(2026, 1, 5)))
    db.call(lambda s: repo.grant_role(session=s, telegram_id=9001, role=Role.FACILITATOR, cohort_id=odd.id))
    send_week(db, env, odd, 1)
    replies = db.call(COMMANDS["stats"], env, RUTH, str(odd.id))
    [chart] = [r.attachment for r in replies if r.attachment is not None]
    assert chart.content.startswith(b"\x89PNG")
    assert any(r"Psych $\foo$ 2026" in r.text for r in replies)


# ------------------------------------------------------------------ facilitator and researcher links


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """Run ``balint ...`` on the test database; returns (exit code, stdout, stderr)."""
    from storage.migrate import stamp

    stamp(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("TELEGRAM_BOT_TOKEN", "ENVIRONMENT", "PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli_app, list(args))
        return result.exit_code, result.stdout, result.stderr

    yield run
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


RUTH = Person(telegram_id=9001, first_name="Ruth")
SAM = Person(telegram_id=9002, first_name="Sam")


def open_link(db: Database, env: Env, person: Person, payload: str) -> str:
    return db.call(student.start, env, person, payload)[0].text


def facilitates(db: Database, env: Env, person: Person, cohort: Cohort) -> bool:
    return bool(db.call(lambda s: roles.can_facilitate(s, env, person, cohort.id)))


def code_in(out: str, prefix: str) -> str:
    return out.split(f"?start={prefix}")[1].split()[0]


def test_revoking_a_facilitator_rotates_the_link_so_it_cannot_grant_again(db, env, cohort, cli) -> None:
    old = f"f-{cohort.facilitator_code}"
    assert "you're now a facilitator" in open_link(db, env, RUTH, old)
    code, out, _ = cli("role", "revoke", "facilitator", "--telegram-id", "9001", "--cohort", str(cohort.id))
    assert code == 0, out
    said = open_link(db, env, RUTH, old)
    assert said == facilitator.OLD_LINK
    assert not facilitates(db, env, RUTH, cohort)
    assert "you're now a facilitator" not in open_link(db, env, SAM, old)  # nor anyone it was forwarded to
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id))
    assert "you're now a facilitator" in open_link(db, env, SAM, f"f-{code_in(out, 'f-')}")


def test_rotating_the_facilitator_link_from_the_cli(db, env, cohort, cli) -> None:
    old = f"f-{cohort.facilitator_code}"
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--rotate")
    assert code == 0, out
    assert out.startswith(f"New facilitator link for Psychiatry Jan 2026 (id {cohort.id}; works until rotated).")
    assert "Every earlier facilitator link of this cohort has stopped working" in out
    new = f"f-{code_in(out, 'f-')}"
    assert new != old
    assert open_link(db, env, RUTH, old) == facilitator.OLD_LINK and not facilitates(db, env, RUTH, cohort)
    assert "you're now a facilitator" in open_link(db, env, RUTH, new)


def test_a_single_use_facilitator_link_works_once(db, env, cohort, cli) -> None:
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--single-use")
    assert code == 0 and "works once" in out
    link = f"f-{code_in(out, 'f-')}"
    assert "you're now a facilitator" in open_link(db, env, RUTH, link)
    assert open_link(db, env, SAM, link) == facilitator.OLD_LINK and not facilitates(db, env, SAM, cohort)
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--json")
    again = json.loads(out)
    assert again["single_use"] and "you're now a facilitator" in open_link(
        db, env, SAM, "f-" + again["facilitator_link"].split("start=f-")[1]
    )


def test_an_expiring_facilitator_link_stops_granting(db, env, clock, cohort, cli) -> None:
    code, out, _ = cli("cohort", "facilitator-link", str(cohort.id), "--expires-in", "48h", "--json")
    made = json.loads(out)
    assert code == 0 and made["expires_at"] and not made["expired"]
    link = "f-" + made["facilitator_link"].split("start=f-")[1]
    expires = datetime.fromisoformat(made["expires_at"])
    clock.set(expires - timedelta(minutes=1))
    assert "you're now a facilitator" in open_link(db, env, RUTH, link)
    clock.set(expires + timedelta(seconds=1))
    assert open_link(db, env, SAM, link) == facilitator.EXPIRED_LINK and not facilitates(db, env, SAM, cohort)
    code, _, err = cli("cohort", "facilitator-link", str(cohort.id), "--expires-in", "soon")
    assert (code, err.strip()) == (2, "Error: --expires-in 'soon' is not a number of hours or days, such as 48h or 7d")


def test_researcher_links_rotate_expire_and_rotate_on_revoke(db, env, clock, cli) -> None:
    db.call(create_cohort, CohortIn(name="Studied", start_date=date(2026, 1, 5), study="Balint Study"))
    code, out, err = cli("research", "link", "--json")
    assert code == 0, err
    old = "r-" + json.loads(out)["code"]
    assert "you're now a researcher" in open_link(db, env, RUTH, old)
    code, out, err = cli("role", "revoke", "researcher", "--telegram-id", "9001", "--study", "Balint Study")
    assert code == 0, err
    assert open_link(db, env, RUTH, old) == access.OLD_LINK
    assert not db.call(lambda s: roles.researched_studies(s, env, RUTH))
    code, out, _ = cli("research", "link", "--rotate", "--single-use", "--expires-in", "7d")
    assert out.startswith("New researcher link for Balint Study (works until ") and "works once" in out
    link = f"r-{code_in(out, 'r-')}"
    clock.set(datetime.now(UTC) + timedelta(days=8))
    assert open_link(db, env, SAM, link) == access.EXPIRED_LINK
    clock.set(datetime.now(UTC))
    assert "you're now a researcher" in open_link(db, env, SAM, link)
    assert open_link(db, env, RUTH, link) == access.OLD_LINK  # single use: spent
