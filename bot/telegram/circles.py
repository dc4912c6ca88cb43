"""Balint circles in the chat: /circle, the circle's buttons, typed posts, and the jobs that relay and pace them.

Handlers are thin: they call ``bot.chat.circles`` (which hands every non-circle message to the student's
own handling) and send what it returns. The relay job sends the circle outbox (``bot.core.circles.relay``), one
copy per member at a time in id order, so every chat shows the posts in the same order.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters
from telegram.ext.filters import BaseFilter

from bot.chat import circles as chat
from bot.core.circles import relay, week
from bot.core.circles.buttons import PATTERN
from bot.core.context import Env
from bot.core.delivery import delivery
from bot.core.delivery.dispatch import Dispatcher
from bot.core.delivery.send_budget import SendBudget
from bot.telegram import safety_screen
from bot.telegram.context import DB_KEY, ENV_KEY, BotApp, db_of, env_of, person_of
from bot.telegram.send import TelegramSender, keyboard, send_after_commit
from bot.telegram.sending import BUDGET_KEY
from storage.db import Database

log = logging.getLogger(__name__)

LOCK_KEY = "circles_lock"
DISPATCHER_KEY = "dispatcher"  # bot.telegram.app.DISPATCHER_KEY (app imports this module, so not imported here)
RELAY_EVERY, TICK_EVERY = 2.0, 20.0  # seconds; a post is also relayed right after it is stored
PACE = 1 / 25  # seconds between two relayed messages when there is no dispatcher's pacer to share
WORKER = f"circles:{socket.gethostname()}"


def _replied_to(msg: Message) -> int | None:
    """The id of the message this one replies to (a circle post to answer, or for the leader to remove)."""
    return msg.reply_to_message.message_id if msg.reply_to_message is not None else None


async def circle_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message: a circle post when its author is writing to the circle, else the student's as usual."""
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    db, env, person, body = db_of(context), env_of(context), person_of(update), msg.text
    replies = await safety_screen.screened(update, context, body, lambda verdict: db.run_grouped(
        chat.text, env, person, body, chat_id=msg.chat_id, message_id=msg.message_id, verdict=verdict,
        reply_to=_replied_to(msg)))
    kick(context.application)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def circle_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/circle [text|leave|next|close|remove|help]."""
    msg = update.effective_message
    assert msg is not None and msg.text is not None
    db, env, person = db_of(context), env_of(context), person_of(update)
    args = msg.text.partition(" ")[2]
    replies = await safety_screen.screened(update, context, args, lambda verdict: db.run_grouped(
        chat.command, env, person, args, chat_id=msg.chat_id, message_id=msg.message_id, verdict=verdict,
        reply_to=_replied_to(msg)))
    kick(context.application)
    await send_after_commit(context.bot, msg.chat_id, replies)


async def circle_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A circle button: a toast, the pressed message updated, then any replies."""
    query = update.callback_query
    assert query is not None
    message_id = query.message.message_id if query.message else 0
    chat_id = query.message.chat.id if query.message else query.from_user.id
    outcome = await db_of(context).run(chat.button, env_of(context), person_of(update), query.data,
                                       chat_id=chat_id, message_id=message_id)
    kick(context.application)
    try:
        await query.answer(outcome.toast)
        if query.message is not None and outcome.edit_text is not None:
            await query.edit_message_text(outcome.edit_text, parse_mode=ParseMode.HTML)
        elif query.message is not None and not outcome.keep_buttons:
            await query.edit_message_reply_markup(None)
    except TelegramError as exc:  # stored already: a failed toast or edit loses nothing
        log.info("could not update a circle button: %s", exc, extra={"event": "circle_button_edit_failed"})
    await send_after_commit(context.bot, chat_id, outcome.replies)


