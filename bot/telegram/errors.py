"""One error handler: the user gets a kind message, the log and the admin chat get the error."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)

KIND_MESSAGE = (
    "Sorry — something went wrong on my side. What you sent has not been lost; please try again in a "
    "moment, and if it keeps happening, let your tutor know."
)
ADMIN_CHAT_KEY = "admin_chat_id"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error, tell the user kindly, and post the traceback to the admin chat."""
    err = context.error
    log.error("error while handling an update", exc_info=err, extra={"event": "handler_error"})
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer("Sorry, that didn't work. Please try again.")
            await context.bot.send_message(update.effective_chat.id, KIND_MESSAGE)
        except TelegramError:
            log.warning("could not tell the user about the error", extra={"event": "error_reply_failed"})
    admin_chat = context.bot_data.get(ADMIN_CHAT_KEY)
    if admin_chat and err is not None:
        tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))[-3500:]
        kind = type(update).__name__
        try:
            await context.bot.send_message(
                admin_chat, f"<b>balintbot error</b> while handling a {html.escape(kind)}\n<pre>{html.escape(tb)}</pre>",
                parse_mode=ParseMode.HTML,
            )
        except TelegramError:
            log.warning("could not reach the admin chat", extra={"event": "admin_alert_failed"})
