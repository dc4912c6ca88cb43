"""The Bot API emulator's students, against the real python-telegram-bot ``Application``: button presses, quote
replies both ways, edits, media groups and commands, files both ways, commands and chat info."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.devtools.emulator import BotAPIEmulator
from bot.devtools.emulator.students import DEFAULT_PHOTO
from tests.support.emulator_support import Ctx, build_app, raw_call, running_bot


# ---------------------------------------------------------------------------------------- students
async def test_callback_query_round_trip(emu: BotAPIEmulator) -> None:
    pressed: list[str] = []

    async def ask(update: Update, context: Ctx) -> None:
        assert update.message is not None
        keyboard = [
            [
                InlineKeyboardButton("Yes", callback_data="consent:yes"),
                InlineKeyboardButton("No", callback_data="consent:no"),
            ]
        ]
        await update.message.reply_text("Consent?", reply_markup=InlineKeyboardMarkup(keyboard))

    async def on_button(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        pressed.append(query.data)
        await query.answer(f"got {query.data}")
        if query.data.startswith("consent:"):
            await query.edit_message_text(f"You chose {query.data}")  # removes the keyboard

    student = emu.user(1001, "Anna", "anna_md")
    async with running_bot(emu, CommandHandler("start", ask), CallbackQueryHandler(on_button)):
        question = await student.say("/start")
        keyboard = question["reply_markup"]  # records are live: keep the original markup
        assert keyboard["inline_keyboard"][0][0]["callback_data"] == "consent:yes"
        answer = await student.click(question["message_id"], text="Yes")
        assert answer["text"] == "got consent:yes" and answer["user_id"] == 1001
        await emu.wait_until(lambda: bool(emu.last_message_to(1001)["edits"]))
        with pytest.raises(ValueError, match="no button"):
            student.press_button(question["message_id"], "consent:no")  # the keyboard is gone now
        student.press_button(question["message_id"], "admin:delete_all", check=False)  # forged data
        await emu.wait_for_callback_answer()
    assert pressed == ["consent:yes", "admin:delete_all"]
    record = emu.last_message_to(1001)
    assert record["text"] == "You chose consent:yes" and record["reply_markup"] is None
    assert record["edits"][0]["previous_reply_markup"] == keyboard
    status, body = await raw_call(emu, "answerCallbackQuery", callback_query_id=answer["callback_query_id"])
    assert status == 400 and "query ID is invalid" in body["description"]


async def test_quote_replies_in_both_directions(emu: BotAPIEmulator) -> None:
    quotes: list[tuple[str, int, int]] = []

    async def on_reply(update: Update, context: Ctx) -> None:
        message = update.message
        assert message is not None and message.quote is not None and message.reply_to_message is not None
        quotes.append((message.quote.text, message.quote.position, message.reply_to_message.message_id))
        await message.reply_text("Noted", reply_parameters=ReplyParameters(message.message_id, quote="felt"))

    async with running_bot(emu, MessageHandler(filters.REPLY, on_reply)) as app:
        question = await app.bot.send_message(1001, "🙂 How did you feel?")
        sent = emu.send_text(1001, "I felt calm", reply_to_message_id=question.message_id, quote="How did")
        assert sent["reply_to_message"]["text"] == "🙂 How did you feel?"
        reply = await emu.wait_for_message(1001, after=1)
        with pytest.raises(BadRequest, match="(?i)QUOTE_TEXT_INVALID"):
            await app.bot.send_message(1001, "x", reply_parameters=ReplyParameters(sent["message_id"], quote="nope"))
    assert quotes == [("How did", 3, question.message_id)]  # 🙂 is two UTF-16 code units
    assert reply["reply_to_message_id"] == sent["message_id"]
    assert reply["quote"] == {"text": "felt", "position": 2, "is_manual": True}


async def test_edited_messages_media_groups_and_commands(emu: BotAPIEmulator) -> None:
    seen: list[tuple[str, str]] = []

    async def on_edit(update: Update, context: Ctx) -> None:
        message = update.edited_message
        assert message is not None and message.text is not None and message.edit_date is not None
        seen.append(("edited", message.text))

    async def on_media(update: Update, context: Ctx) -> None:
        message = update.message
        assert message is not None
        kind = next(k for k in ("voice", "photo", "sticker", "document", "video", "location") if getattr(message, k))
        seen.append(("media", kind))

    async def on_start(update: Update, context: Ctx) -> None:
        assert update.effective_chat is not None
        seen.append((update.effective_chat.type, " ".join(context.args or [])))

    handlers = [
        MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit),
        CommandHandler("start", on_start),
        MessageHandler(filters.ATTACHMENT | filters.PHOTO | filters.LOCATION | filters.Sticker.ALL, on_media),
    ]
    async with running_bot(emu, *handlers):
        original = emu.send_text(1001, "first draft")
        emu.edit_text(1001, original["message_id"], "second draft")
        for action in (emu.send_voice, emu.send_photo, emu.send_sticker, emu.send_document, emu.send_video):
            action(1001)
        emu.send_location(1001)
        start = emu.send_group_text(-100500, 1001, "/start@balint_test_bot ABC123")
        assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
        await emu.wait_until(lambda: len(seen) == 8)
    assert seen[0] == ("edited", "second draft")
    media = ["voice", "photo", "sticker", "document", "video", "location"]
    assert [kind for tag, kind in seen if tag == "media"] == media
    assert seen[-1] == ("group", "ABC123")


async def test_files_travel_both_ways(emu: BotAPIEmulator) -> None:
    async def mirror(update: Update, context: Ctx) -> None:
        assert update.message is not None
        photo = await update.message.photo[-1].get_file()
        data = bytes(await photo.download_as_bytearray())
        await update.message.reply_photo(data, caption="<i>your picture</i>", parse_mode="HTML")
        await update.message.reply_document(b"report,1\n", filename="report.csv")

    async with running_bot(emu, MessageHandler(filters.PHOTO, mirror)) as app:
        emu.send_photo(1001)
        document = await emu.wait_for_message(1001, lambda m: m["method"] == "sendDocument")
        with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
            await app.bot.send_photo(1001, b"not a picture")
    [photo] = emu.photos_to(1001)
    assert photo["photo"]["content"] == DEFAULT_PHOTO and photo["plain_caption"] == "your picture"
    assert emu.documents_to(1001) == [document]
    assert document["document"]["file_name"] == "report.csv" and document["document"]["content"] == b"report,1\n"


async def test_commands_chat_info_and_actions(emu: BotAPIEmulator) -> None:
    from telegram import BotCommand

    async with build_app(emu) as app:
        await app.bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("help", "Help")])
        assert [c.command for c in await app.bot.get_my_commands()] == ["start", "help"]
        assert emu.my_commands() == [
            {"command": "start", "description": "Begin"},
            {"command": "help", "description": "Help"},
        ]
        await app.bot.delete_my_commands()
        assert await app.bot.get_my_commands() == ()
        with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
            await app.bot.set_my_commands([BotCommand("Bad-Command", "x")])
        emu.user(1001, "Anna", "anna_md")
        await app.bot.send_chat_action(1001, "typing")
        chat = await app.bot.get_chat(1001)
        assert (chat.first_name, chat.username, chat.type) == ("Anna", "anna_md", "private")
        assert await app.bot.close() is True
    assert emu.chat_actions == [(1001, "typing")]
