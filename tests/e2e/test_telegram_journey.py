"""The student journey end to end: the real PTB Application over HTTP against the Bot API emulator."""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.telegram.broadcast import send_now
from storage.db import Database
from storage.models import ReflectionEntry
from tests.support.botharness import button, running_bot, settings_for

REPLIES = [
    "An older woman with severe depression who hadn't eaten for days; she barely looked up when I came in.",
    "Useless at first, then a kind of heaviness I carried into the afternoon.",
    "Maybe that another young doctor wanting something from her was one more demand she couldn't meet.",
    "When I stopped asking questions and just sat, she started talking about her garden.",
    # a take-away from the plain answers the safeguarding tests pin; "Sometimes being there matters more than
    # getting the history." was the line here until round 8's model checked in on it (a known false alarm, pinned in
    # tests/unit/test_safeguarding_detector.py)
    "To listen before I start talking.",
]


def entries(db: Database) -> list[ReflectionEntry]:
    return db.call(lambda s: list(s.exec(select(ReflectionEntry).order_by(ReflectionEntry.id)).all()))


async def test_join_consent_prompt_five_steps_close(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        anna = emu.user(2001, "Anna", "anna_med")
        info = await anna.say(f"/start {cohort.invite_code}")
        assert "participant information" in info["plain_text"]
        q1 = await anna.wait_for_message(lambda m: m["reply_markup"] is not None, after=0)
        answer = await anna.click(q1["message_id"], button(q1, "Yes, I'll take part"))
        assert answer["text"] == "Thank you"
        q2 = await anna.wait_for_message(lambda m: "Choice 2 of 2" in (m["plain_text"] or ""), after=0)
        await anna.click(q2["message_id"], button(q2, "Yes, you may use them"))
        await anna.wait_for_message(lambda m: "you're all set" in (m["plain_text"] or ""), after=0)
        assert anna.messages()[1]["plain_text"] == "✓ You chose to take part."  # the pressed message was updated

        result = await send_now(settings_for(emu, db), db, env, str(cohort.id), 1, actor="cli:test")
        assert result["sent"] == 1
        prompt = await anna.wait_for_message(lambda m: "Week 1 of 6" in (m["plain_text"] or ""), after=0)
        assert "1 · The encounter" in prompt["plain_text"]
        assert button(prompt, "No encounter this week")

        for text in REPLIES[:-1]:
            await anna.say(text)
        close = await anna.say(REPLIES[-1])
        assert "Thank you, Anna" in close["plain_text"]

    stored = entries(db)
    assert [(e.week, e.step, e.text) for e in stored] == list(
        zip([1] * 5, ["encounter", "felt", "patient", "between", "takeaway"], REPLIES, strict=True)
    )
    assert len({(e.chat_id, e.message_id) for e in stored}) == 5


async def test_unsupported_messages_each_get_a_clear_answer(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        ben = emu.user(2002, "Ben")
        for send in (ben.send_voice, ben.send_photo, ben.send_sticker, ben.send_document, ben.send_video):
            after = len(ben.messages())
            send()
            reply = await ben.wait_for_message(after=after)
            assert "I can only keep typed text" in reply["plain_text"]
        assert "I don't know the command /frobnicate" in (await ben.say("/frobnicate"))["plain_text"]
        emu.send_group_text(-100500, 2002, "/status")
        group_reply = await emu.wait_for_message(-100500)
        assert "I only work in a private chat" in group_reply["plain_text"]
        assert "To join, open the invite link" in (await ben.say("hello there, what is this?"))["plain_text"]
        assert "I don't recognise the code" in (await ben.say("/start WRONGCODE"))["plain_text"]


async def test_an_edit_is_kept_as_a_new_version(db: Database, env: Env, cohort) -> None:
    async with BotAPIEmulator() as emu, running_bot(emu, db, env):
        cara = emu.user(2003, "Cara")
        await cara.say(f"/start {cohort.invite_code}")
        q1 = await cara.wait_for_message(lambda m: m["reply_markup"] is not None, after=0)
        await cara.click(q1["message_id"], button(q1, "Yes, I'll take part"))
        q2 = await cara.wait_for_message(lambda m: "Choice 2 of 2" in (m["plain_text"] or ""), after=0)
        await cara.click(q2["message_id"], button(q2, "No, keep them out of research"))
        await send_now(settings_for(emu, db), db, env, cohort.name, 1, actor="cli:test")
        await cara.wait_for_message(lambda m: "Week 1" in (m["plain_text"] or ""), after=0)
        sent = cara.send_text(REPLIES[0])
        await cara.wait_for_message(lambda m: "2 · What I felt" in (m["plain_text"] or ""), after=0)
        after = len(cara.messages())
        cara.edit_text(sent["message_id"], REPLIES[0] + " She was in her eighties.")
        reply = await cara.wait_for_message(after=after)
        assert "kept your edited version" in reply["plain_text"]
    assert [(e.version, e.text.endswith("eighties.")) for e in entries(db)] == [(1, False), (2, True)]


async def test_a_long_reply_from_the_bot_is_split_within_telegram_limits(db: Database, env: Env) -> None:
    from bot.core.replies import Reply
    from bot.telegram.send import send_reply

    async with BotAPIEmulator() as emu, running_bot(emu, db, env) as app:
        emu.user(2004, "Dev")
        long_text = "\n\n".join(f"<b>Paragraph {i}</b> " + "word " * 150 for i in range(12))
        await send_reply(app.bot, 2004, Reply(long_text))
        sent = emu.messages_to(2004)
        assert len(sent) > 1 and all(len(m["plain_text"]) <= 4096 for m in sent)
        assert "".join(m["plain_text"] for m in sent).count("Paragraph") == 12
