"""``balint emulator`` as a person runs it: a real process that prints how to use it, and plays a student."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.devtools.emulator import EmulatorThread
from tests.support.cli_support import balint_process
from tests.support.paths import ROOT


def emulator(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "emulator", *args],
        env=env,
        cwd=cwd,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_it_prints_the_token_base_url_and_how_to_run_the_bot(tmp_path: Path) -> None:
    proc = emulator("--port", "0", cwd=tmp_path)
    out, err = proc.communicate("", timeout=60)  # Ctrl-D at once
    assert proc.returncode == 0, err
    base = re.search(r"base URL: (http://127\.0\.0\.1:\d+/bot)\n", out)
    assert base, out
    assert "  token:    123456:EMULATOR\n" in out
    assert f"  TELEGRAM_API_BASE_URL={base[1]} TELEGRAM_BOT_TOKEN=123456:EMULATOR balint run\n" in out
    assert "You are Student (user 1001)." in out
    assert out.rstrip().endswith("Emulator stopped.")
    assert "Traceback" not in out + err


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with EmulatorThread() as et:
        proc = emulator("--port", str(et.emu.port), cwd=tmp_path)
        out, err = proc.communicate("", timeout=60)
    assert proc.returncode == 1
    assert err.startswith(f"Could not listen on 127.0.0.1:{et.emu.port}: ") and err.strip().endswith(
        "Try another --port."
    )
    assert "Traceback" not in out + err


def test_the_real_bot_answers_start_through_it(empty_database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": empty_database_url}
    assert balint_process("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    made = balint_process("cohort", "create", "--name", "GP", "--start", "2026-01-05", env=env, cwd=tmp_path)
    assert made.returncode == 0
    code = json.loads(balint_process("cohort", "list", "--json", env=env, cwd=tmp_path).stdout)[0]["invite_code"]
    emu = emulator("--port", "0", "--name", "Noor", cwd=tmp_path)
    assert emu.stdout is not None and emu.stdin is not None
    run_line = ""
    while "balint run" not in run_line:
        run_line = emu.stdout.readline()
        assert run_line, emu.stderr.read() if emu.stderr else ""
    settings = dict(word.split("=", 1) for word in run_line.split() if "=" in word)
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env, **settings},
    )
    try:
        out, err = emu.communicate(f"/start {code}\n", timeout=90)
    finally:
        bot.terminate()
        bot_err = bot.communicate(timeout=30)[1]
    assert emu.returncode == 0, err
    assert "you> bot> #2 Balint reflections — participant information" in out, out + bot_err  # #1 is /start
    assert "Hello Noor. You have been invited to GP" in out
    assert "[Yes, I'll take part -> cp:1:1]  [No, not now -> cp:1:0]" in out
    assert "Traceback" not in out + err + bot_err
