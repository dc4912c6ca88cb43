#!/usr/bin/env python3
"""Two commands for a fresh machine with Python 3.11+: ``python3 dev.py run`` and ``python3 dev.py test``.

Both make ``.venv`` and install the project into it the first time (and again when pyproject.toml changes),
then run the bot (the terminal sandbox when no token is set) or the whole test suite.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"balintbot needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    step("Updating pip in .venv …", [str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    step("Installing balintbot and its test tools into .venv (first run only) …",
         [str(BIN / "python"), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"])
    STAMP.write_text(want)
    print("Ready.", flush=True)


def step(line: str, argv: list[str]) -> None:
    """Run one set-up step as one progress line; show its output only if it fails (pip's and setuptools'
    warnings about editable installs are noise on a first run)."""
    print(line, flush=True)
    done = subprocess.run(argv, capture_output=True, text=True,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONWARNINGS": "ignore"})
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"That step failed (exit code {done.returncode}); the output above says why.")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "balint"):
        print(__doc__)
        return 2
    ensure_venv()
    os.chdir(ROOT)
    if argv[0] == "run":
        return subprocess.call([str(BIN / "balint"), "run", *argv[1:]])
    if argv[0] == "balint":
        return subprocess.call([str(BIN / "balint"), *argv[1:]])
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
