"""Everything the emulated Bot API server knows: users, chats, messages, files and the update queue.

Bot messages are kept as *records* (plain dicts, see :meth:`EmuState.add_bot_record`) that tests
inspect; :meth:`EmuState.bot_message_json` turns a record into the Telegram ``Message`` object that
the bot receives.  Messages sent by emulated users are stored directly as Telegram JSON.
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .common import ApiError, Notifier, RateLimiter, bad_request, now

# Prefixes of real Telegram file_ids, so ids look plausible in logs.
_FILE_ID_PREFIX = {
    "photo": "AgAC",
    "document": "BQAC",
    "voice": "AwAC",
    "video": "BAAC",
    "sticker": "CAAC",
    "audio": "CQAC",
}
_ACCEPTED_GIFT_TYPES = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


@dataclass
class Profile:
    """An emulated Telegram user (a student)."""

    user_id: int
    first_name: str = "Student"
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"

    def user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def private_chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class StoredFile:
    """A file known to the server: uploaded by the bot, sent by a user, or referenced by URL."""

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0

    def base_json(self) -> dict[str, Any]:
        """The fields every Telegram file object has (``file_id``, ``file_unique_id``, ``file_size``)."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": self.size}

    def get_file_json(self) -> dict[str, Any]:
        return {**self.base_json(), "file_path": self.file_path}


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)


