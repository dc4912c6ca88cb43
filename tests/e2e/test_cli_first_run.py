"""The command line as a new user meets it: no library log lines, quick to start, helpful errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli_support import balint_process
from tests.support.paths import ROOT


def test_a_command_prints_no_library_log_lines_unless_verbose(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "LOG_LEVEL": "INFO"}
    listed = balint_process("cohort", "list", env=env, cwd=tmp_path)  # the first command migrates the new database
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("No cohorts yet.")
    assert listed.stderr == ""
    verbose = balint_process(
        "--verbose", "db", "upgrade", env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/v.db"}, cwd=tmp_path
    )
    assert "INFO alembic.runtime.migration: Running upgrade" in verbose.stderr
    debug = balint_process(
        "cohort", "list", cwd=tmp_path, env={**env, "DATABASE_URL": f"sqlite:///{tmp_path}/d.db", "LOG_LEVEL": "DEBUG"}
    )
    assert "alembic.runtime.migration" in debug.stderr


def test_help_imports_neither_the_database_nor_telegram_layers() -> None:
    code = (
        "import sys, bot.cli.main; heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic_settings', 'telegram', "
        "'asyncio', 'matplotlib') if m in sys.modules]; print(','.join(heavy))"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert ran.stdout.strip() == ""


def test_a_database_command_at_the_current_schema_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.db"
    assert balint_process("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
    code = (
        "import sys; from typer.testing import CliRunner; from bot.cli import app; "
        "r = CliRunner().invoke(app, ['cohort', 'list']); print(r.output.strip()); print('alembic' in sys.modules)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert ran.stdout.splitlines()[-1] == "False", ran.stdout


# What a database command that lists or counts must not import: each is tens of milliseconds (the goal is 0.6 s
# for the whole command on a 2-core machine), and none of them reads a message or writes a file.
HEAVY = (
    "telegram",
    "alembic",
    "matplotlib",
    "openpyxl",
    "docx",
    "aiohttp",
    "numpy",
    "onnxruntime",
    "storage.research_models",
    "bot.core.safety.safeguarding_model",
    "bot.core.privacy.redaction",
    "bot.research.queue",
)


def _imported_by(argv: list[str], url: str) -> list[str]:
    code = (
        "import sys, json; from typer.testing import CliRunner; from bot.cli import app; "
        f"r = CliRunner().invoke(app, {argv!r}); assert r.exit_code == 0, r.output; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.splitlines()[-1])


def test_listing_and_counting_commands_import_no_heavy_module(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.db"
    made = balint_process(
        "cohort", "create", "--name", "Ward 1", "--start", "2026-01-05", env={"DATABASE_URL": url}, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    for argv in (
        ["cohort", "list"],
        ["stats", "--cohort", "Ward 1"],
        ["safeguarding", "alerts"],
        ["cohort", "schedule", "Ward 1"],
        ["role", "list"],
    ):
        assert _imported_by(argv, url) == [], argv


def test_a_failing_command_says_one_line_without_importing_every_error_class(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.db"
    assert balint_process("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
    code = (
        "import sys; from typer.testing import CliRunner; from bot.cli import app; "
        "r = CliRunner().invoke(app, ['stats', '--cohort', 'nope']); print(r.exit_code, r.stderr.strip()); "
        "print([m for m in ('bot.core.data_files', 'bot.research.refi_qda.model', 'bot.research.errors') "
        "if m in sys.modules])"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert ran.stdout.splitlines() == ["2 Error: no cohort 'nope': `balint cohort list` shows ids and names", "[]"]


def test_the_expected_errors_are_named_by_the_module_that_defines_them() -> None:
    import importlib

    from bot.cli.common import _PLAIN, _PREFIXED

    for module, name in _PLAIN + _PREFIXED:
        kind = getattr(importlib.import_module(module), name)
        assert issubclass(kind, Exception) and kind.__module__ == module, (module, name)


def test_code_heads_read_as_text_agree_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, code_heads

    assert code_heads() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_code_heads_give_up_on_anything_but_plain_literals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import migrate

    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text("revision = '1'\ndown_revision = None\n")
    (tmp_path / "versions" / "b.py").write_text("revision = '2'\ndown_revision: str | None = '1'  # after a\n")
    monkeypatch.setattr(migrate, "MIGRATIONS", tmp_path)
    assert migrate.code_heads() == {"2"}
    (tmp_path / "versions" / "c.py").write_text("revision = '3'\ndown_revision = PREVIOUS\n")
    assert migrate.code_heads() == set()  # a name, not a literal: Alembic decides


def test_dev_py_shows_one_line_per_step_and_the_output_only_when_a_step_fails(tmp_path: Path) -> None:
    noisy = "import sys; print('*' * 80); print('SetuptoolsDeprecationWarning: editable install', file=sys.stderr)"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import dev; "
        f"dev.step('Installing …', [sys.executable, '-c', {noisy!r}]); "
        "dev.step('Failing …', [sys.executable, '-c', 'import sys; print(\"no network\"); sys.exit(3)'])"
    )
    ran = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, cwd=tmp_path)
    assert ran.stdout == "Installing …\nFailing …\n"
    assert "Setuptools" not in ran.stderr
    assert "no network" in ran.stderr and "That step failed (exit code 3)" in ran.stderr
    assert ran.returncode == 1
