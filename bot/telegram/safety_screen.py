"""A message at risk never waits for storage: ``screened`` wraps the handling of every typed message.

The message is checked first, in memory. When it is at risk and the database doesn't answer within
``SUPPORT_WITHIN`` seconds (or refuses: disk full, server away), the student gets the support reply (or the
check-in) at once, rendered from the text and the resources alone; the safeguarding lead and the admins are sent
the alert directly (name, kind, never the text) with the reason it isn't stored; and the alert is kept in memory
and stored as soon as the database takes it (``safety_jobs.store_unstored``), when the facilitators get their
copies through the outbox as usual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.replies import Reply
from bot.core.safety import safeguarding
from bot.core.safety import safeguarding_checkin as checkin
from bot.core.safety.safeguarding_rules import Verdict, check
from bot.core.safety.safeguarding_text import outage_text
from bot.telegram import safety_jobs
from bot.telegram.context import db_of, env_of, person_of
from bot.telegram.send import send_reply

log = logging.getLogger(__name__)

SUPPORT_WITHIN = 3.0  # seconds a message at risk waits for the database before its reply goes out without it
ADMIN_CHAT_KEY = "admin_chat_id"
NOT_KEPT = ("I'm sorry — because of a problem on my side I couldn't save that last message. It's still here in "
            "our chat, so you can send it again later if you'd like it kept. The people above are there for you "
            "right now.")


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return f"the database did not answer within {SUPPORT_WITHIN:g} seconds"
    # the driver's own first line ("database or disk is full"), never SQLAlchemy's text: that holds parameters
    detail = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0][:160]
    return f"the database refused it: {detail}"


async def _tell_directly(context: ContextTypes.DEFAULT_TYPE, text: str) -> tuple[int, ...]:
    """Send the unstored alert to the lead and the admins (the admin chat without either); return who got it."""
    env = env_of(context)
    to = list(dict.fromkeys([*([env.safeguarding_lead_id] if env.safeguarding_lead_id else []),
                             *sorted(env.admin_ids)]))
    reached: list[int] = []
    for chat in to:
        try:
            await context.bot.send_message(chat, text)
            reached.append(chat)
        except TelegramError as exc:
            log.error("could not send an unstored alert to %s: %s", chat, exc, extra={"event": "outage_alert_failed"})
    admin_chat = context.bot_data.get(ADMIN_CHAT_KEY)
    if not reached and admin_chat:
        try:
            await context.bot.send_message(int(admin_chat), text)
        except TelegramError as exc:
            log.error("could not reach the admin chat: %s", exc, extra={"event": "outage_alert_failed"})
    return tuple(reached)


async def screened(update: Update, context: ContextTypes.DEFAULT_TYPE, body: str,
                   work: Callable[[Verdict], Awaitable[list[Reply]]]) -> list[Reply]:
    """Run ``work`` (the handling of a typed message); a message at risk gets its reply without waiting for it."""
    env, person = env_of(context), person_of(update)
    # the model reads a chat message in 2-4 ms, a 4 KB reflection in about a tenth of a second: off the event loop,
    # so other students' messages are not held up meanwhile
    verdict = await asyncio.to_thread(check, body)
    aid = safeguarding.first_aid(env, person, body, verdict)
    task = asyncio.ensure_future(work(verdict))
    if aid is None:
        return await task
    failure: BaseException | None = None
    try:
        replies = await asyncio.wait_for(asyncio.shield(task), SUPPORT_WITHIN)
    except TimeoutError:
        pass
    except Exception as exc:  # noqa: BLE001  whatever the database did, the student's reply goes out below
        failure = exc
    else:
        safety_jobs.kick(context)
        return replies
    chat = update.effective_chat
    assert chat is not None
    at = env.clock.now()
    log.error("a message at risk could not be stored in time (%s): sending its reply without the database",
              _reason(failure), extra={"event": "support_without_db"})
    await send_reply(context.bot, chat.id, aid.reply)
    told: tuple[int, ...] = ()
    if aid.alerts:
        told = await _tell_directly(context, outage_text(env, person, verdict, at, _reason(failure)))
    try:
        replies = await task if failure is None else []
    except Exception as exc:  # noqa: BLE001  the database gave up: keep the alert for later
        failure = exc
    if failure is not None:
        log.error("storing a message at risk failed: %s", _reason(failure), exc_info=failure,
                  extra={"event": "alert_unstored"})
        if aid.alerts:
            context.bot_data[safety_jobs.UNSTORED_KEY].add(safety_jobs.UnstoredAlert(person, verdict, at, told))
        return [Reply(NOT_KEPT)]
    if told:
        await db_of(context).run(safeguarding.note_told, env, person, told)
    safety_jobs.kick(context)
    # the database came back in time after all: everything stored as usual; the reply is out already
    return [r for r in replies if r.text != aid.reply.text and not checkin.is_question(r)]
