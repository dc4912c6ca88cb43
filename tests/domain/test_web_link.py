"""Sign-in links to the web workbench: ``balint web link`` and ``/web`` in chat; only hashes are stored."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.core.context import Person
from bot.research.access import NOT_A_RESEARCHER
from bot.research.web_access import SignInError, current, redeem, web_command
from storage.migrate import stamp
from storage.web_models import WebLink
from tests.support.research_support import KEY, RESEARCHER_A, researchers

LINK = re.compile(r"(https?://\S+)/login\?t=([\w-]{40,})")


def test_balint_web_link_prints_a_one_time_link_and_stores_only_its_hash(db, database_url, monkeypatch):
    stamp(database_url)
    for k, v in {
        "DATABASE_URL": database_url,
        "PSEUDONYM_KEY": KEY,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "WEB_URL": "https://bot.example.org/web/",
    }.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(app, ["web", "link", "--telegram-id", "9001"])
    assert result.exit_code == 0, result.output
    found = LINK.search(result.stdout)
    assert found and found.group(1) == "https://bot.example.org/web"
    token = found.group(2)
    stored = db.call(lambda s: [(r.token_hash, r.telegram_id) for r in s.exec(select(WebLink)).all()])
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), 9001)]
    assert "works once, within ten minutes" in result.stderr

    bad = CliRunner().invoke(app, ["web", "link", "--telegram-id", "nine"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_web_in_chat_gives_researchers_a_link_and_others_a_kind_no(db, research_env, study_cohort):
    researchers(db, research_env)
    research_env.web_url = "https://bot.example.org/web"
    [reply] = db.call(web_command, research_env, RESEARCHER_A)
    found = LINK.search(reply.text)
    assert found and found.group(1) == "https://bot.example.org/web"
    cookie, signed = db.call(redeem, research_env, found.group(2))
    assert signed.person.telegram_id == RESEARCHER_A.telegram_id
    assert db.call(current, research_env, cookie) is not None
    with pytest.raises(SignInError, match="already been used"):
        db.call(redeem, research_env, found.group(2))

    [refusal] = db.call(web_command, research_env, Person(telegram_id=1001, first_name="Alice"))
    assert refusal.text == NOT_A_RESEARCHER
    assert db.call(lambda s: len(s.exec(select(WebLink)).all())) == 1
