"""Where the data folders are, decided in one place.

``prompts/`` ships inside the wheel as ``bot/prompts/`` (``setup.py`` maps it), so an installed bot finds it
through ``importlib.resources`` wherever it runs. In a checkout that is not installed the
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
    installed = Path(str(resources.files("bot"))) / "prompts"  # bot is a regular package: a real folder
    if (installed / "dialogue.toml").is_file():
        return installed
    return ROOT / "prompts"  # a checkout (or an editable install): the folder beside the packages


PROMPTS = prompts_dir()
