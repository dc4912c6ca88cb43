"""The layering ARCHITECTURE.md promises, checked on the source: imports run one way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def test_the_domain_never_imports_telegram() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.split(".")[0] == "telegram")
                 for p in files("bot/core", "bot/research")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_storage_never_imports_bot() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.split(".")[0] == "bot")
                 for p in files("storage")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_sql_in_the_telegram_layer() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in files("bot/telegram")
                 if "select(" in p.read_text(encoding="utf-8") or "sqlmodel" in imported_modules(p)]
    assert offenders == []
