"""``python -m bot.cli …``: the same as ``balint …``."""

import sys

from bot.cli.main import app

sys.exit(app())
