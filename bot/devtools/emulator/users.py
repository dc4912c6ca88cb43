"""``EmuUser``: a student bound to one user id, for readable tests."""

# ruff: noqa: ASYNC109  (the waiting helpers deliberately take a `timeout` argument)
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .inspection import EmulatorInspection


class EmuUser:
    """A Telegram user driving the bot through a :class:`BotAPIEmulator` (see ``emu.user(...)``).

    All actions act in the user's private chat with the bot (chat id == user id).
    """

    def __init__(self, emu: EmulatorInspection, user_id: int) -> None:
        self.emu = emu
        self.id = user_id

    @property
    def chat_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"EmuUser({self.id}, {self.emu.state.profile(self.id).first_name!r})"

    # ------------------------------------------------------------------ actions
    def send_text(
        self, text: str, *, reply_to_message_id: int | None = None, quote: str | None = None
    ) -> dict[str, Any]:
        return self.emu.send_text(self.id, text, reply_to_message_id=reply_to_message_id, quote=quote)

    def edit_text(self, message_id: int, new_text: str) -> dict[str, Any]:
        return self.emu.edit_text(self.id, message_id, new_text)

    def send_voice(self, **kwargs: Any) -> dict[str, Any]:
        return self.emu.send_voice(self.id, **kwargs)

    def send_photo(self, **kwargs: Any) -> dict[str, Any]:
        return self.emu.send_photo(self.id, **kwargs)

    def send_sticker(self, **kwargs: Any) -> dict[str, Any]:
        return self.emu.send_sticker(self.id, **kwargs)

    def send_document(self, **kwargs: Any) -> dict[str, Any]:
        return self.emu.send_document(self.id, **kwargs)

    def send_video(self, **kwargs: Any) -> dict[str, Any]:
        return self.emu.send_video(self.id, **kwargs)

    def send_location(self, latitude: float = 47.4979, longitude: float = 19.0402) -> dict[str, Any]:
        return self.emu.send_location(self.id, latitude, longitude)

    def press_button(
        self, message_id: int, data: str | None = None, *, text: str | None = None, check: bool = True
    ) -> dict[str, Any]:
        return self.emu.press_button(self.id, message_id, data, text=text, check=check)

    def block(self, *, send_update: bool = False) -> None:
        self.emu.block_user(self.id, send_update=send_update)

    def unblock(self, *, send_update: bool = False) -> None:
        self.emu.unblock_user(self.id, send_update=send_update)

    # ------------------------------------------------------------------ inspection
    def messages(self) -> list[dict[str, Any]]:
        """Every bot message to this user (records, see ``BotAPIEmulator.messages_to``)."""
        return self.emu.messages_to(self.id)

    def last_message(self) -> dict[str, Any]:
        return self.emu.last_message_to(self.id)

    async def wait_for_message(
        self,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> dict[str, Any]:
        return await self.emu.wait_for_message(self.id, predicate, timeout, after=after)

    async def say(self, text: str, *, timeout: float = 5.0, **kwargs: Any) -> dict[str, Any]:
        """Send ``text`` and return the bot's next message to this user."""
        after = len(self.messages())
        self.send_text(text, **kwargs)
        return await self.wait_for_message(timeout=timeout, after=after)

    async def click(
        self,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Press a button and wait until the bot answered the callback query; returns the answer."""
        query = self.press_button(message_id, data, text=text)
        return await self.emu.wait_for_callback_answer(query["id"], timeout=timeout)
