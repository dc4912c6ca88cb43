"""Student handlers: parse the update, call the domain, send what it says. No SQL here."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.chat import commands, student, welcome
from bot.core.replies import Reply
from bot.telegram import safety_screen
from bot.telegram.context import command_of, db_of, env_of, person_of
from bot.telegram.send import send_after_commit, send_replies

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Join from a deep link (/start CODE) or greet."""
    msg = update.effective_message
    assert msg is not None
    payload = next(iter(command_of(update).args.split()), None)  # a deep link's code is one word
    replies = await db_of(context).run(welcome.start, env_of(context), person_of(update), payload)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def student_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a student command such as /status or /skip."""
    msg = update.effective_message
    assert msg is not None
    name, args = command_of(update)
    entry = commands.entries(commands.STUDENT)[name]  # the one table: /help is rendered from it
    replies = await db_of(context).run(entry, env_of(context), person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take a typed message: a reflection reply, an invite code, or something to answer kindly."""
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    db, env, person, body = db_of(context), env_of(context), person_of(update), msg.text
    replies = await safety_screen.screened(update, context, body, lambda verdict: db.run_grouped(
        student.text, env, person, body, chat_id=msg.chat_id, message_id=msg.message_id, verdict=verdict))
    await send_after_commit(context.bot, msg.chat_id, replies)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep an edited reply as a new version."""
    msg = update.edited_message
    assert msg is not None
    if not msg.text:
        return
    db, env, person, body = db_of(context), env_of(context), person_of(update), msg.text
    replies = await safety_screen.screened(update, context, body, lambda verdict: db.run_grouped(
        student.edited, env, person, body, chat_id=msg.chat_id, message_id=msg.message_id, verdict=verdict))
    await send_after_commit(context.bot, msg.chat_id, replies)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press: a toast, the pressed message updated, then any replies."""
    query = update.callback_query
    assert query is not None
    outcome = await db_of(context).run(student.callback, env_of(context), person_of(update), query.data)
    # The press is stored by now: a toast or an edit that fails (a double tap edits to the same text, an old
    # query can't be answered) must not be reported as if the press were lost.
    try:
        await query.answer(outcome.toast)
    except TelegramError as exc:
        log.info("could not answer a button press: %s", exc, extra={"event": "callback_answer_failed"})
    try:
        if query.message is not None and outcome.edit_text is not None:
            await query.edit_message_text(outcome.edit_text)
        elif query.message is not None and not outcome.keep_buttons:
            await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        if not (isinstance(exc, BadRequest) and "not modified" in exc.message.lower()):
            log.warning("could not update the pressed message: %s", exc, extra={"event": "callback_edit_failed"})
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await send_after_commit(context.bot, chat_id, outcome.replies)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Voice notes, photos, stickers, files: explain kindly that only text is kept."""
    msg = update.effective_message
    assert msg is not None
    await send_replies(context.bot, msg.chat_id, [Reply(student.NON_TEXT_REPLY)])


async def group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything in a group chat: point to the private chat."""
    msg = update.effective_message
    if msg is not None:
        await send_replies(context.bot, msg.chat_id, [Reply(student.GROUP_REPLY)])


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command nobody handles."""
    msg = update.effective_message
    assert msg is not None
    await send_replies(context.bot, msg.chat_id, student.unknown_command(command_of(update).name))

