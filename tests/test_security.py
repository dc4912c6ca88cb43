"""The security findings of issue 11, each reproduced first: start-up secrets, link rotation, forged buttons,
edits after consent, audit rows after /delete, cohort names in charts, bidi controls in names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ start-up secrets


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env file and none of the deployment's variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("ENVIRONMENT", "TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "PSEUDONYM_KEY",
                 "DATA_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)


def run_balint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING",
            "DATABASE_URL": f"sqlite:///{tmp_path}/b.db", **env}
    return subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=full, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL)


def test_an_empty_webhook_secret_stops_start_up_with_one_line(tmp_path: Path) -> None:
    ran = run_balint(tmp_path, TELEGRAM_BOT_TOKEN="123:abc", WEBHOOK_URL="https://bot.example.org/telegram",
                     WEBHOOK_SECRET_TOKEN="")
    assert ran.returncode == 2, ran.stdout
    assert ran.stderr.strip() == (
        "Configuration error: WEBHOOK_SECRET_TOKEN: must be 16–256 characters of A–Z, a–z, 0–9, _ and - "
        "(make one with: python -c \"import secrets; print(secrets.token_urlsafe(32))\")")


@pytest.mark.parametrize("token", ["", "   ", "short-secret", "x" * 257, "has space in it 1234", "ünïcode-sécret-1234",
                                   "s3cret/with/slashes!!"])
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
def test_an_empty_pseudonym_key_fails_in_production(bare_env: None, monkeypatch: pytest.MonkeyPatch,
                                                    value: str) -> None:
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
