"""Researcher commands in chat: /code, /memo, /skip, /progress, the code buttons and quoted replies.

Thin: parse the update, call ``bot.research.chat`` (which checks the role for the item's study), send what it
says. /skip is registered here, ahead of the student commands, and the domain decides: the student's skip when a
reflection is open, otherwise the researcher's (see ``bot.research.chat``).
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.ext.filters import BaseFilter, MessageFilter

from bot.chat import commands, student
from bot.chat import research as chat_research
from bot.core.actions import Action
from bot.core.replies import Reply
from bot.research import chat, chat_quote
from bot.telegram.context import BotApp, command_of, db_of, env_of, person_of
from bot.telegram.send import keyboard, send_after_commit

log = logging.getLogger(__name__)

COMMANDS = commands.entries(commands.RESEARCHER)  # /code, /memo, /exemplar, /skip, /progress, /web
CODING_ACTIONS = "|".join(a.value for a in (Action.CODE_TOGGLE, Action.CODE_SEGMENT, Action.CODE_DONE))


class _ReplyToItem(MessageFilter):
    """A message replying to one of the bot's item messages (they begin ``Item #N ·``)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(replied is not None and replied.from_user is not None and replied.from_user.is_bot
                    and replied.text and chat.ITEM_HEADER.match(replied.text))


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a researcher command."""
    msg = update.effective_message
    assert msg is not None
    name, args = command_of(update)
    replies = await db_of(context).run(COMMANDS[name], env_of(context), person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def item_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply to an item: a quoted passage to code, or a memo."""
    msg = update.effective_message
    assert msg is not None and msg.text is not None and msg.reply_to_message is not None
    quote = msg.quote
    replies = await db_of(context).run(
        chat_quote.reply_to_item, env_of(context), person_of(update), replied_text=msg.reply_to_message.text or "",
        body=msg.text, quote=quote.text if quote else None, quote_position=quote.position if quote else None)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def hash_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message that is just ``#7``: open item 7 for a researcher (the domain passes anyone else's on)."""
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    replies = await db_of(context).run(chat_research.hash_message, env_of(context), person_of(update), msg.text,
                                       chat_id=msg.chat_id, message_id=msg.message_id)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def coding_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A code button: like every button, but a toggle also redraws the item's buttons in place."""
    query = update.callback_query
    assert query is not None
    outcome = await db_of(context).run(student.callback, env_of(context), person_of(update), query.data)
    await query.answer(outcome.toast)
    if query.message is not None:
        try:
            if outcome.edit_text is not None:
                await query.edit_message_text(outcome.edit_text)
            elif isinstance(outcome, chat.CodingOutcome) and outcome.buttons is not None:
                await query.edit_message_reply_markup(keyboard(Reply("", buttons=outcome.buttons)))
            elif not outcome.keep_buttons:
                await query.edit_message_reply_markup(None)
        except BadRequest as exc:  # "message is not modified" after a double tap: nothing to do
            if "not modified" not in str(exc).lower():
                raise
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await send_after_commit(context.bot, chat_id, outcome.replies)


def add_handlers(app: BotApp, flt: BaseFilter) -> None:
    """Register the researcher handlers (called from ``bot.telegram.app.add_handlers``, before the students')."""
    app.add_handler(CommandHandler(list(COMMANDS), command, filters=flt))
    app.add_handler(MessageHandler(flt & filters.TEXT & ~filters.COMMAND & _ReplyToItem(), item_reply))
    app.add_handler(MessageHandler(flt & filters.TEXT & ~filters.COMMAND & filters.Regex(chat_research.HASH_ITEM),
                                   hash_item))
    app.add_handler(CallbackQueryHandler(coding_button, pattern=rf"^({CODING_ACTIONS}):"))
