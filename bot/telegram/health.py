"""``/healthz``: is the process still taking updates, and can it reach its database? Answered within a second.

Polling is alive while the poller task runs and its last ``getUpdates`` came back recently (a long poll returns
at least every ``timeout`` seconds); a webhook is alive while its server runs and Telegram accepted it. The
database is pinged on a fresh connection with a short timeout and no retries (``storage.health``), in a thread,
and the whole probe is bounded again by ``asyncio.timeout`` so a hung socket can never hang the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from storage.health import ping, ping_engine

log = logging.getLogger(__name__)
DB_TIMEOUT = 0.8


class Health:
    """What ``/healthz`` reports; the poller or the webhook server tells it how it is doing."""

    def __init__(self, database_url: str, *, mode: str, stale_after: float = 60.0) -> None:
        self.mode = mode  # "polling" or "webhook"
        self.stale_after = stale_after
        self._engine = ping_engine(database_url, timeout=DB_TIMEOUT)
        self._last_ok: float | None = None
        self._dead: str | None = None

    def alive(self) -> None:
        """Note a successful getUpdates (or a webhook Telegram accepted)."""
        self._last_ok = time.monotonic()

    def dead(self, why: str) -> None:
        """Note that updates stopped coming for good."""
        self._dead = why

    def _transport(self) -> str:
        if self._dead is not None:
            return f"dead: {self._dead}"
        if self._last_ok is None:
            return "starting"
        if self.mode == "polling" and time.monotonic() - self._last_ok > self.stale_after:
            return f"stale: no getUpdates answer for {time.monotonic() - self._last_ok:.0f}s"
        return "ok"

    async def _database(self) -> str:
        try:
            async with asyncio.timeout(DB_TIMEOUT + 0.1):
                await asyncio.to_thread(ping, self._engine)
        except TimeoutError:
            return "unreachable: no answer within 1s"
        except Exception as exc:  # noqa: BLE001  the health check reports, it never raises
            return f"unreachable: {type(exc).__name__}"
        return "ok"

    async def report(self) -> tuple[int, dict[str, Any]]:
        """Return the HTTP status (200 or 503) and the JSON body."""
        transport, database = self._transport(), await self._database()
        ok = transport == "ok" and database == "ok"
        return (200 if ok else 503), {"status": "ok" if ok else "unhealthy", self.mode: transport,
                                      "database": database}

    def close(self) -> None:
        self._engine.dispose()


def add_route(web_app: web.Application, health: Health) -> None:
    """Serve ``GET /healthz`` from ``health`` on an aiohttp app."""

    async def healthz(_request: web.Request) -> web.Response:
        status, body = await health.report()
        return web.json_response(body, status=status)

    web_app.router.add_get("/healthz", healthz)


async def start_server(health: Health, port: int) -> web.AppRunner:
    """Serve ``/healthz`` on its own port (polling mode has no other HTTP server)."""
    web_app = web.Application()
    add_route(web_app, health)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()  # noqa: S104  probed from outside the container
    return runner
