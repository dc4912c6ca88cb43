"""/exemplar through the real PTB application and the Bot API emulator: quote a passage, mark it, undo."""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from storage.db import Database
from storage.theme_models import Exemplar
from tests.support.botharness import running_bot
from tests.support.research_support import assign_round, enrol, is_item, reflect, review_all, run_intake, seed, study


async def test_a_coder_marks_a_quoted_passage_as_an_exemplar_in_chat(
    db: Database, research_env: Env, study_cohort
) -> None:
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    reflect(db, research_env, study_cohort, [ana])
    run_intake(db, research_env)
    seed(db, research_env)
    review_all(db, research_env)
    code = study(db).researcher_code

    async with BotAPIEmulator() as emu, running_bot(emu, db, research_env):
        rhea = emu.user(9001, "Rhea")
        await rhea.say(f"/start r-{code}")
        early = await rhea.say("/exemplar")
        assert early["plain_text"].startswith("You haven't coded anything in this round yet.")
        assign_round(db, research_env)
        await rhea.say("/code")
        item = await rhea.wait_for_message(is_item, after=0)
        done = await rhea.say("Self-preservation", reply_to_message_id=item["message_id"], quote="her son [NAME]")
        assert "coded as Self-preservation" in done["plain_text"]

        marked = await rhea.say("/exemplar <b>family</b> pressure")
        assert marked["plain_text"] == (
            "Marked as an exemplar quote: «her son [NAME]» — Self-preservation, item #1\n"
            "It will appear in the theme report. /exemplar undo takes the mark off."
        )
        notes = db.call(lambda s: [e.note for e in s.exec(select(Exemplar)).all()])
        assert notes == ["<b>family</b> pressure"]  # kept as typed; escaped wherever shown

        undone = await rhea.say("/exemplar undo")
        assert undone["plain_text"] == "Exemplar mark taken off: «her son [NAME]» — Self-preservation, item #1"
        assert db.call(lambda s: s.exec(select(Exemplar)).all()) == []

        bo = emu.user(2002, "Bo")
        refused = await bo.say("/exemplar")
        assert "that command is for researchers of a study" in refused["plain_text"]
