"""HTTP control endpoints (``/_emu/...``) so a student can be scripted from another process.

=====================================  ========================================================
``POST /_emu/<action>`` (JSON kwargs)   student actions and faults: ``send_text``, ``edit_text``,
                                        ``press_button``, ``send_voice``, ``send_photo``,
                                        ``send_sticker``, ``send_document``, ``send_video``,
                                        ``send_location``, ``send_group_text``, ``add_user``,
                                        ``block_user``, ``unblock_user``, ``fail_next``,
                                        ``clear_faults``, ``set_limits``
``GET /_emu/messages?chat_id=&after=``  bot messages to a chat (records; bytes shown as sizes)
``GET /_emu/wait_message?chat_id=``     long-poll for the next bot message (``after``, ``timeout``)
``GET /_emu/state``                     pending updates, 429 count, webhook, callback answers
``GET /_emu/updates``                   every update created so far
=====================================  ========================================================

Example: ``curl -d '{"user_id": 1001, "text": "/start"}' http://127.0.0.1:8081/_emu/send_text``.
Binary ``data`` for send_photo/send_document/send_voice/send_video is given as ``data_b64``
(base64) or ``data`` (UTF-8 text).  Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "description": ...}`` with status 400 (bad arguments) or 408 (wait timed out).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .common import Upload
from .state import Profile

if TYPE_CHECKING:
    from .inspection import EmulatorInspection

ACTIONS = (
    "send_text",
    "edit_text",
    "press_button",
    "send_voice",
    "send_photo",
    "send_sticker",
    "send_document",
    "send_video",
    "send_location",
    "send_group_text",
    "add_user",
    "block_user",
    "unblock_user",
    "fail_next",
    "clear_faults",
    "set_limits",
)


def jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of emulator data (bytes and uploads are summarised)."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, Upload):
        return value.describe()
    if isinstance(value, Profile):  # add_user returns the new user: answer as Telegram describes a user
        return value.user_json()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": jsonable(result)})


def _fail(description: str, status: int = 400) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status)


def _int_query(request: web.Request, name: str, default: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        if default is None:
            raise ValueError(f"query parameter {name} is required")
        return default
    return int(raw)


def add_control_routes(app: web.Application, emu: EmulatorInspection) -> None:
    async def action(request: web.Request) -> web.Response:
        name = request.match_info["action"]
        if name not in ACTIONS:
            return _fail(f"unknown action {name!r}; known: {', '.join(ACTIONS)}", 404)
        try:
            kwargs = await request.json() if request.body_exists else {}
            if not isinstance(kwargs, dict):
                raise ValueError("the body must be a JSON object of keyword arguments")
            if "data_b64" in kwargs:
                kwargs["data"] = base64.b64decode(kwargs.pop("data_b64"))
            elif isinstance(kwargs.get("data"), str) and name != "press_button":
                kwargs["data"] = kwargs["data"].encode()
            return _ok(getattr(emu, name)(**kwargs))
        except (TypeError, ValueError) as exc:
            return _fail(f"{name}: {exc}")

    async def messages(request: web.Request) -> web.Response:
        try:
            chat_id, after = _int_query(request, "chat_id"), _int_query(request, "after", 0)
        except ValueError as exc:
            return _fail(str(exc))
        return _ok(emu.messages_to(chat_id)[after:])

    async def wait_message(request: web.Request) -> web.Response:
        try:
            chat_id = _int_query(request, "chat_id")
            after = _int_query(request, "after", len(emu.messages_to(chat_id)))
            timeout = float(request.query.get("timeout", "10"))
        except ValueError as exc:
            return _fail(str(exc))
        try:
            return _ok(await emu.wait_for_message(chat_id, timeout=timeout, after=after))
        except TimeoutError as exc:
            return _fail(str(exc), 408)

    async def state(request: web.Request) -> web.Response:
        hook = emu.webhook
        return _ok(
            {
                "pending_updates": emu.pending_updates(),
                "count_429": emu.count_429,
                "webhook": {"url": hook.url, "last_error_message": hook.last_error_message} if hook else None,
                "callback_answers": emu.callback_answers,
                "chats": sorted(emu.state.bot_records),
                "errors": emu.errors[-20:],
            }
        )

    async def updates(request: web.Request) -> web.Response:
        return _ok(emu.updates)

    app.router.add_get("/_emu/messages", messages)
    app.router.add_get("/_emu/wait_message", wait_message)
    app.router.add_get("/_emu/state", state)
    app.router.add_get("/_emu/updates", updates)
    app.router.add_post("/_emu/{action}", action)
