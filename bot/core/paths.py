"""Where the data folders are: ``prompts/`` beside the packages, overridable for a deployment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = Path(os.environ.get("BALINT_PROMPTS_DIR", ROOT / "prompts"))
