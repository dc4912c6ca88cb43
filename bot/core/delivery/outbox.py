"""Send rows other than weekly prompts — reminders, announcements — through the dispatcher's pacer and sender.

A process has one ``Dispatcher`` (bot/core/delivery/dispatch.py) and so one pacer: weekly prompts and everything
drained here take their slots from it, so together they stay under Telegram's 30 messages/s. Each kind of row
supplies claim / prepare / mark functions with the same contract as ``bot.core.delivery.delivery``: rows are claimed
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) before they are sent, so two processes never send the same row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from bot.core.context import Env
from bot.core.delivery.delivery import Blocked, Permanent, RetryLater, SendError, Transient, backoff
from bot.core.delivery.dispatch import Dispatcher, DispatchStats
from bot.core.replies import Reply
from storage.db import Database


@dataclass(frozen=True)
class Item:
    """One claimed row, ready to send."""

    row_id: int
    chat_id: int
    replies: list[Reply]


@dataclass(frozen=True)
class OutboxKind:
    """How to claim, build and mark one kind of row."""

    name: str
    claim: Callable[[Session, Env, str, int], list[int]]
    prepare: Callable[[Session, Env, int], Item | None]
    sent: Callable[[Session, Env, int, int | None], None]
    retry: Callable[[Session, Env, int, float, str], None]
    blocked: Callable[[Session, Env, int], None]
    failed: Callable[[Session, Env, int, str], None]


async def drain(db: Database, env: Env, kind: OutboxKind, dispatcher: Dispatcher, *, batch: int = 100,
                in_flight: int = 16) -> DispatchStats:
    """Send every row of this kind that is due now, paced by the dispatcher; return what happened."""
    stats = DispatchStats()
    sem = asyncio.Semaphore(in_flight)

    async def one(row_id: int) -> None:
        async with sem:
            item = await db.run(kind.prepare, env, row_id)
            ticket = None if item is None or dispatcher.stopping else await dispatcher.pacer.slot()
            if item is None or ticket is None:
                return  # stopping: the claim is released and the row goes out after the restart
            try:
                await _send(db, env, kind, dispatcher, item, stats)
            finally:
                ticket.done()

    while dispatcher.claiming():  # only the process holding the send lease sends
        ids = await db.run(kind.claim, env, dispatcher.worker, batch)
        if not ids:
            return stats
        await asyncio.gather(*(one(i) for i in ids))
    return stats


async def _send(db: Database, env: Env, kind: OutboxKind, dispatcher: Dispatcher, item: Item,
                stats: DispatchStats) -> None:
    message_id: int | None = None
    try:
        for reply in item.replies:
            message_id = await dispatcher.sender.send(item.chat_id, reply)
    except RetryLater as exc:
        stats.rate_limited += 1
        stats.retried += 1
        dispatcher.pacer.hold(exc.seconds)
        await db.run(kind.retry, env, item.row_id, exc.seconds, str(exc))
        return
    except Blocked:
        stats.blocked += 1
        await db.run(kind.blocked, env, item.row_id)
        return
    except Transient as exc:
        stats.retried += 1
        await db.run(kind.retry, env, item.row_id, backoff(1), str(exc))
        return
    except (Permanent, SendError) as exc:
        stats.failed += 1
        stats.errors.append(str(exc))
        await db.run(kind.failed, env, item.row_id, str(exc))
        return
    await db.run(kind.sent, env, item.row_id, message_id)
    stats.sent += 1
