# ruff: noqa: T201  (a CI script: it prints its steps)
"""CI: build the wheel, install it into a fresh venv outside the checkout, and run a student journey from there.

Run with the checkout's environment (it provides the Bot API emulator):  .venv/bin/python .ci/wheel_journey.py

The installed ``balint`` runs from an empty folder with no BALINT_PROMPTS_DIR and no checkout on its path, so it
must find its templates, safeguarding rules and support contacts inside the wheel. The journey: create a cohort,
start the bot, join and consent, ``balint prompt send-now`` while the bot runs (handed to the bot), answer the first
question, a message that needs the safeguarding reply (rules and contacts from the wheel), then SIGTERM: exit 0.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.devtools.emulator import EmulatorThread  # noqa: E402
from bot.devtools.emulator.client import ControlClient  # noqa: E402

STUDENT = 5501


def step(what: str) -> None:
    print(f"-- {what}", flush=True)


def wait_for(client: ControlClient, after: int, needle: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in client.messages(STUDENT, after=0)[after:]:
            if needle in (m.get("plain_text") or ""):
                return m
        time.sleep(0.1)
    seen = [m.get("plain_text", "")[:80] for m in client.messages(STUDENT)]
    raise SystemExit(f"FAILED: no bot message containing {needle!r}; saw {seen}")


def button(message: dict, label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if b["text"].startswith(label):
                return b["callback_data"]
    raise SystemExit(f"FAILED: no button {label!r}")


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="balint-wheel-"))
    try:
        return journey(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def journey(work: Path) -> int:
    step(f"build the wheel into {work}/dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
                   check=True)
    wheel = next((work / "dist").glob("balintbot-*.whl"))
    step(f"install {wheel.name} into a fresh venv")
    venv.create(work / "venv", with_pip=True)
    py = work / "venv" / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True)
    balint = str(work / "venv" / "bin" / "balint")
    run_dir = work / "run"
    run_dir.mkdir()
    where = subprocess.run([str(py), "-c", "import bot.core.paths as p; print(p.PROMPTS)"], cwd=run_dir,
                           check=True, capture_output=True, text=True, env={"PATH": os.environ["PATH"]}).stdout.strip()
    assert where.endswith("site-packages/bot/prompts") and Path(where, "safeguarding", "rules.toml").is_file(), \
        f"prompts not found inside the installed package: {where}"
    print(f"   prompts from the wheel: {where}")

    with EmulatorThread("123456:WHEEL", bot_username="balint_wheel_bot") as emu:
        env = {"PATH": os.environ["PATH"], "HOME": str(work), "TELEGRAM_BOT_TOKEN": "123456:WHEEL",
               "TELEGRAM_API_BASE_URL": emu.base_url, "DATABASE_URL": f"sqlite:///{run_dir}/balint.db",
               "HEALTH_PORT": "0", "LOG_LEVEL": "WARNING"}
        step("balint cohort create")
        made = subprocess.run([balint, "cohort", "create", "--name", "Wheel cohort", "--start",
                               dt.datetime.now(dt.UTC).date().isoformat(), "--tz", "UTC", "--json"],
                              cwd=run_dir, env=env, check=True, capture_output=True, text=True)
        cohort = json.loads(made.stdout)
        step("balint run (polling)")
        bot = subprocess.Popen([balint, "run"], cwd=run_dir, env=env, stderr=subprocess.PIPE, text=True)
        try:
            client = ControlClient(emu.base_url)
            step("the student joins and consents")
            client.send_text(STUDENT, f"/start {cohort['invite_code']}")
            choice = wait_for(client, 0, "Choice 1 of 2")
            client.press_button(STUDENT, choice["message_id"], button(choice, "Yes, I'll take part"))
            second = wait_for(client, 0, "Choice 2 of 2")
            client.press_button(STUDENT, second["message_id"], button(second, "No"))
            wait_for(client, 0, "you're all set")
            step("balint prompt send-now, handed to the running bot")
            sent = subprocess.run([balint, "prompt", "send-now", "--cohort", str(cohort["id"]), "--week", "1",
                                   "--json"], cwd=run_dir, env=env, capture_output=True, text=True, timeout=120)
            assert sent.returncode == 0 and "Traceback" not in sent.stderr, sent.stderr
            result = json.loads(sent.stdout)
            assert result["sent"] == 1 and result["sent_here"] == 0, result
            n = len(client.messages(STUDENT))
            wait_for(client, 0, "Week 1 of 6")
            step("the first answer, then a message the safeguarding rules must catch")
            client.send_text(STUDENT, "A young man after an overdose who would not look at anyone.")
            wait_for(client, n, "2 · What I felt")
            n = len(client.messages(STUDENT))
            client.send_text(STUDENT, "Honestly I want to kill myself after shifts like that.")
            wait_for(client, n, "Samaritans")
        finally:
            step("SIGTERM")
            bot.send_signal(signal.SIGTERM)
            try:
                _, err = bot.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                bot.kill()
                raise SystemExit("FAILED: the bot did not stop within 10 s of SIGTERM") from None
        assert bot.returncode == 0, err[-2000:]
        assert "Traceback" not in err, err[-2000:]
    print("wheel journey: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