class EmuState:
    """Mutable server state.  All access happens on the emulator's event loop."""

    def __init__(self, token: str, bot_username: str) -> None:
        self.token = token
        bot_id = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": "Test Bot",
            "username": bot_username,
        }
        self.profiles: dict[int, Profile] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.user_messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat -> message_id -> Message
        self.bot_records: dict[int, list[dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}

        self.pending: list[dict[str, Any]] = []  # unconfirmed updates, oldest first
        self.update_log: list[dict[str, Any]] = []  # every update ever created
        self.next_update_id = 100_000_001
        self.allowed_updates: list[str] | None = None
        self.poll_generation = 0  # bumped by every getUpdates; an older waiting poll then gets 409
        self.webhook: Webhook | None = None

        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.bot_settings: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self.limiter: RateLimiter | None = None
        self.sent_at: list[float] = []
        self.closing = False

        self.updates_changed = Notifier()  # new update, confirmation, webhook change
        self.changed = Notifier()  # anything a test may wait for

    # ----------------------------------------------------------------- users and chats
    def profile(self, user_id: int) -> Profile:
        if user_id not in self.profiles:
            self.profiles[user_id] = Profile(user_id)
        return self.profiles[user_id]

    def private_chat(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.chats:
            self.chats[user_id] = self.profile(user_id).private_chat_json()
        return self.chats[user_id]

    def group_chat(self, chat_id: int, title: str) -> dict[str, Any]:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self.chats:
            self.chats[chat_id] = {"id": chat_id, "type": "group", "title": title}
        return self.chats[chat_id]

    def resolve_chat(self, raw: Any) -> dict[str, Any]:
        """The chat a bot request addresses (private chats with users are created lazily)."""
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == raw[1:].lower():
                    return chat
            raise bad_request("chat not found")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        if chat_id > 0:
            return self.private_chat(chat_id)
        if chat_id in self.chats:
            return self.chats[chat_id]
        raise bad_request("chat not found")

    def chat_full_info(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        return {
            **self.chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict(_ACCEPTED_GIFT_TYPES),
        }

    def check_not_blocked(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def acquire_send_slot(self, chat_id: int) -> None:
        """Flood control for message-producing methods (only when limits are enforced)."""
        if self.limiter is not None:
            self.limiter.acquire(chat_id)
        self.sent_at.append(time.monotonic())  # when each message was accepted (benchmarks measure the rate)

    # ----------------------------------------------------------------- messages
    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by both directions, like in private chats."""
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def store_user_message(self, message: dict[str, Any]) -> None:
        self.user_messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def add_bot_record(
        self, chat_id: int, method: str, params: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        """Store a new bot message; ``fields`` are the record keys that differ from the defaults."""
        record: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "chat_id": chat_id,
            "method": method,
            "date": now(),
            "text": None,  # as sent by the bot (markup included)
            "plain_text": None,  # as shown to the user (markup parsed)
            "parse_mode": None,
            "entities": [],
            "caption": None,
            "plain_caption": None,
            "caption_entities": [],
            "reply_markup": None,
            "reply_to_message_id": None,
            "quote": None,
            "document": None,
            "photo": None,
            "edit_date": None,
            "edits": [],
            "deleted": False,
            "params": params,
        }
        record.update(fields)
        self.bot_records.setdefault(chat_id, []).append(record)
        self.changed.notify()
        return record

    def find_bot_record(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        for record in self.bot_records.get(chat_id, []):
            if record["message_id"] == message_id and not record["deleted"]:
                return record
        return None

    def message_json(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """Any message of the chat (from the bot or a user) as Telegram JSON, None if unknown."""
        record = self.find_bot_record(chat_id, message_id)
        if record is not None:
            return self.bot_message_json(record)
        message = self.user_messages.get(chat_id, {}).get(message_id)
        return copy.deepcopy(message) if message is not None else None

    def bot_message_json(self, record: dict[str, Any]) -> dict[str, Any]:
        chat_id = record["chat_id"]
        message: dict[str, Any] = {
            "message_id": record["message_id"],
            "from": dict(self.bot_user),
            "chat": dict(self.chats[chat_id]),
            "date": record["date"],
        }
        if record["plain_text"] is not None:
            message["text"] = record["plain_text"]
            if record["entities"]:
                message["entities"] = copy.deepcopy(record["entities"])
        if record["document"] is not None:
            message["document"] = self.files[record["document"]["file_id"]].base_json() | {
                key: record["document"][key] for key in ("file_name", "mime_type") if record["document"][key]
            }
        if record["photo"] is not None:
            message["photo"] = copy.deepcopy(record["photo"]["sizes"])
        if record["plain_caption"] is not None:
            message["caption"] = record["plain_caption"]
            if record["caption_entities"]:
                message["caption_entities"] = copy.deepcopy(record["caption_entities"])
        markup = record["reply_markup"]
        if markup and "inline_keyboard" in markup:  # only inline keyboards are attached to messages
            message["reply_markup"] = copy.deepcopy(markup)
        if record["edit_date"] is not None:
            message["edit_date"] = record["edit_date"]
        if record["reply_to_message_id"] is not None:
            replied = self.message_json(chat_id, record["reply_to_message_id"])
            if replied is not None:
                replied.pop("reply_to_message", None)  # Telegram does not nest replies further
                message["reply_to_message"] = replied
            if record["quote"] is not None:
                message["quote"] = dict(record["quote"])
        return message

    # ----------------------------------------------------------------- files
    def store_file(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        number = len(self.files) + 1
        file_id = _FILE_ID_PREFIX.get(kind, "BQAC") + "AgIAAxkBAAE" + secrets.token_urlsafe(18)
        extension = (file_name or "").rpartition(".")[2] if file_name and "." in file_name else "bin"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id="AQAD" + secrets.token_urlsafe(9),
            kind=kind,
            file_path=f"{kind}s/file_{number}.{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # ----------------------------------------------------------------- updates
    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.pending.append(update)
        self.update_log.append(update)
        self.updates_changed.notify()
        self.changed.notify()
        return update

    def confirm(self, offset: int) -> None:
        """Apply a getUpdates ``offset``: forget confirmed updates, exactly like Telegram."""
        before = len(self.pending)
        if offset < 0:  # -N: keep only the last N updates, forget everything before them
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if len(self.pending) != before:
            self.updates_changed.notify()
            self.changed.notify()

    def drop_pending(self) -> None:
        self.confirm(self.next_update_id)

    def available_updates(self, limit: int) -> list[dict[str, Any]]:
        """The oldest unconfirmed updates the bot asked for (others are dropped like Telegram does)."""
        if self.allowed_updates:
            allowed = set(self.allowed_updates)
            wanted = [u for u in self.pending if _update_type(u) in allowed]
            if len(wanted) != len(self.pending):
                self.pending = wanted
                self.changed.notify()
        return copy.deepcopy(self.pending[:limit])


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
