"""The development pseudonym key, kept in the data folder: no database, so ``make_env`` can read it cheaply.

``bot.research.pseudonyms`` re-exports these; it imports the research tables, which a command such as
``balint stats`` never needs.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEV_KEY_FILE = "pseudonym.key"


def dev_key(folder: Path) -> str:
    """Return the development key kept in ``folder/pseudonym.key``, creating it (mode 600) the first time."""
    path = folder / DEV_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


def data_folder(database_url: str) -> Path:
    """Return the data folder: the SQLite database's folder, else ``./data``."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and database_url != prefix + ":memory:":
        return Path(database_url.removeprefix(prefix)).parent
    return Path("data")
