"""The student side: act as Telegram users talking to the bot.

Every action builds the object Telegram would build (Message, CallbackQuery, ...), queues it as an
update for getUpdates (or the webhook) and returns it.  Actions are plain synchronous methods: call
them from the emulator's event loop (or through ``EmulatorThread.call`` from another thread).
Mistakes in a test (replying to an unknown message, pressing a button that is not there) raise
``ValueError`` right away instead of producing an update Telegram could never send.
"""

from __future__ import annotations

import copy
import itertools
import struct
import zlib
from typing import Any

from .common import command_entities, now, utf16_offset
from .state import EmuState, Profile


def _tiny_png(width: int = 64, height: int = 48) -> bytes:
    """A valid grey PNG, the default picture students send."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


DEFAULT_PHOTO = _tiny_png()
DEFAULT_VOICE = b"OggS\x00\x02" + bytes(58)  # an Ogg page header; content is never decoded


class StudentActions:
    """Mixin of :class:`~bot.devtools.emulator.server.BotAPIEmulator` with the student-side actions."""

    state: EmuState
    _callback_ids = itertools.count(4_200_000_000_000_000_001)

    # ------------------------------------------------------------------ users
    def add_user(
        self,
        user_id: int,
        first_name: str = "Student",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> Profile:
        """Register (or update) how a user looks; unknown user ids get a default profile."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        profile = Profile(user_id, first_name, username, last_name, language_code)
        self.state.profiles[user_id] = profile
        if user_id in self.state.chats:
            self.state.chats[user_id] = profile.private_chat_json()
        return profile

    # ------------------------------------------------------------------ messages
    def send_text(
        self, user_id: int, text: str, *, reply_to_message_id: int | None = None, quote: str | None = None
    ) -> dict[str, Any]:
        """The user writes ``text`` in the private chat; ``/commands`` get bot_command entities."""
        return self._new_message(
            self.state.private_chat(user_id), user_id, _text_content(text), reply_to_message_id, quote
        )

    def send_group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        title: str = "Test group",
        reply_to_message_id: int | None = None,
        quote: str | None = None,
    ) -> dict[str, Any]:
        """The user writes in the group ``chat_id`` (negative), created on first use."""
        chat = self.state.group_chat(chat_id, title)
        return self._new_message(chat, user_id, _text_content(text), reply_to_message_id, quote)

    def edit_text(
        self, user_id: int, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user edits one of their text messages -> an ``edited_message`` update."""
        chat_id = user_id if chat_id is None else chat_id
        message = self.state.user_messages.get(chat_id, {}).get(message_id)
        if message is None or message["from"]["id"] != user_id or "text" not in message:
            raise ValueError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        message.pop("entities", None)
        message.update(_text_content(new_text))
        message["edit_date"] = now()
        self.state.push_update("edited_message", copy.deepcopy(message))
        return copy.deepcopy(message)

    def send_voice(
        self, user_id: int, *, duration: int = 3, data: bytes = DEFAULT_VOICE, caption: str | None = None
    ) -> dict[str, Any]:
        stored = self.state.store_file("voice", data, mime_type="audio/ogg")
        voice = stored.base_json() | {"duration": duration, "mime_type": "audio/ogg"}
        return self._media(user_id, {"voice": voice}, caption)

    def send_photo(
        self, user_id: int, *, data: bytes = DEFAULT_PHOTO, caption: str | None = None
    ) -> dict[str, Any]:
        width, height = struct.unpack(">II", data[16:24]) if data.startswith(b"\x89PNG") else (1280, 960)
        small = self.state.store_file("photo", data, file_name="photo.jpg", mime_type="image/jpeg")
        full = self.state.store_file("photo", data, file_name="photo.jpg", mime_type="image/jpeg")
        sizes = [
            small.base_json() | {"width": max(1, width // 4), "height": max(1, height // 4)},
            full.base_json() | {"width": width, "height": height},
        ]
        return self._media(user_id, {"photo": sizes}, caption)

    def send_sticker(self, user_id: int, *, emoji: str = "👍") -> dict[str, Any]:
        stored = self.state.store_file("sticker", b"RIFF\x00\x00\x00\x00WEBPVP8 ", mime_type="image/webp")
        sticker = stored.base_json() | {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._media(user_id, {"sticker": sticker}, None)

    def send_document(
        self,
        user_id: int,
        *,
        file_name: str = "notes.txt",
        data: bytes = b"Case notes\n",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self.state.store_file("document", data, file_name=file_name, mime_type=mime_type)
        document = stored.base_json() | {"file_name": file_name, "mime_type": mime_type}
        return self._media(user_id, {"document": document}, caption)

    def send_video(
        self,
        user_id: int,
        *,
        duration: int = 5,
        data: bytes = b"\x00\x00\x00\x18ftypmp42",
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self.state.store_file("video", data, file_name="video.mp4", mime_type="video/mp4")
        video = stored.base_json() | {
            "width": 640,
            "height": 360,
            "duration": duration,
            "mime_type": "video/mp4",
        }
        return self._media(user_id, {"video": video}, caption)

    def send_location(
        self, user_id: int, latitude: float = 47.4979, longitude: float = 19.0402
    ) -> dict[str, Any]:
        return self._media(user_id, {"location": {"latitude": latitude, "longitude": longitude}}, None)

    # ------------------------------------------------------------------ buttons & membership
    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        check: bool = True,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user presses an inline button -> a ``callback_query`` update; returns the query.

        Choose the button by ``data`` (callback_data) or by its label ``text``.  With
        ``check=False`` any ``data`` is sent, even if no such button exists (forged callback data).
        """
        chat_id = user_id if chat_id is None else chat_id
        record = self.state.find_bot_record(chat_id, message_id)
        if check:
            data = self._checked_button_data(record, chat_id, message_id, data, text)
        if data is None:
            raise ValueError("press_button needs data (or text with check=True)")
        if record is not None:
            message = self.state.bot_message_json(record)
        else:  # what Telegram sends for a message the bot can no longer access
            message = {"message_id": message_id, "chat": dict(self.state.private_chat(chat_id)), "date": 0}
        query_id = str(next(self._callback_ids))
        query = {
            "id": query_id,
            "from": self.state.profile(user_id).user_json(),
            "message": message,
            "chat_instance": str(-(abs(chat_id) * 1_000_003 + 17)),
            "data": data,
        }
        self.state.callback_queries[query_id] = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "data": data,
            "answered": False,
        }
        self.state.push_update("callback_query", query)
        return copy.deepcopy(query)

    def _checked_button_data(
        self, record: dict[str, Any] | None, chat_id: int, message_id: int, data: str | None, text: str | None
    ) -> str:
        if record is None:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        buttons = [b for row in (record["reply_markup"] or {}).get("inline_keyboard", []) for b in row]
        for button in buttons:
            if "callback_data" in button and (button["callback_data"] == data or button["text"] == text):
                return str(button["callback_data"])
        offered = [(b["text"], b.get("callback_data")) for b in buttons]
        raise ValueError(f"message {message_id} has no button {data or text!r}; buttons: {offered}")

    def member_update(self, user_id: int, old_status: str, new_status: str) -> dict[str, Any]:
        """A ``my_chat_member`` update (e.g. "member" -> "kicked" when the user blocks the bot)."""
        bot = dict(self.state.bot_user)
        new_member: dict[str, Any] = {"status": new_status, "user": bot}
        if new_status == "kicked":
            new_member["until_date"] = 0
        payload = {
            "chat": dict(self.state.private_chat(user_id)),
            "from": self.state.profile(user_id).user_json(),
            "date": now(),
            "old_chat_member": {"status": old_status, "user": bot},
            "new_chat_member": new_member,
        }
        self.state.push_update("my_chat_member", payload)
        return payload

    # ------------------------------------------------------------------ internals
    def _media(self, user_id: int, content: dict[str, Any], caption: str | None) -> dict[str, Any]:
        if caption is not None:
            content["caption"] = caption
        return self._new_message(self.state.private_chat(user_id), user_id, content, None, None)

    def _new_message(
        self,
        chat: dict[str, Any],
        user_id: int,
        content: dict[str, Any],
        reply_to_message_id: int | None,
        quote: str | None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        message: dict[str, Any] = {
            "message_id": 0,  # assigned below, after the reply target was validated
            "from": self.state.profile(user_id).user_json(),
            "chat": dict(chat),
            "date": now(),
            **content,
        }
        if reply_to_message_id is not None:
            replied = self.state.message_json(chat_id, reply_to_message_id)
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
            if quote is not None:
                message["quote"] = _quote(replied, quote)
        elif quote is not None:
            raise ValueError("quote needs reply_to_message_id")
        message["message_id"] = self.state.next_message_id(chat_id)
        self.state.store_user_message(message)
        self.state.push_update("message", copy.deepcopy(message))
        return copy.deepcopy(message)


def _text_content(text: str) -> dict[str, Any]:
    if not text:
        raise ValueError("Telegram clients cannot send an empty message")
    content: dict[str, Any] = {"text": text}
    entities = command_entities(text)
    if entities:
        content["entities"] = entities
    return content


def _quote(replied: dict[str, Any], quote: str) -> dict[str, Any]:
    """Telegram's TextQuote: ``position`` is the UTF-16 offset of the quote in the replied text."""
    source = replied.get("text") or replied.get("caption") or ""
    index = source.find(quote)
    if not quote or index < 0:
        raise ValueError(f"{quote!r} is not part of the replied-to message {source!r}")
    return {"text": quote, "position": utf16_offset(source, index), "is_manual": True}
