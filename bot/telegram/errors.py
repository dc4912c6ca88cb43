"""One error handler: the user gets a kind message, the log and the admin chat get the error.

A failed update is not offered again (the poller has moved past it), and its transaction was rolled back. So:

* a private text message is screened for safeguarding once more, in a fresh transaction, before anything
  else: if the failure hid a risk message, the student still gets the support reply and the facilitators the
  alert;
* the student is told plainly that the message wasn't kept and asked to send it again (it is still in their
  chat); a button press is answered so the button stops spinning;
* the traceback goes to ADMIN_CHAT_ID, or to each of ADMIN_TELEGRAM_IDS when no admin chat is set. It holds
  the code's lines, never the message text.
"""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core import safeguarding
from bot.telegram import safety_screen
from bot.telegram.context import db_of, env_of, person_of
from bot.telegram.send import send_replies

log = logging.getLogger(__name__)

KIND_MESSAGE = (
    "Sorry — something went wrong on my side, and I couldn't keep that last message. It's still here in our "
    "chat: please send it again in a moment. If it keeps happening, let your tutor know."
)
KIND_TOAST = "Sorry, that didn't work. Please try again."
ADMIN_CHAT_KEY = "admin_chat_id"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error, screen the message again, tell the user kindly, and post the traceback to the admins."""
    err = context.error
    log.error("error while handling an update", exc_info=err, extra={"event": "handler_error"})
    if isinstance(update, Update) and update.effective_chat is not None:
        await _screen_again(update, context)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(KIND_TOAST)
            await context.bot.send_message(update.effective_chat.id, KIND_MESSAGE)
        except TelegramError:
            log.warning("could not tell the user about the error", extra={"event": "error_reply_failed"})
    if err is not None:
        await _tell_admins(update, context, err)


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


async def _tell_admins(update: object, context: ContextTypes.DEFAULT_TYPE, err: BaseException) -> None:
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
    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))[-3500:]
    kind = type(update).__name__
    text = f"<b>balintbot error</b> while handling a {html.escape(kind)}\n<pre>{html.escape(tb)}</pre>"
    for chat in chats:
        try:
            await context.bot.send_message(chat, text, parse_mode=ParseMode.HTML)
        except TelegramError:
            log.warning("could not reach the admin chat", extra={"event": "admin_alert_failed"})
