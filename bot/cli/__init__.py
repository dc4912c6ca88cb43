"""The ``balint`` command line: parse, call the domain, print. Typer lives here and nowhere else.

``main`` holds the app and mounts the other modules' commands; ``common`` what they share. ``app`` is looked up
when asked for (the ``balint`` script does ``from bot.cli import app``), so importing one module of this package
never imports them all.
"""

from __future__ import annotations

import os
from typing import Any

# Plain help and usage errors: Typer's rich formatting costs about 0.2 s of imports on every --help (issue 16's goal
# is 0.3 s). Set TYPER_USE_RICH=1 for the boxed help. Must run before typer is imported.
os.environ.setdefault("TYPER_USE_RICH", "0")


def __getattr__(name: str) -> Any:
    if name == "app":
        from bot.cli.main import app

        return app
    raise AttributeError(f"module 'bot.cli' has no attribute {name!r}")
