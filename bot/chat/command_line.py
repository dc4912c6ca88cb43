"""The one parser of typed command lines ("/sendnow@balint_bot 3").

The Telegram handlers (students', facilitators', researchers', /ack, /circle, /start) and the terminal sandbox all
split commands here. It imports nothing of ours, so a transport loads it for free.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_COMMAND_LINE = re.compile(r"/([^\s@]+)(?:@\S*)?(?:\s+(.*))?", re.S)


class CommandLine(NamedTuple):
    name: str  # lower case, without the slash and the bot's @name
    args: str  # the rest, stripped; line breaks and spacing inside kept (an announcement's paragraphs)


def parse(text: str) -> CommandLine | None:
    """Split a typed command ("/sendnow@balint_bot 3") into its name and arguments; None for text that is none."""
    found = _COMMAND_LINE.fullmatch(text.strip())
    if found is None:
        return None
    return CommandLine(found.group(1).lower(), (found.group(2) or "").strip())
