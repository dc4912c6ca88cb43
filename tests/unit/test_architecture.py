"""The layering ARCHITECTURE.md promises, checked on the source: imports run one way; and the tests' own layout.

Imports are read with ``ast`` from every file of ``bot/`` and ``storage/`` (and, for the layout of the tests, of
``tests/``), including the ones inside functions (a late import is still an arrow) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import ROOT

# Import cycles let through, each exactly as it stands (none now): any other cycle, or one grown by a module, fails.
WAIVED_CYCLES: list[set[str]] = []
# Files longer than MAX_LINES let through by name while they wait for their split (none now: the five test modules
# already long when the tests were split into folders were split by topic, issue 13).
TOO_LONG_FOR_NOW: set[str] = set()
MAX_LINES = 500
LONG_ALLOWED = {  # data, not logic: a long file here is a long table
    "storage/migrations/versions",
    "tests/data",
}
# where a test module may live: pure functions; domain functions on the real database; a transport end to end
TEST_FOLDERS = ("unit", "domain", "e2e")
# which layer may import which (a module in a layer may import its own layer and the layers listed)
LAYERS = {
    "storage": set(),
    "bot.core": {"storage"},
    "bot.research": {"bot.core", "storage"},
    "bot.chat": {"bot.core", "bot.research", "storage"},
}
TRANSPORTS = ("bot/telegram", "bot/cli", "bot/web")
# Arrows up the layers let through, each by name (none now: core reaches the research pipeline only through the
# hook Env.research (bot.core.context.ResearchPipeline), set where the Env is built).
WAIVED_UPWARD: dict[str, set[str]] = {}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []  # from .model import …
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}  # from bot.core import consent
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "import_module"
                or isinstance(node.func, ast.Name)
                and node.func.id in ("import_module", "__import__")
            )
        ):
            found.add(node.args[0].value)  # importlib.import_module("bot.research.queue") is an arrow too
    return found


def files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in (ROOT / folder).rglob("*.py")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def import_graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each one imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    paths = {module_name(p): p for p in files("bot", "storage")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        targets = {m for m in imported_modules(path) if m in paths and m != name}
        # ``from bot.cli import codebook`` also lists ``bot.cli``; the package itself is not the target
        graph[name] = {m for m in targets if not any(t.startswith(m + ".") for t in targets) or m == name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules() -> None:
    assert [sorted(c) for c in cycles(import_graph()) if c not in WAIVED_CYCLES] == []


def test_imports_run_down_the_layers() -> None:
    """storage ← core ← research ← chat: core never imports research, nothing below imports a transport."""
    offenders = {}
    for name, targets in import_graph().items():
        layer = next((lay for lay in LAYERS if name == lay or name.startswith(lay + ".")), None)
        if layer is None:
            continue
        allowed = (layer, *LAYERS[layer])
        bad = sorted(
            t
            for t in targets
            if not any(t == a or t.startswith(a + ".") for a in allowed) and t not in WAIVED_UPWARD.get(name, set())
        )
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_the_domain_never_imports_telegram() -> None:
    offenders = {
        rel(p): sorted(m for m in imported_modules(p) if m.split(".")[0] == "telegram")
        for p in files("bot", "storage")
        if not rel(p).startswith("bot/telegram/")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_typer_only_in_the_cli() -> None:
    offenders = [
        rel(p)
        for p in files("bot", "storage")
        if not rel(p).startswith("bot/cli/") and any(m.split(".")[0] == "typer" for m in imported_modules(p))
    ]
    assert offenders == []


def test_storage_never_imports_bot() -> None:
    offenders = {rel(p): sorted(m for m in imported_modules(p) if m.split(".")[0] == "bot") for p in files("storage")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_sql_in_the_transport_layers() -> None:
    """Queries belong to the domain (through storage's models and repository verbs), never to a transport."""
    offenders = [
        rel(p)
        for p in files(*TRANSPORTS)
        if "select(" in p.read_text(encoding="utf-8")
        or any(m.split(".")[0] in ("sqlmodel", "sqlalchemy") for m in imported_modules(p))
    ]
    assert offenders == []


def test_outside_storage_sql_only_builds_queries() -> None:
    """storage owns the engine, sessions and transactions, raw SQL and the migrations; in ``bot/`` SQLModel and
    SQLAlchemy only build queries over storage's models (``select``, ``update``, ``delete``, ``func``, …), and a
    session is only ever handed in (ARCHITECTURE.md, "Who queries the database")."""
    not_here = {"create_engine", "text", "sessionmaker", "engine", "orm", "pool", "event", "inspect", "MetaData"}
    offenders = {}
    for p in files("bot"):
        bad = sorted(
            m
            for m in imported_modules(p)
            if m.split(".")[0] == "alembic"
            or m.split(".")[0] in ("sqlalchemy", "sqlmodel")
            and not_here & set(m.split(".")[1:])
        )
        bad += [
            f"Session() at line {n.lineno}"
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Session"
        ]
        if bad:
            offenders[rel(p)] = bad
    assert offenders == {}


def test_no_file_over_500_lines() -> None:
    """The bot's own code and the tests."""
    long = {
        rel(p): n
        for p in files("bot", "storage", "tests")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and rel(p) not in TOO_LONG_FOR_NOW
        and not any(rel(p).startswith(a) for a in LONG_ALLOWED)
    }
    assert long == {}
    # a waiver ends with its split: a waived file that is short again, or gone, must leave the list
    short_again = {
        f
        for f in TOO_LONG_FOR_NOW
        if not (ROOT / f).is_file() or len((ROOT / f).read_text(encoding="utf-8").splitlines()) <= MAX_LINES
    }
    assert short_again == set()


def files_of_the_tests() -> list[Path]:
    return [p for p in files("tests") if not rel(p).startswith("tests/data/")]


def test_test_modules_live_in_unit_domain_or_e2e() -> None:
    """A test module's folder says what it needs: ``tests/support/`` holds helpers, and nothing is tested at the top
    of ``tests/`` (each folder is a package, as pytest's default import mode wants for modules of the same name)."""
    misplaced = sorted(
        rel(p)
        for p in files_of_the_tests()
        if p.name.startswith("test_")
        and not (len(p.relative_to(ROOT / "tests").parts) == 2 and p.parent.name in TEST_FOLDERS)
    )
    assert misplaced == []
    assert [f for f in (*TEST_FOLDERS, "support") if not (ROOT / "tests" / f / "__init__.py").is_file()] == []


def test_tests_take_fixtures_from_conftest_and_helpers_from_support() -> None:
    """No ``import *``, no test module importing another one (or a conftest): fixtures come from the conftest of
    their folder or above, helpers from ``tests.support`` by name."""
    offenders = {}
    for p in files_of_the_tests():
        bad = []
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tests":
                if not (node.module or "").startswith("tests.support") or any(a.name == "*" for a in node.names):
                    bad.append(f"from {node.module} import {', '.join(a.name for a in node.names)}")
            elif isinstance(node, ast.Import):
                bad += [
                    a.name
                    for a in node.names
                    if a.name.split(".")[0] == "tests" and not a.name.startswith("tests.support")
                ]
        if bad:
            offenders[rel(p)] = bad
    assert offenders == {}
