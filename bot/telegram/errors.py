"""One error handler: the user gets a kind message, the log and the admin chat get the error.

A failed update is not offered again (the poller has moved past it), and its transaction was rolled back. So:

* a private text message is screened for safeguarding once more, in a fresh transaction, before anything
  else: if the failure hid a risk message, the student still gets the support reply and the facilitators the
  alert;
* the student is told plainly that the message wasn't kept and asked to send it again (it is still in their
  chat); a button press is answered so the button stops spinning;
* when the failure came *after* the message was stored (its replies couldn't be sent even after retrying,
  ``RepliesNotSent``), nothing is screened again (the alert went out already): the unsent replies are tried
  once more, and if that fails too the student is told the message arrived and needn't be sent again. Never
  "send it again": the resend would be kept as the answer to a question she never saw;
* a report goes to ADMIN_CHAT_ID, or to each of ADMIN_TELEGRAM_IDS when no admin chat is set. It holds the
  exception types and the code's frames, never an exception's message (a database error's message can hold
  the row it failed on), except Telegram's own error descriptions. The same failure is reported once per
  ten minutes, and at most ``GLOBAL_LIMIT`` reports go out per ten minutes in all;
* a 429 (``RetryAfter``, alone or as the cause of ``RepliesNotSent``) is Telegram asking us to slow down, not a
  bug: it is logged as one line (the chat and the wait), with no traceback and no report to the admins.
"""

from __future__ import annotations

import html
import logging
import time
import traceback
from dataclasses import dataclass, field

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.core.safety import safeguarding
from bot.telegram import safety_screen
from bot.telegram.context import db_of, env_of, person_of
from bot.telegram.send import RepliesNotSent, send_replies

log = logging.getLogger(__name__)

KIND_MESSAGE = (
    "Sorry — something went wrong on my side, and I couldn't keep that last message. It's still here in our "
    "chat: please send it again in a moment. If it keeps happening, let your tutor know."
)
RECEIVED_MESSAGE = (
    "Sorry — your last message reached me and is kept, but something went wrong while I was answering. "
    "There's no need to send it again: /status shows where we are."
)
KIND_TOAST = "Sorry, that didn't work. Please try again."
ADMIN_CHAT_KEY = "admin_chat_id"
LIMITER_KEY = "error_report_limiter"
WINDOW = 600.0  # seconds
GLOBAL_LIMIT = 10


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error, screen the message again, tell the user kindly, and post a report to the admins."""
    err = context.error
    flood = rate_limited(err)
    report = safe_traceback(err) if err is not None and flood is None else "(no exception)"
    if flood is not None:
        _log_rate_limited(update, err, flood)
    else:
        log.error("error while handling an update\n%s", report, extra={"event": "handler_error"})
    if isinstance(err, RepliesNotSent):
        await _send_late(context, err)
    elif isinstance(update, Update) and update.effective_chat is not None:
        await _screen_again(update, context)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(KIND_TOAST)
            await context.bot.send_message(update.effective_chat.id, KIND_MESSAGE)
        except TelegramError:
            log.warning("could not tell the user about the error", extra={"event": "error_reply_failed"})
    if err is not None and flood is None:
        await _tell_admins(update, context, err, report)


def rate_limited(err: BaseException | None) -> RetryAfter | None:
    """The 429 behind an error (itself, or the cause of ``RepliesNotSent``), if that is all it was."""
    if isinstance(err, RetryAfter):
        return err
    if isinstance(err, RepliesNotSent) and isinstance(err.__cause__, RetryAfter):
        return err.__cause__
    return None


def _log_rate_limited(update: object, err: BaseException | None, flood: RetryAfter) -> None:
    retry = flood.retry_after
    seconds = float(retry.total_seconds() if hasattr(retry, "total_seconds") else retry)
    chat = err.chat_id if isinstance(err, RepliesNotSent) else (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat is not None else None)
    log.warning("Telegram rate limit (429, retry after %gs) while answering chat %s: %s", seconds, chat,
                "the replies are tried once more" if isinstance(err, RepliesNotSent) else "the answer was not sent",
                extra={"event": "handler_rate_limited", "chat_id": chat, "retry_after": seconds})


async def _send_late(context: ContextTypes.DEFAULT_TYPE, err: RepliesNotSent) -> None:
    try:
        await send_replies(context.bot, err.chat_id, err.pending)
        return
    except TelegramError:
        log.warning("the replies to a stored update failed again", extra={"event": "late_reply_failed"})
    try:
        await context.bot.send_message(err.chat_id, RECEIVED_MESSAGE)
    except TelegramError:
        log.warning("could not tell the user their message was kept", extra={"event": "error_reply_failed"})


def safe_traceback(err: BaseException) -> str:
    """Format an exception chain as frames and type names only: no messages, so no bound values or user text."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__))).splitlines(keepends=True)
        frames = "".join(line for line in lines if line.strip(" ^~\n"))  # no ^^^^ markers: noise in a chat
        kind = f"{type(current).__module__}.{type(current).__qualname__}"
        if isinstance(current, TelegramError):  # Telegram's own wording, never the user's
            kind += f": {current.message}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind}\n")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\nThe above led to:\n\n".join(reversed(parts))


