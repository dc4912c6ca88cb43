"""Bot API methods that do not create or change messages (those live in :mod:`.messages`).

Every handler is ``async def handler(state, params) -> result`` registered with :func:`api`; it
returns the ``result`` of a successful response or raises :class:`~.common.ApiError`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .common import ApiError, bad_request
from .state import EmuState, Webhook

Params = dict[str, Any]
Handler = Callable[[EmuState, Params], Awaitable[Any]]

# lower-case method name -> (canonical name, handler); Telegram method names are case-insensitive.
METHODS: dict[str, tuple[str, Handler]] = {}

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def api(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


# --------------------------------------------------------------------------- parameter helpers
def opt_int(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


def req_int(params: Params, name: str, missing: str) -> int:
    value = opt_int(params, name)
    if value is None:
        raise bad_request(missing)
    return value


def opt_str(params: Params, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def opt_bool(params: Params, name: str) -> bool:
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


def opt_json(params: Params, name: str) -> Any:
    """A parameter that is a JSON object/array (form bodies carry it as a JSON string)."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


# --------------------------------------------------------------------------- bot & updates
@api("getMe")
async def get_me(state: EmuState, params: Params) -> Any:
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api("getUpdates")
async def get_updates(state: EmuState, params: Params) -> Any:
    if state.webhook is not None:
        raise ApiError(409, _WEBHOOK_CONFLICT)
    offset = opt_int(params, "offset")
    limit = min(max(opt_int(params, "limit") or 100, 1), 100)
    timeout = max(float(params.get("timeout") or 0), 0.0)
    allowed = opt_json(params, "allowed_updates")
    if allowed is not None:
        state.allowed_updates = list(allowed) or None  # [] means "all the default types"
    state.poll_generation += 1
    generation = state.poll_generation
    state.updates_changed.notify()  # wakes an older poll still waiting, which then gets 409
    if offset:
        state.confirm(offset)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if state.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        if state.poll_generation != generation:
            raise ApiError(409, _POLL_CONFLICT)
        updates = state.available_updates(limit)
        remaining = deadline - loop.time()
        if updates or state.closing or remaining <= 0:
            return updates
        await state.updates_changed.wait(remaining)


@api("setWebhook")
async def set_webhook(state: EmuState, params: Params) -> Any:
    url = opt_str(params, "url") or ""
    if not url:
        return await delete_webhook(state, params)
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = opt_str(params, "secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    allowed = opt_json(params, "allowed_updates")
    if allowed is not None:
        state.allowed_updates = list(allowed) or None
    state.webhook = Webhook(
        url=url,
        secret_token=secret,
        max_connections=opt_int(params, "max_connections") or 40,
        ip_address=opt_str(params, "ip_address"),
    )
    if opt_bool(params, "drop_pending_updates"):
        state.drop_pending()
    state.updates_changed.notify()
    state.changed.notify()
    return True


@api("deleteWebhook")
async def delete_webhook(state: EmuState, params: Params) -> Any:
    state.webhook = None
    if opt_bool(params, "drop_pending_updates"):
        state.drop_pending()
    state.updates_changed.notify()
    state.changed.notify()
    return True


@api("getWebhookInfo")
async def get_webhook_info(state: EmuState, params: Params) -> Any:
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.pending),
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if state.allowed_updates:
            info["allowed_updates"] = list(state.allowed_updates)
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


@api("close")
async def close(state: EmuState, params: Params) -> Any:
    return True


@api("logOut")
async def log_out(state: EmuState, params: Params) -> Any:
    return True


# --------------------------------------------------------------------------- chats & settings
@api("getChat")
async def get_chat(state: EmuState, params: Params) -> Any:
    chat = state.resolve_chat(params.get("chat_id"))
    return state.chat_full_info(chat["id"])


@api("sendChatAction")
async def send_chat_action(state: EmuState, params: Params) -> Any:
    chat = state.resolve_chat(params.get("chat_id"))
    action = opt_str(params, "action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.check_not_blocked(chat["id"])
    state.chat_actions.append((chat["id"], action))
    state.changed.notify()
    return True


def _commands_key(params: Params) -> tuple[str, str]:
    scope = opt_json(params, "scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), opt_str(params, "language_code") or ""


@api("setMyCommands")
async def set_my_commands(state: EmuState, params: Params) -> Any:
    commands = opt_json(params, "commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request('parameter "commands" must be an array of up to 100 BotCommand')
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description must be 1-256 characters long")
    state.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@api("getMyCommands")
async def get_my_commands(state: EmuState, params: Params) -> Any:
    return list(state.commands.get(_commands_key(params), []))


@api("deleteMyCommands")
async def delete_my_commands(state: EmuState, params: Params) -> Any:
    state.commands.pop(_commands_key(params), None)
    return True


def _setting(name: str, field: str, limit: int) -> None:
    """Register the trivial ``setMyX`` / ``getMyX`` pair that stores one string per language."""

    async def setter(state: EmuState, params: Params) -> Any:
        value = opt_str(params, field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        state.bot_settings[f"{field}:{opt_str(params, 'language_code') or ''}"] = value
        return True

    async def getter(state: EmuState, params: Params) -> Any:
        return {field: state.bot_settings.get(f"{field}:{opt_str(params, 'language_code') or ''}", "")}

    api(f"set{name}")(setter)
    api(f"get{name}")(getter)


_setting("MyDescription", "description", 512)
_setting("MyShortDescription", "short_description", 120)
_setting("MyName", "name", 64)


# --------------------------------------------------------------------------- callbacks & files
@api("answerCallbackQuery")
async def answer_callback_query(state: EmuState, params: Params) -> Any:
    query_id = opt_str(params, "callback_query_id") or ""
    query = state.callback_queries.get(query_id)
    if query is None or query["answered"]:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = opt_str(params, "text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    state.callback_answers.append(
        {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": opt_bool(params, "show_alert"),
            "url": opt_str(params, "url"),
            "cache_time": opt_int(params, "cache_time"),
            "user_id": query["user_id"],
            "chat_id": query["chat_id"],
            "message_id": query["message_id"],
            "data": query["data"],
        }
    )
    state.changed.notify()
    return True


@api("getFile")
async def get_file(state: EmuState, params: Params) -> Any:
    stored = state.files.get(opt_str(params, "file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.get_file_json()
