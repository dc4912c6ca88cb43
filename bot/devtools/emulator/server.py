"""``BotAPIEmulator``: an aiohttp server on 127.0.0.1 that speaks Telegram's Bot API.

The real python-telegram-bot ``Application`` talks to it over HTTP (long polling or webhook), while
the test acts as the students (see :mod:`.students`) and inspects what the bot sent.  See the package
docstring of :mod:`bot.devtools.emulator` for an overview and examples.
"""

# ruff: noqa: ASYNC109  (the waiting helpers deliberately take a `timeout` argument)
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from . import messages as _messages  # noqa: F401  (registers the sending/editing methods)
from .common import ApiError, FaultInjector, RateLimiter, Upload, bad_request, now
from .control import add_control_routes
from .inspection import EmulatorInspection
from .methods import METHODS
from .state import EmuState, Webhook
from .users import EmuUser

# Form/multipart fields whose values are plain strings; every other field is JSON-encoded by PTB.
_STRING_FIELDS = frozenset(
    "text caption parse_mode quote_parse_mode callback_query_id inline_message_id url secret_token action "
    "description short_description name language_code file_id document photo audio video voice sticker "
    "animation thumbnail ip_address title emoji business_connection_id message_effect_id".split()
)


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters of a Bot API request: query string plus JSON, urlencoded or multipart body."""
    params: dict[str, Any] = {k: _decode_form_value(k, v) for k, v in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            if part.filename is not None:
                mime = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "application/octet-stream")
                params[part.name] = Upload(part.filename, mime, bytes(await part.read()))
            else:
                params[part.name] = _decode_form_value(part.name, await part.text())
    else:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = _decode_form_value(name, str(value))
    return params


class BotAPIEmulator(EmulatorInspection):
    """An emulated Telegram Bot API server (start it with ``await emu.start()``)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "balint_test_bot",
        enforce_limits: bool = False,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
    ) -> None:
        self.token = token
        self.host = "127.0.0.1"
        self.state = EmuState(token, bot_username)
        self.faults = FaultInjector()
        # awaited before a call is answered: a test can hold one call (say, to SIGKILL the bot while it waits)
        self.before_call: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
        self.count_429 = 0
        self.errors: list[tuple[str, int, str]] = []  # (method, error_code, description) of error responses
        self.webhook_attempts: list[dict[str, Any]] = []
        self.webhook_retry_delay = 0.05  # doubles per failed attempt, up to 1 s
        self.webhook_timeout = 5.0
        self.set_limits(enforce_limits, global_rate=global_rate, per_chat_rate=per_chat_rate)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._port = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> BotAPIEmulator:
        """Listen on 127.0.0.1:``port`` (0 = any free port); returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, port).start()
        self._port = self._runner.addresses[0][1]
        self.state.closing = False
        self._session = aiohttp.ClientSession()
        self._delivery = asyncio.create_task(self._deliver_webhooks(), name="emulator-webhook-delivery")
        return self

    async def stop(self) -> None:
        """Answer waiting long polls, stop webhook delivery and close the server."""
        if self._runner is None:
            return
        self.state.closing = True
        self.state.updates_changed.notify()
        self.state.changed.notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        await self._runner.cleanup()
        self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> BotAPIEmulator:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"http://{self.host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"http://{self.host}:{self._port}/file/bot"

    @property
    def control_url(self) -> str:
        """Root of the ``/_emu/...`` control endpoints (students from another process)."""
        return f"http://{self.host}:{self._port}/_emu"

    def set_limits(self, enforce: bool, *, global_rate: float = 30.0, per_chat_rate: float = 1.0) -> None:
        """Switch flood control on/off (resets the sliding windows)."""
        self.enforce_limits = enforce
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.state.limiter = RateLimiter(global_rate, per_chat_rate) if enforce else None

    # ------------------------------------------------------------------ HTTP handlers
    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        entry = METHODS.get(request.match_info["method"].lower())
        if entry is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return web.json_response(body, status=404)
        name, handler = entry
        try:
            params = await read_params(request)
            self.state.calls.append((name, params))
            if self.before_call is not None:
                await self.before_call(name, params)
            fault = self.faults.take(name, params.get("chat_id"))
            if fault is not None:
                raise fault
            result = await handler(self.state, params)
        except ApiError as exc:
            if request.transport is None:  # e.g. an abandoned long poll: nobody sees this answer
                return web.json_response(exc.to_json(), status=exc.error_code)
            self.errors.append((name, exc.error_code, exc.description))
            if exc.error_code == 429:
                self.count_429 += 1
            self.state.changed.notify()
            return web.json_response(exc.to_json(), status=exc.error_code)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self.state.files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None or stored.data is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ webhook delivery
    async def _deliver_webhooks(self) -> None:
        """POST pending updates one by one to the webhook; a failed POST is retried (with backoff)."""
        delay = self.webhook_retry_delay
        while not self.state.closing:
            hook = self.state.webhook
            batch = self.state.available_updates(1) if hook is not None else []
            if hook is None or not batch:
                await self.state.updates_changed.wait(60.0)
                continue
            update = batch[0]
            error = await self._post_update(hook, update)
            self.webhook_attempts.append({"update_id": update["update_id"], "url": hook.url, "error": error})
            if error is None:
                if self.state.webhook is hook:
                    self.state.confirm(update["update_id"] + 1)
                delay = self.webhook_retry_delay
            else:
                hook.last_error_date, hook.last_error_message = now(), error
                self.state.changed.notify()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _post_update(self, hook: Webhook, update: dict[str, Any]) -> str | None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        try:
            async with self._session.post(
                hook.url, data=json.dumps(update), headers=headers, timeout=timeout
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc!r}"

    # ------------------------------------------------------------------ test controls
    def user(
        self,
        user_id: int,
        first_name: str = "Student",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> EmuUser:
        """A student helper bound to ``user_id`` (registers the profile)."""
        self.add_user(user_id, first_name, username, last_name=last_name, language_code=language_code)
        return EmuUser(self, user_id)

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (optionally only for ``chat_id``) with an error.

        ``description`` defaults to Telegram's wording for the code; 429 gets ``retry_after`` (default 1).
        """
        self.faults.add(
            method,
            chat_id=chat_id,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            times=times,
        )

    def clear_faults(self) -> None:
        self.faults.clear()
