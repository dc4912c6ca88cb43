"""Safeguarding commands in chat: /ack [id] for facilitators, the safeguarding lead and admins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes
from telegram.ext.filters import BaseFilter

from bot.core import safeguarding
from bot.telegram.context import db_of, env_of, person_of
from bot.telegram.send import send_after_commit

COMMANDS = ("ack",)


async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge a safeguarding alert (/ack 12), or list the open ones (/ack)."""
    msg = update.effective_message
    assert msg is not None
    args = " ".join(context.args or [])
    replies = await db_of(context).run(safeguarding.ack_command, env_of(context), person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)


def add_handlers(app: Application, private: BaseFilter) -> None:  # type: ignore[type-arg]
    """Register /ack (a role command: before the student commands and the catch-alls)."""
    app.add_handler(CommandHandler("ack", ack, filters=private))
