"""Render the templates in ``prompts/`` in Jinja2's sandbox (facilitators may edit them).

:func:`sandboxed_environment` is the one way the bot makes a Jinja environment: the prompts here and the web
workbench's pages use it, each with its own loader (the safeguarding support reply's, in ``bot/core/safety/``, moves
onto it with that package's rewrite).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.core.bidi import without_bidi_controls
from bot.core.paths import PROMPTS

PARTICIPANT_INFO_VERSION = "v1"
_VERSION = re.compile(r"participant_information\.(v\d+)\.html\.j2$")


class TemplateProblem(Exception):
    """A template is missing or broken; the message says which and why."""


def sandboxed_environment(loader: BaseLoader | None = None, *, lstrip_blocks: bool = False) -> SandboxedEnvironment:
    """Return a new sandboxed environment: HTML autoescape, strict undefined, block tags trimmed.

    Autoescape is on for every template, plain-text ones too: what they render is sent in Telegram's HTML parse
    mode or served as HTML, so a student's ``<`` must arrive as ``&lt;``. ``loader`` None: templates from strings.
    """
    return SandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=lstrip_blocks,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=4)
def environment(root: Path = PROMPTS) -> SandboxedEnvironment:
    """Return the environment of the prompt templates under ``root``, so student names can never inject markup."""
    return sandboxed_environment(FileSystemLoader(str(root)))


def render(name: str, root: Path = PROMPTS, **context: Any) -> str:
    """Render a template by name; raise TemplateProblem with a clear message if it is broken."""
    try:
        return environment(root).get_template(name).render(**context).strip()
    except TemplateError as exc:
        raise TemplateProblem(f"template {name!r}: {exc}") from exc


def render_string(source: str, **context: Any) -> str:
    """Render template text given inline (a facilitator's override), in the sandbox."""
    try:
        return environment().from_string(source).render(**context).strip()
    except TemplateError as exc:
        raise TemplateProblem(f"template: {exc}") from exc


def latest_participant_information(root: Path = PROMPTS) -> tuple[str, str]:
    """Return (version, template name) of the newest participant information."""
    found = sorted(
        (int(m.group(1)[1:]), p.name) for p in root.glob("participant_information.v*.html.j2")
        if (m := _VERSION.search(p.name))
    )
    if not found:
        raise TemplateProblem(f"no participant_information.vN.html.j2 in {root}")
    number, name = found[-1]
    return f"v{number}", name


def escape(text: str) -> str:
    """Escape user text for Telegram's HTML parse mode, without bidi controls (``bot.core.bidi``)."""
    return html.escape(without_bidi_controls(text), quote=False)
