"""Facilitator commands in chat: parse, call the domain (which checks role and cohort), send what it says.

/sendnow and the announcement's Send button also start the sending at once (in the background), so the
facilitator does not wait for the next tick; everything else happens in the domain.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.ext.filters import BaseFilter

from bot.chat import commands
from bot.core.actions import Action
from bot.core.facilitator import facilitator
from bot.core.scheduling import send_now as send_now_service
from bot.telegram import handlers
from bot.telegram.context import BotApp, command_of, db_of, env_of, person_of
from bot.telegram.jobs import scheduler_of
from bot.telegram.send import send_after_commit

SEND_NOW_SETTLE = 60.0  # seconds a send-now waits for 429 retries before reporting

COMMANDS = {name: spec.entry for name, spec in commands.of_role(commands.FACILITATOR).items() if not spec.background}
BACKGROUND = [name for name, spec in commands.of_role(commands.FACILITATOR).items() if spec.background]  # /sendnow


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a facilitator command such as /cohorts or /stats."""
    msg = update.effective_message
    assert msg is not None
    name, args = command_of(update)
    replies = await db_of(context).run(COMMANDS[name], env_of(context), person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)
    scheduler = scheduler_of(context)
    if name == "schedule" and scheduler is not None:
        await scheduler.rebuild()  # a change takes effect now, not at the next tick


async def send_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sendnow: queue a week's prompt, send it through the dispatcher, then say how it went."""
    msg = update.effective_message
    assert msg is not None
    _, args = command_of(update)
    db, env = db_of(context), env_of(context)
    replies, queued = await db.run(facilitator.send_now, env, person_of(update), args)
    await send_after_commit(context.bot, msg.chat_id, replies)
    scheduler = scheduler_of(context)
    if queued is None or scheduler is None:
        return
    # the periodic dispatch may send some of them first (same dispatcher, so this waits for it): count from the
    # database afterwards, not from this run
    await scheduler.dispatcher.run_once(cohort_id=queued.cohort_id, settle=SEND_NOW_SETTLE)
    tally = await db.run(send_now_service.tally, queued)
    summary = facilitator.sent_summary(queued, tally)
    await send_after_commit(context.bot, msg.chat_id, [summary])


async def announce_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send / Cancel under an announcement: the usual button path, then start sending at once."""
    await handlers.button(update, context)
    scheduler = scheduler_of(context)
    if scheduler is not None:
        scheduler.kick()


def add_handlers(app: BotApp, flt: BaseFilter) -> None:
    """Register the facilitator commands (before the student commands and the catch-alls)."""
    added: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler(list(COMMANDS), command, filters=flt),
        # a send-now to a big cohort takes minutes: don't hold up everyone else's updates meanwhile
        CommandHandler(BACKGROUND, send_now, filters=flt, block=False),
        CallbackQueryHandler(announce_button, pattern=f"^{Action.ANNOUNCE.value}:"),
    ]
    for handler in added:
        app.add_handler(handler)
