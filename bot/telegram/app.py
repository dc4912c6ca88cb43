"""Build the Application: services in ``bot_data``, handlers in ordered groups, jobs from the database."""

from __future__ import annotations

import gc
import logging
import socket

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.chat import commands
from bot.config import Settings
from bot.core import data_files
from bot.core.context import Env
from bot.core.delivery import delivery
from bot.core.delivery.dispatch import Dispatcher
from bot.telegram import (
    circles,
    facilitator_handlers,
    flood,
    handlers,
    jobs,
    research_handlers,
    safety_handlers,
    safety_jobs,
    sending,
)
from bot.telegram.context import DB_KEY, ENV_KEY, BotApp
from bot.telegram.errors import ADMIN_CHAT_KEY, on_error
from bot.telegram.http import AiohttpRequest
from bot.telegram.ratelimit import PerChatRateLimiter
from bot.telegram.send import TelegramSender
from storage.db import Database

log = logging.getLogger(__name__)

DISPATCHER_KEY = "dispatcher"
WORKER_KEY = "worker_id"

COMMANDS = [BotCommand(name, description) for name, description in commands.menu()]  # bot/chat/commands.py


async def _post_init(app: BotApp) -> None:
    me = await app.bot.get_me()
    env: Env = app.bot_data[ENV_KEY]
    env.bot_username = me.username or env.bot_username
    await app.bot.set_my_commands(COMMANDS)
    worker = app.bot_data.get(WORKER_KEY) or socket.gethostname()
    # claims this worker held when it last stopped (a crash between send and mark) are released now, not in
    # five minutes: what was in flight goes out again at once (at most one duplicate each, never a loss)
    await app.bot_data[DB_KEY].run(delivery.release_claims, worker)
    dispatcher = Dispatcher(app.bot_data[DB_KEY], env, TelegramSender(app.bot), worker=worker)
    app.bot_data[DISPATCHER_KEY] = dispatcher
    # one process sends for the whole token: this one, while it holds the send lease (bot/core/delivery/send_budget.py)
    sending.start(app, dispatcher)
    if app.job_queue is not None:
        await jobs.start(app, dispatcher)  # catch-up after downtime, week jobs from the database, the tick
    # start-up's objects (rules, templates, the schema) live as long as the process: keep the collector off them,
    # which also spares the exit a full collection of them (seconds on a busy machine; a stop must take < 5 s)
    gc.freeze()
    log.info("bot @%s ready", env.bot_username, extra={"event": "ready"})


def add_handlers(app: BotApp) -> None:
    """Register handlers. Order matters: group chats are answered before anything else looks at them,
    commands before free text, and the catch-all for unknown commands comes last."""
    private = filters.ChatType.PRIVATE
    new_msg = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.UpdateType.MESSAGES, handlers.group), group=0)
    app.add_handler(CommandHandler("start", handlers.start, filters=private & new_msg))
    # Role commands (facilitator, researcher, admin) are registered here, before the student commands and the
    # catch-alls below, each by its own module's add_handlers(app, private & new_msg).
    facilitator_handlers.add_handlers(app, private & new_msg)
    research_handlers.add_handlers(app, private & new_msg)  # its /skip defers to the student's when one is open
    safety_handlers.add_handlers(app, private & new_msg)
    circles.add_handlers(app, private & new_msg)  # its typed-message route hands non-circle text to the student's
    app.add_handler(CommandHandler(list(commands.of_role(commands.STUDENT)), handlers.student_command,
                                   filters=private & new_msg))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, handlers.edited))
    app.add_handler(MessageHandler(private & new_msg & filters.TEXT & ~filters.COMMAND, handlers.text))
    app.add_handler(MessageHandler(private & new_msg & filters.COMMAND, handlers.unknown))
    app.add_handler(MessageHandler(private & new_msg & ~filters.TEXT, handlers.not_text))
    app.add_error_handler(on_error)


def build_application(settings: Settings, db: Database, env: Env) -> BotApp:
    """Build the bot: the rate limiter keeps us under Telegram's limits, services live in bot_data."""
    assert settings.telegram_bot_token is not None
    data_files.load_all(institution=settings.safeguarding_institution or None)  # a missing rules file: fail now
    base = settings.telegram_api_base_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base)
        .base_file_url(base.removesuffix("/bot") + "/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML))  # every text the bot sends is Telegram HTML, escaped
        # Replies to a student's own message are not bulk sends: no overall cap on them (Telegram's ~30/s
        # applies to broadcasts, which the Dispatcher paces itself at 29/s). The limiter still keeps group
        # chats under 20/min and retries a 429 after its retry_after (bot/telegram/ratelimit.py).
        .rate_limiter(PerChatRateLimiter(max_retries=2))  # a 429 pauses its own chat, not every student
        # aiohttp instead of PTB's default httpx: half the CPU per Bot API call (see bot/telegram/http.py)
        .request(AiohttpRequest(connection_pool_size=64, pool_timeout=10.0))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .updater(None)  # bot.telegram.polling / webhook feed updates, confirming only what was handled
        .post_init(_post_init)
        .build()
    )
    app.bot_data[DB_KEY] = db
    app.bot_data[ENV_KEY] = env
    app.bot_data[ADMIN_CHAT_KEY] = settings.admin_chat_id
    app.bot_data[WORKER_KEY] = settings.worker_id
    add_handlers(app)
    flood.install(app, settings.flood_messages_per_minute)  # group -1: before every handler above
    safety_jobs.add_jobs(app, settings)
    return app


ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
