"""Coding in Telegram end to end: the real PTB Application over HTTP against the Bot API emulator."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage.db import Database
from storage.research_models import ResearchCoding
from tests.support.botharness import button, running_bot
from tests.support.research_support import assign_round, enrol, is_item, reflect, review_all, run_intake, seed, study


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_researcher_link_code_toggle_quote_done(db: Database, research_env: Env, study_cohort) -> None:
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)
    code = study(db).researcher_code

    async with BotAPIEmulator() as emu, running_bot(emu, db, research_env):
        rhea = emu.user(9001, "Rhea")
        welcome = await rhea.say(f"/start r-{code}")
        assert "you're now a researcher of Balint Study 2026, coding as C1" in welcome["plain_text"]

        nothing = await rhea.say("/code")
        assert "No items are assigned to you in round 1" in nothing["plain_text"]
        assign_round(db, research_env)
        await rhea.say("/code")
        item = await rhea.wait_for_message(is_item, after=0)
        assert item["plain_text"].startswith("Item #1 · P001 · week 1 · The encounter")
        assert "I met Mrs [NAME], aged [AGE], on the ward" in item["plain_text"]
        assert "☐ Attunement to encounters" in labels(item)

        answer = await rhea.click(item["message_id"], button(item, "☐ Attunement to encounters"))
        assert answer["text"] == "☑ Attunement to encounters"
        # the same message, its buttons redrawn in place
        await emu.wait_until(lambda: "☑ Attunement to encounters" in labels(item), what="buttons redrawn")
        assert item["edits"][-1]["method"] == "editMessageReplyMarkup"

        # a passage: select it, Reply with the quote, send the code's name
        done = await rhea.say("Self-preservation", reply_to_message_id=item["message_id"], quote="her son [NAME]")
        assert "“her son [NAME]” coded as Self-preservation" in done["plain_text"]
        # or send anything and pick the code from the buttons
        ask = await rhea.say("this one", reply_to_message_id=item["message_id"], quote="twice while I was there")
        assert ask["plain_text"] == "Which code for “twice while I was there”?"
        await rhea.click(ask["message_id"], button(ask, "Container for vulnerability"))
        await emu.wait_until(lambda: "coded as Container for vulnerability" in ask["plain_text"], what="edit")

        await rhea.click(item["message_id"], button(item, "✓ Done with this item"))
        await emu.wait_until(lambda: "✓ Finished." in item["plain_text"], what="item finished")
        assert (
            "Your codes: Attunement to encounters; Self-preservation (“her son [NAME]”); Container for "
            "vulnerability (“twice while I was there”)"
        ) in item["plain_text"]
        assert item["reply_markup"] is None
        nxt = await rhea.wait_for_message(lambda m: is_item(m) and m["message_id"] != item["message_id"], after=0)
        assert nxt["plain_text"].startswith("Item #2 · P001 · week 1 · What I felt")

        skipped = await rhea.say("/skip")
        assert skipped["plain_text"] == "Item #2 put aside; it comes back after the others."
        await rhea.wait_for_message(lambda m: is_item(m) and "Item #3 · P001 · week 1" in m["plain_text"], after=0)
        rhea.send_text("/progress")
        progress = await rhea.wait_for_message(lambda m: "You:" in (m["plain_text"] or ""))
        assert "You: 1 of 5 item(s) finished, 1 put aside." in progress["plain_text"]

        # a student's reply to one of the bot's messages is still a student's message
        stranger = emu.user(2002, "Bo")
        hello = await stranger.say("/code")
        assert "that command is for researchers of a study" in hello["plain_text"]

    text = run_text(db)
    spans = db.call(
        lambda s: [
            (c.start, c.end)
            for c in s.exec(
                select(ResearchCoding).where(ResearchCoding.start.is_not(None)).order_by(ResearchCoding.id)
            ).all()
        ]
    )  # type: ignore[union-attr]
    assert [text[a:b] for a, b in spans] == ["her son [NAME]", "twice while I was there"]


def run_text(db: Database) -> str:
    from storage.research_models import CodingItem

    return db.call(lambda s: s.get(CodingItem, 1).text)
