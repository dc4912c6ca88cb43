"""Load every data file under ``prompts/`` at start-up, so a missing or broken file stops the bot at once.

Without this the rules, the support contacts and the redaction config load lazily, at the first student
message that needs them: an install that lost its data would look healthy until a student was in distress.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from jinja2 import TemplateError

from bot.core import paths
from bot.core.privacy.redaction import default_redactor
from bot.core.safety.safeguarding_rules import default_rules, load_resources
from bot.core.student.dialogue import default_text
from bot.core.student.plan import default_plan
from bot.core.templates import environment


class DataFilesMissing(Exception):
    """A data file under prompts/ is missing or cannot be read; the message names it and the folder."""


def load_all(*, institution: str | None = None) -> Path:
    """Load the safeguarding rules and resources, redaction config, dialogue, plan and templates; return the folder."""
    folder = paths.PROMPTS
    hint = "set BALINT_PROMPTS_DIR to the prompts folder, or reinstall the package"
    if not folder.is_dir():
        raise DataFilesMissing(f"The prompts folder {folder} does not exist: {hint}.")
    try:
        default_rules()
        load_resources(institution=institution)
        default_redactor()
        default_text()
        for week in default_plan():
            environment(folder).get_template(f"plan/{week.template}")
    except (OSError, tomllib.TOMLDecodeError, ValueError, TemplateError) as exc:
        name = getattr(exc, "filename", None) or getattr(exc, "name", None) or exc
        raise DataFilesMissing(f"Could not load {name} from {folder}: {hint}.") from None
    return folder
