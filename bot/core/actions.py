"""Callback data: a short prefix naming the action, then integer arguments; validated on the way in.

Buttons carry ids, never trust: every handler checks the id belongs to the person who pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# Row ids are 32-bit in PostgreSQL: a forged 20-digit id must be refused here, not overflow in the driver.
MAX_ARG = 2**31 - 1
_ARG = re.compile(r"[0-9]{1,10}")  # ASCII digits only: int() would also take "+3", "1_0" and "１"


class Action(StrEnum):
    CONSENT_PARTICIPATE = "cp"  # args: enrolment id, 1/0
    CONSENT_RESEARCH = "cr"  # args: enrolment id, 1/0
    WITHDRAW = "wd"  # args: enrolment id, 1 = confirm / 0 = cancel
    NO_ENCOUNTER = "ne"  # args: reflection session id
    START_WITH_PENDING = "sp"  # args: enrolment id, 1/0
    DELETE = "dl"  # args: user id, 1/0
    ACK_ALERT = "ak"  # args: alert id
    CODE_TOGGLE = "ct"  # args: item id, code id
    CODE_SEGMENT = "cs"  # args: item id, code id
    CODE_DONE = "cd"  # args: item id
    SCHEDULE = "sc"  # args: cohort id, field number
    ANNOUNCE = "an"  # args: announcement id, 1 = send / 0 = cancel
    CHECK_IN = "ci"  # args: check-in id (0: asked while the database was away), 1 safe / 2 unsure / 3 not safe


ARG_COUNT = {
    Action.CONSENT_PARTICIPATE: 2, Action.CONSENT_RESEARCH: 2, Action.WITHDRAW: 2,
    Action.NO_ENCOUNTER: 1, Action.START_WITH_PENDING: 2, Action.DELETE: 2, Action.ACK_ALERT: 1,
    Action.CODE_TOGGLE: 2, Action.CODE_SEGMENT: 2, Action.CODE_DONE: 1, Action.SCHEDULE: 2,
    Action.ANNOUNCE: 2, Action.CHECK_IN: 2,
}


@dataclass(frozen=True)
class Callback:
    action: Action
    args: tuple[int, ...]


def encode(action: Action, *args: int) -> str:
    """Build callback data such as ``cp:12:1``."""
    if len(args) != ARG_COUNT[action]:
        raise ValueError(f"{action} takes {ARG_COUNT[action]} arguments")
    data = ":".join([action.value, *(str(int(a)) for a in args)])
    assert len(data.encode()) <= 64
    return data


def decode(data: str | None) -> Callback | None:
    """Parse callback data; None for anything malformed or forged."""
    if not data or len(data) > 64:
        return None
    head, *rest = data.split(":")
    try:
        action = Action(head)
    except ValueError:
        return None
    if not all(_ARG.fullmatch(a) for a in rest):
        return None
    args = tuple(int(a) for a in rest)
    if len(args) != ARG_COUNT[action] or any(a > MAX_ARG for a in args):
        return None
    return Callback(action, args)
