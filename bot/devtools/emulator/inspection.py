"""What a test does to the emulator and reads from it, without its HTTP server: the student actions, blocking,
what the bot sent, and waiting for it.

:class:`~bot.devtools.emulator.server.BotAPIEmulator` is one of these with a server in front; :class:`EmuUser` and the
``/_emu`` control routes need only this, so they import no server (and the server imports them).
"""

# ruff: noqa: ASYNC109  (the waiting helpers deliberately take a `timeout` argument)
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from .state import EmuState, Webhook
from .students import StudentActions


class EmulatorInspection(StudentActions):
    """The emulator as a test drives and reads it (no transport): subclassed by ``BotAPIEmulator``."""

    state: EmuState
    count_429: int
    errors: list[tuple[str, int, str]]  # (method, error_code, description) of error responses


    def block_user(self, chat_id: int, *, send_update: bool = False) -> None:
        """Every send to ``chat_id`` now gets 403; ``send_update`` also emits my_chat_member (kicked)."""
        self.state.blocked.add(chat_id)
        if send_update:
            self.member_update(chat_id, "member", "kicked")

    def unblock_user(self, chat_id: int, *, send_update: bool = False) -> None:
        self.state.blocked.discard(chat_id)
        if send_update:
            self.member_update(chat_id, "kicked", "member")

    # ------------------------------------------------------------------ inspection
    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Every bot message to the chat, oldest first, as live records (edits applied)."""
        return list(self.state.bot_records.get(chat_id, []))

    def last_message_to(self, chat_id: int) -> dict[str, Any]:
        records = self.messages_to(chat_id)
        if not records:
            raise LookupError(f"the bot has not sent anything to chat {chat_id}")
        return records[-1]

    def documents_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [r for r in self.messages_to(chat_id) if r["document"] is not None]

    def photos_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [r for r in self.messages_to(chat_id) if r["photo"] is not None]

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return self.state.callback_answers

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        return self.state.calls

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` (case-insensitive), oldest first."""
        return [params for name, params in self.state.calls if name.lower() == method.lower()]

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        return self.state.chat_actions

    @property
    def updates(self) -> list[dict[str, Any]]:
        """Every update ever created (confirmed or not), oldest first."""
        return self.state.update_log

    @property
    def webhook(self) -> Webhook | None:
        return self.state.webhook

    def pending_updates(self) -> int:
        """Number of updates not yet confirmed by the bot."""
        return len(self.state.pending)

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.state.commands.get(key, []))

    # ------------------------------------------------------------------ waiting (no sleeps in tests)
    async def wait_until(
        self, condition: Callable[[], bool], timeout: float = 5.0, *, what: str = ""
    ) -> None:
        """Wait until ``condition()`` is true; it is re-checked whenever the emulator state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{what or 'condition'} not reached within {timeout} s")
            await self.state.changed.wait(remaining)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: int | None = None,
    ) -> dict[str, Any]:
        """The first bot message to ``chat_id`` sent after the call (or after the first ``after``
        messages) that matches ``predicate``; raises TimeoutError with the messages seen so far."""
        start = len(self.messages_to(chat_id)) if after is None else after
        found: list[dict[str, Any]] = []

        def arrived() -> bool:
            found[:] = [r for r in self.messages_to(chat_id)[start:] if predicate is None or predicate(r)]
            return bool(found)

        try:
            await self.wait_until(arrived, timeout)
        except TimeoutError:
            seen = [r["text"] or r["caption"] or r["method"] for r in self.messages_to(chat_id)]
            raise TimeoutError(
                f"no new bot message to chat {chat_id}{' matching the predicate' if predicate else ''} "
                f"within {timeout} s (after message #{start}); all messages: {seen}; "
                f"recent errors: {self.errors[-3:]}"
            ) from None
        return found[0]

    async def wait_until_confirmed(self, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed (fetched) every queued update."""
        await self.wait_until(lambda: not self.state.pending, timeout, what="all updates confirmed")

    async def wait_for_callback_answer(
        self, query_id: str | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The answerCallbackQuery for ``query_id`` (None: the next answer after this call)."""
        start = len(self.state.callback_answers)

        def matches() -> list[dict[str, Any]]:
            answers = self.state.callback_answers
            if query_id is None:
                return answers[start:]
            return [a for a in answers if a["callback_query_id"] == query_id]

        await self.wait_until(lambda: bool(matches()), timeout, what=f"callback answer {query_id or ''}")
        return matches()[0]
