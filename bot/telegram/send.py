"""Turn domain replies into Telegram messages; map Telegram's errors to the domain's."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.core.delivery import delivery
from bot.core.replies import Reply
from bot.telegram.ratelimit import NO_RETRY, PerChatRateLimiter

log = logging.getLogger(__name__)

LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Build the inline keyboard of a reply."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Split a long message at paragraph, then line, then word boundaries, never inside an HTML tag."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit))
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        lt, gt = rest.rfind("<", 0, cut), rest.rfind(">", 0, cut)
        if lt > gt:  # would cut inside a tag
            cut = lt
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p]


async def send_reply(bot: Bot, chat_id: int, reply: Reply, *, retry_429: bool = True) -> Message:
    """Send one reply (split when long; buttons go on the last part); ``retry_429=False``: no retry in the limiter."""
    target = reply.chat_id or chat_id
    limit: dict[str, Any] = {}
    if not retry_429 and isinstance(getattr(bot, "rate_limiter", None), PerChatRateLimiter):
        limit["rate_limit_args"] = NO_RETRY
    if reply.attachment is not None:
        file = InputFile(reply.attachment.content, filename=reply.attachment.filename)
        if reply.attachment.kind == "photo":
            return await bot.send_photo(target, file, caption=reply.text[:1024] or None, parse_mode=ParseMode.HTML,
                                        **limit)
        return await bot.send_document(target, file, caption=reply.text[:1024] or None, parse_mode=ParseMode.HTML,
                                       **limit)
    chunks = split_text(reply.text)
    message: Message | None = None
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        message = await bot.send_message(target, chunk, parse_mode=ParseMode.HTML,
                                         reply_markup=keyboard(reply) if last else None,
                                         link_preview_options=None, **limit)
    assert message is not None
    return message


async def send_replies(bot: Bot, chat_id: int, replies: list[Reply]) -> None:
    """Send replies in order; a failure to reach another chat (an alert) doesn't stop the rest."""
    for reply in replies:
        if reply.chat_id and reply.chat_id != chat_id:
            try:
                await send_reply(bot, chat_id, reply)
            except TelegramError:
                log.warning("could not reach chat %s", reply.chat_id, extra={"event": "send_failed"})
            continue
        await send_reply(bot, chat_id, reply)


class RepliesNotSent(Exception):
    """The user's update was handled and committed, but its replies could not be sent (even after retrying)."""

    def __init__(self, chat_id: int, pending: list[Reply]) -> None:
        super().__init__("replies to a stored update could not be sent")
        self.chat_id, self.pending = chat_id, pending


RETRY_DELAYS = (0.5, 1.5, 3.0)  # after a committed answer: about 5 s of retries, then RepliesNotSent
MAX_RETRY_AFTER = 5.0


async def send_after_commit(bot: Bot, chat_id: int, replies: list[Reply]) -> None:
    """Send the replies to an update whose work is already stored; retry what failed for a passing reason.

    A reply already sent is not sent again. If the rest still can't be sent, raise ``RepliesNotSent`` so the
    error handler never tells the user that a stored message was lost.
    """
    pending = list(replies)
    for attempt, delay in enumerate((*RETRY_DELAYS, None)):
        try:
            while pending:
                await send_replies(bot, chat_id, pending[:1])
                pending.pop(0)
            return
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            if delay is None or float(wait) > MAX_RETRY_AFTER:
                raise RepliesNotSent(chat_id, pending) from exc
            await asyncio.sleep(float(wait))
        except (TimedOut, NetworkError) as exc:
            if delay is None or isinstance(exc, BadRequest | Forbidden | RetryAfter):
                raise RepliesNotSent(chat_id, pending) from exc
            log.warning("reply failed after the update was stored; retry %d", attempt + 1,
                        extra={"event": "reply_retry"})
            await asyncio.sleep(delay)
        except TelegramError as exc:
            raise RepliesNotSent(chat_id, pending) from exc


class TelegramSender:
    """The dispatcher's sender: one reply to one chat, errors mapped to the domain's."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply) -> int:
        try:
            # no retries in the limiter: the dispatcher puts the row back and holds its pacer (bulk sends)
            return (await send_reply(self.bot, chat_id, reply, retry_429=False)).message_id
        except RetryAfter as exc:
            seconds = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            raise delivery.RetryLater(float(seconds)) from exc
        except Forbidden as exc:
            raise delivery.Blocked(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise delivery.Blocked(str(exc)) from exc
            raise delivery.Permanent(str(exc)) from exc
        except (TimedOut, NetworkError) as exc:
            raise delivery.Transient(str(exc)) from exc
