"""The facilitator's and the researcher's part in the terminal, on the demo placement (``balint demo``).

``balint sandbox --as facilitator``: you are Dr Demo, facilitator of the demo cohort: /cohorts, /stats (the
chart is saved as a PNG here), /schedule, /preview 3, /announce …, /sendnow, /ack.
``balint sandbox --as researcher``: you are coder C1 of the demo study: /code shows the next de-identified
reflection with the codebook as numbered buttons, /memo, /skip, /progress. The same domain functions as the chat.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from bot import demo
from bot.chat import commands
from bot.core.context import Env, Person
from bot.core.delivery import delivery
from bot.core.facilitator import facilitator
from bot.core.replies import Reply
from bot.core.scheduling import send_now as send_now_service
from bot.sandbox import Sandbox, loop
from storage.db import Database

ROLES = ("student", "facilitator", "researcher", "circle")


def _send_now(session: Session, env: Env, person: Person, args: str) -> list[Reply]:
    """/sendnow in the sandbox: queue as in chat, then "send" here (no student is on this terminal)."""
    replies, queued = facilitator.send_now(session, env, person, args)
    if queued is None:
        return replies
    for n, delivery_id in enumerate(delivery.claim(session, env, "sandbox", cohort_id=queued.cohort_id)):
        if delivery.prepare(session, env, delivery_id) is not None:
            delivery.mark_sent(session, env, delivery_id, 50_000 + n)
    return [*replies, facilitator.sent_summary(queued, send_now_service.tally(session, queued))]


# as the chat answers them (bot/chat/commands.py), but /sendnow "sends" here
FACILITATOR_COMMANDS = {**commands.entries(commands.FACILITATOR, commands.STAFF, sandbox=True), "sendnow": _send_now}
RESEARCHER_COMMANDS = commands.entries(commands.RESEARCHER, sandbox=True)

INTRO = {
    "facilitator": (
        "balintbot sandbox — the facilitator's console on the demo placement (no Telegram, nothing leaves this "
        "machine).\nYou are Dr Demo, facilitator of “Demo psychiatry placement”: six weeks done, 12 students.\n"
        "Try /cohorts, /stats (the chart is saved here as a PNG), /schedule, /preview 3, "
        "/announce Group on Thursday is in room 4, /help. Press a button by typing its number; /quit leaves.\n"),
    "researcher": (
        "balintbot sandbox — coding in chat on the demo study (no Telegram, nothing leaves this machine).\n"
        "You are coder C1 of “Demo study”; C2 has coded the first twelve items already, blind to you.\n"
        "/code shows the next reflection (de-identified) with the codes as numbered buttons: type a number to "
        "apply or remove a code, and the Done button's number to finish the item. /memo, /skip, /progress; "
        "/quit leaves. Afterwards: balint research agreement.\n"),
}


def run_role_sandbox(role: str, db: Database, env: Env, *, input_lines: Callable[[], str] = input,
                     out: TextIO = sys.stdout, files: Path | None = None) -> bool:
    """Run the facilitator's or researcher's sandbox on the demo; False when there is no demo to run on."""
    if not demo.exists(db):
        return False
    person = demo.FACILITATOR if role == "facilitator" else demo.CODER_1
    commands = FACILITATOR_COMMANDS if role == "facilitator" else RESEARCHER_COMMANDS
    box = Sandbox(db, env, person, out, color=out.isatty(), commands=commands, files=files)
    out.write(INTRO[role])
    loop(box, input_lines, out, prompt=f"{role}> ")
    return True
