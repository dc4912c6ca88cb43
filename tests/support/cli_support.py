"""The ``balint`` command in a test: in this process through Typer's CliRunner (quick, on the test database the
``cli_env`` fixture points it at), or as a real process, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.support.paths import ROOT

runner = CliRunner()


def balint(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run ``balint ARGS`` in this process; return (exit code, stdout, stderr)."""
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def balint_process(
    *args: str, env: dict[str, str], stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.cli ARGS`` as a child process with ``env`` over this one's (no bot token unless given)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env}
    if "TELEGRAM_BOT_TOKEN" not in env:
        full.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or ROOT,
    )
