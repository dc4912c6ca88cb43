"""Run the bot until SIGINT/SIGTERM: long polling (default) or webhook."""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import urlparse

from aiohttp import web

from bot.config import Settings
from bot.core.context import Env
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.polling import SafePoller
from bot.telegram.webhook import make_web_app
from storage.db import Database

log = logging.getLogger(__name__)


async def serve(settings: Settings, db: Database, env: Env, *, webhook: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Start the application and serve updates until stopped."""
    if stop is None:  # run until SIGINT/SIGTERM; a caller that passes its own event stops us itself
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
                pass
    app = build_application(settings, db, env)
    async with app:
        if app.post_init is not None:  # run_polling would call it; we feed updates ourselves
            await app.post_init(app)
        await app.start()
        try:
            if webhook:
                await _serve_webhook(app, settings, db, stop)
            else:
                poller = SafePoller(app, allowed_updates=ALLOWED_UPDATES)
                task = asyncio.create_task(poller.run())
                await stop.wait()
                poller.stop()
                await task
        finally:
            await app.stop()


async def _serve_webhook(app, settings: Settings, db: Database, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    if not settings.webhook_url or settings.webhook_secret_token is None:
        raise SystemExit("Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN.")
    secret = settings.webhook_secret_token.get_secret_value()
    path = urlparse(settings.webhook_url).path or "/telegram"
    runner = web.AppRunner(make_web_app(app, db, secret=secret, path=path))
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=settings.webhook_port)  # noqa: S104  behind a proxy
    await site.start()
    await app.bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    log.info("webhook listening on :%s%s", settings.webhook_port, path, extra={"event": "webhook_ready"})
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
