"""Per-user flood control and message size limits, ahead of every other handler (group -1).

Each user may send ``FLOOD_MESSAGES_PER_MINUTE`` updates (messages, edits, button presses) in any sliding
minute. Past that, the first extra update is answered kindly and the rest of that minute's are dropped.

Dropped text is not silently lost, and distress is never missed:

* every dropped text (and every over-long one) is still screened for safeguarding: a student in crisis who
  types fast gets the support reply and their facilitator the alert, exactly as within the limit;
* the kind answer is a reply *to the first message that was not kept*, asking the student to send it, and
  anything after it, again in a minute. We ask rather than replay a queue later: a reflection is a
  conversation, and replaying messages a minute late, after the bot has moved on, would file them under the
  wrong question. A person writing a reflection stays far below the limit (30 a minute by default); what
  trips it is a script, a stuck key or a paste gone wrong, and for those "please resend" is the right answer.

Messages longer than ``MAX_TEXT_CHARS`` (Telegram's own limit; only a forged update can exceed it) are
refused with a kind word and not stored.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from telegram import ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.core.replies import Reply
from bot.core.safety import safeguarding
from bot.telegram import safety_screen
from bot.telegram.context import BotApp, db_of, env_of, person_of
from bot.telegram.send import send_replies

log = logging.getLogger(__name__)

GATE_KEY = "flood_gate"
WINDOW = 60.0
MAX_TEXT_CHARS = 4096

SLOW_DOWN = ("You're sending messages faster than I can keep up with, so I've stopped reading for a minute. "
             "I haven't kept this message, or any you send in the next minute: please send them again after "
             "that. Nothing before this one is affected.")
SLOW_DOWN_TOAST = "Too many taps at once. Please wait a minute and try again."
TOO_LONG = ("That message is longer than I can keep ({length} characters; the limit is {limit}). Could you send "
            "it in two or three parts?")


class Admission(Enum):
    ADMIT = "admit"
    WARN = "warn"  # the first update over the limit in this minute: answer kindly
    DROP = "drop"  # later ones: drop quietly


class FloodGate:
    """Counts each user's updates in a sliding window and says which to admit."""

    def __init__(self, per_minute: int, *, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = per_minute, window, clock
        self._seen: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}
        self._last_sweep = clock()

    def admit(self, user_id: int) -> Admission:
        """Count one update of this user and say what to do with it."""
        now = self.clock()
        self._sweep(now)
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            return Admission.ADMIT
        if self._warned_until.get(user_id, 0.0) > now:
            return Admission.DROP
        self._warned_until[user_id] = seen[0] + self.window  # until the oldest counted update leaves the window
        return Admission.WARN

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for uid in [u for u, q in self._seen.items() if not q or q[-1] <= now - self.window]:
            del self._seen[uid]
        for uid in [u for u, until in self._warned_until.items() if until <= now]:
            del self._warned_until[uid]


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update that is over the user's rate or too long; let everything else through."""
    user = update.effective_user
    if user is None:
        return
    gate: FloodGate = context.bot_data[GATE_KEY]
    msg = update.message or update.edited_message
    text = msg.text if msg is not None else None
    admission = gate.admit(user.id)
    too_long = text is not None and len(text) > MAX_TEXT_CHARS
    if admission is Admission.ADMIT and not too_long:
        return
    if text and update.effective_chat is not None and update.effective_chat.type == "private":
        # screened whatever happens next: the support reply and the alert never wait for the rate limit
        db, env, person = db_of(context), env_of(context), person_of(update)
        replies = await safety_screen.screened(update, context, text, lambda verdict: db.run(
            safeguarding.screen, env, person, text, verdict=verdict))
        await send_replies(context.bot, update.effective_chat.id, replies)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SLOW_DOWN_TOAST if admission is not Admission.ADMIT else None)
        elif msg is not None and too_long and admission is not Admission.DROP:
            await send_replies(context.bot, msg.chat_id,
                               [Reply(TOO_LONG.format(length=len(text or ""), limit=MAX_TEXT_CHARS))])
        elif msg is not None and admission is Admission.WARN:
            await context.bot.send_message(msg.chat_id, SLOW_DOWN, reply_parameters=ReplyParameters(
                msg.message_id, allow_sending_without_reply=True))
    except TelegramError as exc:
        log.warning("could not answer a flooding user: %s", exc, extra={"event": "flood_reply_failed"})
    log.info("update from %s stopped (%s%s)", user.id, admission.value, ", too long" if too_long else "",
             extra={"event": "flood_stop", "admission": admission.value})
    raise ApplicationHandlerStop


def install(app: BotApp, per_minute: int) -> None:
    """Put the gate in ``bot_data`` and its handler in group -1, before every other handler."""
    app.bot_data[GATE_KEY] = FloodGate(per_minute)
    app.add_handler(TypeHandler(Update, guard), group=-1)
