"""What a codings file holds once read (:class:`Loaded`) and how reading one fails (:class:`AgreementInputError`).

Shared by the CSV reader (``bot.research.agreement.io``) and the REFI-QDA reader (``bot.research.agreement.qdpx``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.research.agreement import Coding

MAX_INPUT_BYTES: Final = 256 * 1024 * 1024
MAX_REPORTED_PROBLEMS: Final = 10
PROJECT_NS_PREFIX: Final = "urn:QDA-XML:project:"
ITEMS_VARIABLE: Final = "balintbot items"  # our .qdpx: JSON list of the items (steps) in each source
COMPLETE_STATUSES: Final = frozenset({"agreed", "disagreement", "settled"})


class AgreementInputError(ValueError):
    """A codings file that cannot be read; the message names the file and what is wrong, for people."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


@dataclass
class Loaded:
    """What a codings file holds. Our own exports also say who finished each item (``reviewed``) and which
    items every coder finished (``items``), and a ``.qdpx`` names its whole codebook (``codes``)."""

    codings: list[Coding]
    lengths: dict[str, int]
    reviewed: dict[str, list[str]] | None = None
    items: list[str] | None = None
    codes: list[str] | None = None
    coders: list[str] | None = None  # our own exports: the coders who finished anything


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise AgreementInputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise AgreementInputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 62, key)