@dataclass
class ReportLimiter:
    """Say whether a report may go out: one per failure (type and place) per window, and a few in all."""

    window: float = WINDOW
    limit: int = GLOBAL_LIMIT
    last: dict[tuple[str, str], float] = field(default_factory=dict)
    held: dict[tuple[str, str], int] = field(default_factory=dict)
    sent: list[float] = field(default_factory=list)

    def admit(self, err: BaseException, now: float | None = None) -> tuple[bool, int]:
        """Return (send it?, how many like it were held back since the last one sent)."""
        now = time.monotonic() if now is None else now
        key = _signature(err)
        self.sent = [t for t in self.sent if now - t < self.window]
        seen = self.last.get(key)
        if (seen is not None and now - seen < self.window) or len(self.sent) >= self.limit:
            self.held[key] = self.held.get(key, 0) + 1
            return False, 0
        self.last[key] = now
        self.sent.append(now)
        return True, self.held.pop(key, 0)


def _signature(err: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(err.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return type(err).__qualname__, where


def _tail(report: str, limit: int = 3500) -> str:
    """Return the end of a report (the failure itself), cut at a line so a frame isn't half shown."""
    if len(report) <= limit:
        return report
    tail = report[-limit:]
    return "…\n" + tail[tail.find("\n") + 1:]


async def _screen_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.message or update.edited_message
    if msg is None or not msg.text or msg.chat.type != "private" or update.effective_user is None:
        return
    try:
        db, env, person, body = db_of(context), env_of(context), person_of(update), msg.text
        replies = await safety_screen.screened(update, context, body, lambda verdict: db.run(
            safeguarding.screen, env, person, body, verdict=verdict))
        await send_replies(context.bot, msg.chat_id, replies)
    except Exception:  # noqa: BLE001  the error handler must never fail; the log has it
        log.exception("safeguarding screen after an error failed", extra={"event": "rescreen_failed"})


async def _tell_admins(update: object, context: ContextTypes.DEFAULT_TYPE, err: BaseException, report: str) -> None:
    chats: list[int] = []
    admin_chat = context.bot_data.get(ADMIN_CHAT_KEY)
    if admin_chat:
        chats = [int(admin_chat)]
    else:
        try:
            chats = sorted(env_of(context).admin_ids)
        except (KeyError, AssertionError):
            chats = []
    if not chats:
        return
    limiter = context.bot_data.setdefault(LIMITER_KEY, ReportLimiter())
    send, held = limiter.admit(err)
    if not send:
        log.info("error report held back (rate limit)", extra={"event": "admin_alert_held"})
        return
    kind = type(update).__name__
    more = f" ({held} more like it held back)" if held else ""
    text = (f"<b>balintbot error</b> while handling a {html.escape(kind)}{more}\n"
            f"<pre>{html.escape(_tail(report))}</pre>")
    for chat in chats:
        try:
            await context.bot.send_message(chat, text)
        except TelegramError:
            log.warning("could not reach the admin chat", extra={"event": "admin_alert_failed"})
