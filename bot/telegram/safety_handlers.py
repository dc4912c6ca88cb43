"""Safeguarding commands and buttons in chat: /ack [id] for staff, the check-in answers for students.

(A message at risk that must not wait for the database: bot/telegram/safety_screen.py.)
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.ext.filters import BaseFilter

from bot.chat import commands
from bot.core.actions import Action
from bot.core.safety import safeguarding
from bot.telegram import safety_jobs
from bot.telegram.context import BotApp, command_of, db_of, env_of, person_of
from bot.telegram.handlers import button
from bot.telegram.send import send_after_commit


async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge a safeguarding alert (/ack 12), or list the open ones (/ack)."""
    msg = update.effective_message
    assert msg is not None
    args = command_of(update).args
    replies = await db_of(context).run(safeguarding.ack_command, env_of(context), person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def check_in_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a check-in button (as every button is answered), then send any alert it raised at once."""
    await button(update, context)
    safety_jobs.kick(context)


def add_handlers(app: BotApp, private: BaseFilter) -> None:
    """Register /ack (a role command: before the student commands and the catch-alls) and the check-in buttons."""
    app.add_handler(CommandHandler(list(commands.of_role(commands.STAFF)), ack, filters=private))  # /ack
    app.add_handler(CallbackQueryHandler(check_in_answer, pattern=f"^{Action.CHECK_IN.value}:"))