async def relay_once(app: BotApp) -> int:
    """Send every copy waiting in the circle outbox, member by member in order; return how many went out."""
    db: Database = app.bot_data[DB_KEY]
    env: Env = app.bot_data[ENV_KEY]
    budget = app.bot_data.get(BUDGET_KEY)
    if isinstance(budget, SendBudget) and not budget.holds():
        return 0  # one process sends for the whole token: the holder of the send lease relays (send_budget.py)
    dispatcher = app.bot_data.get(DISPATCHER_KEY)
    pacer = dispatcher.pacer if isinstance(dispatcher, Dispatcher) else None
    sender = TelegramSender(app.bot)
    sent = 0
    async with app.bot_data[LOCK_KEY]:
        while True:
            ids = await db.run(lambda s: relay.claim_heads(s, WORKER, env.clock.now()))
            if not ids:
                return sent
            for row_id in ids:
                out = await db.run(relay.outgoing, env, row_id)
                if out is None:
                    continue
                # the same pacer as weekly prompts and announcements: one budget of ~30 messages/s per token
                ticket = await pacer.slot() if pacer is not None else None
                if pacer is not None and ticket is None:
                    return sent  # stopping: the claim is released at the next start
                try:
                    if out.edit_of is not None:
                        await _edit(app, out)
                        message_id: int | None = out.edit_of
                    else:
                        message_id = await sender.send(out.chat_id, out.reply)
                except delivery.RetryLater as exc:
                    if pacer is not None:
                        pacer.hold(exc.seconds)
                    await db.run(relay.mark_failed, env, row_id, str(exc), retry_in=exc.seconds)
                    continue
                except delivery.Blocked as exc:
                    await db.run(relay.mark_failed, env, row_id, str(exc), give_up=True)
                    continue
                except delivery.SendError as exc:
                    await db.run(relay.mark_failed, env, row_id, str(exc))
                    continue
                finally:
                    if ticket is not None:
                        ticket.done()
                await db.run(relay.mark_sent, env, row_id, message_id)
                sent += 1
                if pacer is None:
                    await asyncio.sleep(PACE)


async def _edit(app: BotApp, out: relay.Outgoing) -> None:
    try:
        await app.bot.edit_message_text(out.reply.text, chat_id=out.chat_id, message_id=out.edit_of or 0,
                                        parse_mode=ParseMode.HTML, reply_markup=keyboard(out.reply))
    except BadRequest as exc:  # too old to edit, or deleted by the member: nothing left to show there
        log.info("could not edit a removed circle post: %s", exc, extra={"event": "circle_edit_failed"})


async def tick_once(app: BotApp) -> int:
    """Move every circle on by the clock, then relay what that said."""
    done = await app.bot_data[DB_KEY].run(week.tick, app.bot_data[ENV_KEY])
    await relay_once(app)
    return int(done)


def kick(app: BotApp) -> None:
    """Relay now, in the background (after a post or a button was stored)."""
    app.create_task(_safe(relay_once(app)))


async def _safe(work: object) -> None:
    try:
        await work  # type: ignore[misc]
    except Exception:  # noqa: BLE001  the job runs again in RELAY_EVERY seconds; the log has it
        log.exception("relaying circle posts failed", extra={"event": "circle_relay_failed"})


async def _relay_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _safe(relay_once(context.application))


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _safe(tick_once(context.application))


async def _release_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    # what this worker held when it last stopped goes out again now, not when the claims expire
    await context.application.bot_data[DB_KEY].run(relay.release_claims, WORKER)


def add_handlers(app: BotApp, flt: BaseFilter) -> None:
    """Register /circle, the circle buttons and the typed-message route (before the student's), and the jobs."""
    app.bot_data[LOCK_KEY] = asyncio.Lock()
    app.add_handler(CommandHandler("circle", circle_command, filters=flt))
    app.add_handler(CallbackQueryHandler(circle_button, pattern=PATTERN))
    app.add_handler(MessageHandler(flt & filters.TEXT & ~filters.COMMAND, circle_text))
    jq = app.job_queue
    if jq is not None:
        jq.run_once(_release_job, when=0, name="circles-release")
        jq.run_repeating(_relay_job, interval=RELAY_EVERY, first=1, name="circles-relay",
                         job_kwargs={"id": "circles-relay", "replace_existing": True})
        jq.run_repeating(_tick_job, interval=TICK_EVERY, first=1, name="circles-tick",
                         job_kwargs={"id": "circles-tick", "replace_existing": True})
