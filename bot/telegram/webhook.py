"""Webhook mode: an aiohttp server that handles each update before answering Telegram.

Telegram re-sends an update until it gets a 2xx, so handling (and storing) before replying 200 means a crash
mid-update loses nothing. Every request must carry the secret token; ``/healthz`` reports the database too.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.telegram.context import BotApp
from bot.telegram.health import Health, add_route
from bot.telegram.lanes import ChatLanes
from storage.db import Database

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_web_app(app: BotApp, db: Database, *, secret: str, path: str = "/telegram",
                 health: Health | None = None) -> web.Application:
    """Build the aiohttp app: POST ``path`` for updates, GET /healthz for the load balancer."""
    lanes = ChatLanes(app.process_update)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request with a wrong secret token", extra={"event": "webhook_forbidden"})
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="bad request")
        update = Update.de_json(data, app.bot)
        if update is None:
            return web.Response(status=400, text="bad request")
        await lanes.submit(update)  # in order within its chat, beside other chats; answered once handled
        return web.Response(status=200, text="ok")

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(path, receive)
    if health is None:  # a test that builds the app alone: the database only
        health = Health(db.url, mode="webhook")
        health.alive()
    add_route(web_app, health)
    return web_app
