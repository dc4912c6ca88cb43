"""prompts/ is found in one place (bot.core.paths) and loaded at start-up, so a missing file stops the bot at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.core import paths
from bot.core.data_files import DataFilesMissing, load_all
from tests.support.paths import ROOT


def run_bot(tmp_path: Path, prompts: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BALINT_PROMPTS_DIR": str(prompts),
        "TELEGRAM_BOT_TOKEN": "123456:NOTUSED",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens: start-up must fail before it
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        "ENVIRONMENT": "test",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_bot_refuses_to_start_without_its_safeguarding_rules(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    (prompts / "safeguarding" / "rules.toml").unlink()
    done = run_bot(tmp_path, prompts)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Could not load {prompts}/safeguarding/rules.toml from {prompts}: set BALINT_PROMPTS_DIR to the prompts "
        "folder, or reinstall the package."
    ]
    assert "Traceback" not in done.stderr + done.stdout


def test_a_missing_prompts_folder_is_named() -> None:
    import bot.core.paths as p

    saved = p.PROMPTS
    p.PROMPTS = Path("/nonexistent/prompts")
    try:
        load_all()
    except DataFilesMissing as exc:
        assert str(exc).startswith("The prompts folder /nonexistent/prompts does not exist")
    else:
        raise AssertionError("load_all accepted a missing folder")
    finally:
        p.PROMPTS = saved


def test_the_override_wins_and_the_checkout_is_the_fallback(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BALINT_PROMPTS_DIR", str(tmp_path))
    assert paths.prompts_dir() == tmp_path
    monkeypatch.delenv("BALINT_PROMPTS_DIR")
    found = paths.prompts_dir()
    assert (found / "safeguarding" / "rules.toml").is_file()
    assert load_all() == paths.PROMPTS
