"""Where the data folders are, decided in one place.

``prompts/`` ships inside the wheel as the resource package ``bot.prompts`` (``setup.py`` maps it), so an
installed bot finds it through ``importlib.resources`` wherever it runs. In a checkout that is not installed the
folder beside the packages is used. ``BALINT_PROMPTS_DIR`` overrides both (a deployment's edited copy).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def prompts_dir() -> Path:
    """Return the folder of templates, rules and plans: the override, the installed package data, or the checkout."""
    override = os.environ.get("BALINT_PROMPTS_DIR", "").strip()
    if override:
        return Path(override)
    try:
        installed = Path(str(resources.files("bot.prompts")))
    except (ModuleNotFoundError, TypeError):  # not installed from a wheel (a bare checkout on sys.path)
        installed = None
    if installed is not None and (installed / "dialogue.toml").is_file():
        return installed
    return ROOT / "prompts"


PROMPTS = prompts_dir()
