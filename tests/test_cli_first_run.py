"""The command line as a new user meets it: no library log lines, quick to start, helpful errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_cli import ROOT, balint


def test_a_command_prints_no_library_log_lines_unless_verbose(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "LOG_LEVEL": "INFO"}
    listed = balint("cohort", "list", env=env, cwd=tmp_path)  # the first command migrates the new database
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("No cohorts yet.")
    assert listed.stderr == ""
    verbose = balint("--verbose", "db", "upgrade", env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/v.db"},
                     cwd=tmp_path)
    assert "INFO alembic.runtime.migration: Running upgrade" in verbose.stderr
    debug = balint("cohort", "list", env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "LOG_LEVEL": "DEBUG"},
                   cwd=tmp_path)
    assert "alembic.runtime.migration" in debug.stderr


def test_help_imports_neither_the_database_nor_telegram_layers() -> None:
    code = ("import sys, bot.cli.main; heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic_settings', 'telegram', "
            "'asyncio', 'matplotlib') if m in sys.modules]; print(','.join(heavy))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert ran.stdout.strip() == ""


def test_a_database_command_at_the_current_schema_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.db"
    assert balint("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
    code = ("import sys; from typer.testing import CliRunner; from bot.cli import app; "
            "r = CliRunner().invoke(app, ['cohort', 'list']); print(r.output.strip()); print('alembic' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, check=True)
    assert ran.stdout.splitlines()[-1] == "False", ran.stdout


def test_dev_py_shows_one_line_per_step_and_the_output_only_when_a_step_fails(tmp_path: Path) -> None:
    noisy = "import sys; print('*' * 80); print('SetuptoolsDeprecationWarning: editable install', file=sys.stderr)"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import dev; "
            f"dev.step('Installing …', [sys.executable, '-c', {noisy!r}]); "
            "dev.step('Failing …', [sys.executable, '-c', 'import sys; print(\"no network\"); sys.exit(3)'])")
    ran = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, cwd=tmp_path)
    assert ran.stdout == "Installing …\nFailing …\n"
    assert "Setuptools" not in ran.stderr
    assert "no network" in ran.stderr and "That step failed (exit code 3)" in ran.stderr
    assert ran.returncode == 1
