"""Bot API methods that send, edit or delete messages, with Telegram's validation and errors."""

from __future__ import annotations

import mimetypes
import struct
from typing import Any

from .common import Upload, bad_request, now, utf16_offset
from .markup import MarkupError, parse_markup
from .methods import Params, api, opt_bool, opt_int, opt_json, opt_str, req_int
from .state import EmuState, StoredFile

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
_BUTTON_ACTIONS = {
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


# --------------------------------------------------------------------------- validation helpers
def _parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    try:
        return parse_markup(text, parse_mode)
    except MarkupError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    except ValueError:
        raise bad_request("unsupported parse_mode") from None


def _text_fields(params: Params) -> dict[str, Any]:
    """Record fields for the ``text`` of sendMessage/editMessageText (validated like Telegram)."""
    text = opt_str(params, "text")
    if not text:
        raise bad_request("message text is empty")
    parse_mode = opt_str(params, "parse_mode")
    plain, entities = _parse(text, parse_mode)
    if not parse_mode and opt_json(params, "entities"):
        entities = opt_json(params, "entities")
    if not plain.strip():
        raise bad_request("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return {"text": text, "plain_text": plain, "parse_mode": parse_mode, "entities": entities}


def _caption_fields(params: Params) -> dict[str, Any]:
    caption = opt_str(params, "caption")
    if not caption:
        return {}
    parse_mode = opt_str(params, "parse_mode")
    plain, entities = _parse(caption, parse_mode)
    if not parse_mode and opt_json(params, "caption_entities"):
        entities = opt_json(params, "caption_entities")
    if len(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return {
        "caption": caption,
        "plain_caption": plain,
        "parse_mode": parse_mode,
        "caption_entities": entities,
    }


def check_reply_markup(params: Params) -> dict[str, Any] | None:
    markup = opt_json(params, "reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # reply keyboards, ReplyKeyboardRemove and ForceReply are accepted as they are
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed")
            actions = _BUTTON_ACTIONS & button.keys()
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return markup


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup and "inline_keyboard" in markup else None


def _reply_fields(state: EmuState, chat_id: int, params: Params) -> dict[str, Any]:
    """``reply_to_message_id`` / ``quote`` record fields from reply_parameters (or the legacy param)."""
    reply = opt_json(params, "reply_parameters")
    if reply is None and params.get("reply_to_message_id") is not None:
        reply = {"message_id": params["reply_to_message_id"]}
    if not reply:
        return {}
    message_id = req_int(reply, "message_id", "message to be replied not found")
    target = state.message_json(chat_id, message_id)
    if target is None:
        if opt_bool(reply, "allow_sending_without_reply") or opt_bool(params, "allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    quote = opt_str(reply, "quote")
    if not quote:
        return {"reply_to_message_id": message_id}
    if reply.get("quote_parse_mode"):
        quote = _parse(quote, opt_str(reply, "quote_parse_mode"))[0]
    source = target.get("text") or target.get("caption") or ""
    positions = [utf16_offset(source, i) for i in range(len(source)) if source.startswith(quote, i)]
    if not positions:
        raise bad_request("QUOTE_TEXT_INVALID")
    wanted = opt_int(reply, "quote_position")
    position = wanted if wanted in positions else positions[0]
    return {
        "reply_to_message_id": message_id,
        "quote": {"text": quote, "position": position, "is_manual": True},
    }


def _input_file(state: EmuState, params: Params, field: str) -> StoredFile:
    """Resolve an InputFile parameter: multipart upload, attach://name, file_id, or HTTP URL."""
    value = params.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value[len("attach://") :])
    if value is None or value == "":
        raise bad_request(f"there is no {field} in the request")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        mime = value.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
        return state.store_file(field, value.data, file_name=value.filename, mime_type=mime)
    value = str(value)
    if value in state.files:
        return state.files[value]
    if value.startswith(("http://", "https://")):
        name = value.rsplit("/", 1)[-1] or None
        return state.store_file(
            field, None, file_name=name, mime_type=mimetypes.guess_type(value)[0], url=value
        )
    raise bad_request("wrong file identifier/HTTP URL specified")


def _image_size(data: bytes | None) -> tuple[int, int]:
    """Width/height of a PNG (other formats: a plausible default); raises for non-images."""
    if data is None:
        return 800, 600
    if not data.startswith(_IMAGE_MAGIC):
        raise bad_request("IMAGE_PROCESS_FAILED")
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        if width + height > 10000 or min(width, height) == 0 or max(width, height) / min(width, height) > 20:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return width, height
    return 800, 600


def _send(state: EmuState, chat_id: int, method: str, params: Params, fields: dict[str, Any]) -> Any:
    """Common tail of every send: blocked check, flood control, store, answer with the Message."""
    state.check_not_blocked(chat_id)
    state.acquire_send_slot(chat_id)
    record = state.add_bot_record(chat_id, method, params, **fields)
    return state.bot_message_json(record)


# --------------------------------------------------------------------------- sending
@api("sendMessage")
async def send_message(state: EmuState, params: Params) -> Any:
    chat_id = state.resolve_chat(params.get("chat_id"))["id"]
    state.check_not_blocked(chat_id)
    fields = _text_fields(params)
    fields["reply_markup"] = check_reply_markup(params)
    fields.update(_reply_fields(state, chat_id, params))
    return _send(state, chat_id, "sendMessage", params, fields)


@api("sendDocument")
async def send_document(state: EmuState, params: Params) -> Any:
    chat_id = state.resolve_chat(params.get("chat_id"))["id"]
    state.check_not_blocked(chat_id)
    stored = _input_file(state, params, "document")
    fields = _caption_fields(params)
    fields["reply_markup"] = check_reply_markup(params)
    fields.update(_reply_fields(state, chat_id, params))
    fields["document"] = {
        "file_id": stored.file_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "content": stored.data,
        "url": stored.url,
    }
    return _send(state, chat_id, "sendDocument", params, fields)


@api("sendPhoto")
async def send_photo(state: EmuState, params: Params) -> Any:
    chat_id = state.resolve_chat(params.get("chat_id"))["id"]
    state.check_not_blocked(chat_id)
    stored = _input_file(state, params, "photo")
    width, height = _image_size(stored.data)
    scale = min(1.0, 90 / max(width, height))
    thumb = state.store_file("photo", stored.data, file_name=stored.file_name, mime_type=stored.mime_type)
    sizes = [
        thumb.base_json() | {"width": max(1, int(width * scale)), "height": max(1, int(height * scale))},
        stored.base_json() | {"width": width, "height": height},
    ]
    fields = _caption_fields(params)
    fields["reply_markup"] = check_reply_markup(params)
    fields.update(_reply_fields(state, chat_id, params))
    fields["photo"] = {
        "file_id": stored.file_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "content": stored.data,
        "url": stored.url,
        "sizes": sizes,
    }
    return _send(state, chat_id, "sendPhoto", params, fields)


# --------------------------------------------------------------------------- editing
def _editable(state: EmuState, params: Params) -> dict[str, Any]:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not emulated
    chat_id = state.resolve_chat(params.get("chat_id"))["id"]
    message_id = req_int(params, "message_id", "message identifier is not specified")
    record = state.find_bot_record(chat_id, message_id)
    if record is None:
        if message_id in state.user_messages.get(chat_id, {}):
            raise bad_request("message can't be edited")
        raise bad_request("message to edit not found")
    state.check_not_blocked(chat_id)
    return record


def _apply_edit(state: EmuState, record: dict[str, Any], method: str, changes: dict[str, Any]) -> Any:
    state.acquire_send_slot(record["chat_id"])
    entry = {"method": method, "date": now()}
    for key, value in changes.items():
        entry[key] = value
        entry[f"previous_{key}"] = record[key]
    record.update(changes)
    record["edit_date"] = entry["date"]
    record["edits"].append(entry)
    state.changed.notify()
    return state.bot_message_json(record)


@api("editMessageText")
async def edit_message_text(state: EmuState, params: Params) -> Any:
    record = _editable(state, params)
    if record["text"] is None:
        raise bad_request("there is no text in the message to edit")
    fields = _text_fields(params)
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    fields["reply_markup"] = check_reply_markup(params)
    same_text = (fields["plain_text"], fields["entities"]) == (record["plain_text"], record["entities"])
    if same_text and _inline(fields["reply_markup"]) == _inline(record["reply_markup"]):
        raise bad_request(_NOT_MODIFIED)
    return _apply_edit(state, record, "editMessageText", fields)


@api("editMessageCaption")
async def edit_message_caption(state: EmuState, params: Params) -> Any:
    record = _editable(state, params)
    if record["text"] is not None:
        raise bad_request("there is no caption in the message to edit")
    fields = {"caption": None, "plain_caption": None, "caption_entities": []} | _caption_fields(params)
    fields["reply_markup"] = check_reply_markup(params)
    same = (fields["plain_caption"], fields["caption_entities"]) == (
        record["plain_caption"],
        record["caption_entities"],
    )
    if same and _inline(fields["reply_markup"]) == _inline(record["reply_markup"]):
        raise bad_request(_NOT_MODIFIED)
    return _apply_edit(state, record, "editMessageCaption", fields)


@api("editMessageReplyMarkup")
async def edit_message_reply_markup(state: EmuState, params: Params) -> Any:
    record = _editable(state, params)
    markup = check_reply_markup(params)
    if _inline(markup) == _inline(record["reply_markup"]):
        raise bad_request(_NOT_MODIFIED)
    return _apply_edit(state, record, "editMessageReplyMarkup", {"reply_markup": markup})


@api("deleteMessage")
async def delete_message(state: EmuState, params: Params) -> Any:
    chat_id = state.resolve_chat(params.get("chat_id"))["id"]
    message_id = req_int(params, "message_id", "message identifier is not specified")
    record = state.find_bot_record(chat_id, message_id)
    if record is None:
        if state.user_messages.get(chat_id, {}).pop(message_id, None) is not None:
            return True
        raise bad_request("message to delete not found")
    record["deleted"] = True
    state.changed.notify()
    return True
