"""Callback data of circle buttons: ``cx:VERB:id[:value]``, validated like ``bot.core.actions``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core.actions import MAX_ARG
from bot.core.replies import Button

PREFIX = "cx"
PATTERN = r"^cx:"
_ARG = re.compile(r"[0-9]{1,10}")


class Verb(StrEnum):
    JOIN = "j"  # member id, 1 join / 0 not now
    VOLUNTEER = "v"  # week id
    ROTATION = "r"  # week id, 1 yes / 0 not this week
    CONFIRM_CASE = "c"  # week id
    EDIT_CASE = "e"  # week id
    WRITE = "w"  # circle id
    NEXT_PHASE = "n"  # week id


ARGS = {Verb.JOIN: 2, Verb.VOLUNTEER: 1, Verb.ROTATION: 2, Verb.CONFIRM_CASE: 1, Verb.EDIT_CASE: 1, Verb.WRITE: 1,
        Verb.NEXT_PHASE: 1}


@dataclass(frozen=True)
class Press:
    verb: Verb
    args: tuple[int, ...]


def button(label: str, verb: Verb, *args: int) -> Button:
    """Build a circle button."""
    assert len(args) == ARGS[verb]
    return Button(label, ":".join([PREFIX, verb.value, *(str(int(a)) for a in args)]))


def parse(data: str | None) -> Press | None:
    """Read circle callback data; None for anything malformed or forged."""
    if not data or len(data) > 64:
        return None
    head, *rest = data.split(":")
    if head != PREFIX or not rest:
        return None
    try:
        verb = Verb(rest[0])
    except ValueError:
        return None
    if not all(_ARG.fullmatch(a) for a in rest[1:]):
        return None
    args = tuple(int(a) for a in rest[1:])
    if len(args) != ARGS[verb] or any(a > MAX_ARG for a in args):
        return None
    return Press(verb, args)
