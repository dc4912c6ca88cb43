"""A Telegram Bot API emulator for tests, benchmarks and local development.

``BotAPIEmulator`` is an aiohttp server on 127.0.0.1 that behaves like ``api.telegram.org`` closely
enough for the *real* python-telegram-bot ``Application`` (long polling or webhook), including
Telegram's error responses (400 too long / not modified / can't parse entities, 403 blocked,
409 conflicts, 429 flood control).  A test plays the students and inspects what the bot sent::

    from telegram.ext import ApplicationBuilder
    from bot.devtools.emulator import BotAPIEmulator

    async def test_start() -> None:
        async with BotAPIEmulator() as emu:
            app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
                   .base_file_url(emu.base_file_url).build())
            ...  # add handlers
            async with app:
                await app.start()
                await app.updater.start_polling(poll_interval=0, timeout=1)
                student = emu.user(1001, "Anna")
                reply = await student.say("/start ABC123")          # send + wait for the reply
                assert "Welcome" in reply["text"]
                emu.press_button(1001, reply["message_id"], "consent:yes")
                await emu.wait_for_callback_answer()
                await app.updater.stop()
                await app.stop()

Bot message records (``messages_to``, ``last_message_to``, ``wait_for_message``) are dicts with:
``message_id, chat_id, method`` ("sendMessage"/"sendDocument"/"sendPhoto"), ``date, text`` (as sent,
markup included; None for media), ``plain_text`` (markup parsed, what the user sees), ``parse_mode,
entities, caption, plain_caption, caption_entities, reply_markup, reply_to_message_id, quote,
document`` / ``photo`` (``{"file_id", "file_name", "mime_type", "content": bytes, "url"}``),
``edit_date, edits`` (one entry per edit: ``method, date`` and the changed fields with their
``previous_*`` values), ``deleted, params`` (the raw request).  Records are live: edits update them.

Standalone server for manual testing (another terminal runs the bot)::

    python -m bot.devtools.emulator --port 8081 [--limits]      # token 123456:EMULATOR unless --token
    TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/bot TELEGRAM_BOT_TOKEN=123456:EMULATOR <run the bot>
    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001 "/start CODE" "!press consent:yes"
    python -m bot.devtools.emulator.client --url http://127.0.0.1:8081 --user 1001      # interactive

The client uses the control endpoints described in :mod:`bot.devtools.emulator.control`.
"""

from .common import ApiError
from .control import jsonable
from .markup import MarkupError, parse_markup
from .server import BotAPIEmulator
from .state import Profile, StoredFile, Webhook
from .thread import EmulatorThread
from .users import EmuUser

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "EmuUser",
    "EmulatorThread",
    "MarkupError",
    "Profile",
    "StoredFile",
    "Webhook",
    "jsonable",
    "parse_markup",
]
