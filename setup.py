"""Packaging beyond pyproject.toml: ship ``prompts/`` inside the wheel as the resource package ``bot.prompts``.

Everything else (metadata, dependencies, scripts) is in pyproject.toml. ``bot/core/paths.py`` finds the folder
through ``importlib.resources``, so an installed bot needs no checkout beside it.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).resolve().parent
PROMPTS = ROOT / "prompts"
# every folder of prompts/ becomes a (data-only) package, so setuptools ships its files and warns about none
prompt_packages = ["bot.prompts"] + [
    "bot.prompts." + ".".join(p.relative_to(PROMPTS).parts) for p in sorted(PROMPTS.rglob("*")) if p.is_dir()
    and "__pycache__" not in p.parts
]

setup(
    packages=[*find_namespace_packages(include=["bot", "bot.*", "storage", "storage.*"]), *prompt_packages],
    package_dir={"bot.prompts": "prompts"},
    package_data={"bot": ["web/templates/*.j2", "web/static/*"],
                  "storage": ["migrations/*.py", "migrations/*.mako", "migrations/versions/*.py", "alembic.ini"],
                  **{name: ["*"] for name in prompt_packages}},
)
