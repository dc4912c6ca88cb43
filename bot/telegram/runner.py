"""Run the bot until SIGINT/SIGTERM: long polling (default) or webhook, with ``/healthz`` on HEALTH_PORT.

A stop (SIGTERM) claims nothing new, lets the messages in flight finish or hands them back within a few
seconds, and returns normally (exit 0). When updates stop coming for good (Telegram answers 401 to
``getUpdates``: the token is wrong or was revoked) one clear line is logged and :class:`BotStopped` is raised,
so the process exits non-zero instead of running on with no one answering.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web
from telegram.error import InvalidToken

from bot.config import Settings
from bot.core.context import Env
from bot.telegram import sending
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.context import BotApp
from bot.telegram.health import Health, start_server
from bot.telegram.polling import SafePoller
from bot.telegram.webhook import make_web_app
from storage.db import Database

log = logging.getLogger(__name__)

BAD_TOKEN = ("Telegram rejected the bot token (401 Unauthorized): TELEGRAM_BOT_TOKEN is wrong or was revoked; "
             "no update can be received, so the bot stops")


class BotStopped(Exception):
    """Updates stopped coming for good; the message was logged as one line."""


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    return stop


async def serve(settings: Settings, db: Database, env: Env, *, webhook: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Start the application and serve updates until stopped; raise BotStopped when updates stop for good."""
    if stop is None:  # run until SIGINT/SIGTERM; a caller that passes its own event stops us itself
        stop = _stop_on_signals()
    health = Health(db.url, mode="webhook" if webhook else "polling")
    health_runner = await start_server(health, settings.health_port)
    try:
        await _serve(settings, db, env, webhook=webhook, stop=stop, health=health)
    except InvalidToken:
        health.dead("401 Unauthorized")
        log.critical(BAD_TOKEN, extra={"event": "polling_dead"})
        raise BotStopped(BAD_TOKEN) from None
    finally:
        await health_runner.cleanup()
        health.close()


async def _serve(settings: Settings, db: Database, env: Env, *, webhook: bool, stop: asyncio.Event,
                 health: Health) -> None:
    app = build_application(settings, db, env)
    async with app:  # initialize() asks getMe: a bad token raises InvalidToken here
        if app.post_init is not None:  # run_polling would call it; we feed updates ourselves
            await app.post_init(app)
        await app.start()
        try:
            if webhook:
                await _serve_webhook(app, settings, db, stop, health)
            else:
                await _poll(app, stop, health)
        finally:
            await sending.stop(app)  # claim nothing new; in-flight sends finish or are handed back
            await app.stop()


async def _poll(app: BotApp, stop: asyncio.Event, health: Health) -> None:
    poller = SafePoller(app, allowed_updates=ALLOWED_UPDATES, on_alive=health.alive)
    task = asyncio.create_task(poller.run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    poller.stop()
    # the poller's grace for updates in hand and the sender's for messages in flight run side by side
    await asyncio.gather(task, sending.stop(app))  # re-raises InvalidToken when polling died


async def _serve_webhook(app: BotApp, settings: Settings, db: Database, stop: asyncio.Event,
                         health: Health) -> None:
    if not settings.webhook_url or settings.webhook_secret_token is None:
        raise SystemExit("Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN.")
    secret = settings.webhook_secret_token.get_secret_value()
    path = urlparse(settings.webhook_url).path or "/telegram"
    runner = web.AppRunner(make_web_app(app, db, secret=secret, path=path, health=health))
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=settings.webhook_port)  # noqa: S104  behind a proxy
    await site.start()
    await app.bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    health.alive()
    log.info("webhook listening on :%s%s", settings.webhook_port, path, extra={"event": "webhook_ready"})
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
