"""The review step from the command line: ranges, marks snapped to words, unmark, edits sending items back."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.chat import student
from storage.db import Database
from storage.models import ReflectionEntry
from tests.support.cli_support import balint
from tests.support.research_support import enrol, items, reflect, run_intake


def _show(item: int) -> dict:
    (row,) = json.loads(balint("research", "review", "show", str(item), "--json")[1])
    return row


def test_ranges_snapping_unmark_and_an_edit_sends_an_item_back(db: Database, research_env, study_cohort, cli_env):  # noqa: F811
    ana = enrol(db, research_env, study_cohort, 2001, "Ana")
    ben = enrol(db, research_env, study_cohort, 2002, "Ben")
    reflect(db, research_env, study_cohort, [ana, ben])
    run_intake(db, research_env)

    code, out, _ = balint("research", "review", "ok", "1-4", "6,7", "#9")
    assert code == 0 and out.strip() == "Reviewed: #1, #2, #3, #4, #6, #7, #9."
    code, _, err = balint("research", "review", "ok", "5-3")
    assert code == 2 and err.strip() == "Error: '5-3': write a range low to high, e.g. 1-35"

    text = _show(2)["text"]  # "I felt out of my depth and a bit useless, standing at the end of the bed."
    start = text.index("useless") + 2  # off by two: inside the word
    code, out, err = balint("research", "review", "mark", "2", "--span", f"{start}:{start + 3}")
    assert code == 0 and "a bit [REDACTED], standing" in out
    assert err.strip() == (
        f"Note: --span {start}:{start + 3} cut a word, so the mark was widened to {start - 2}:{start + 5} ('useless')"
    )
    first = _show(1)["text"]
    age = first.index("[AGE]")
    code, out, err = balint("research", "review", "mark", "1", "--span", f"{age + 2}:{age + 9}")
    assert code == 0 and "[AGE]" not in out.split("\n")[1] and "Note: --span" in err  # no "[AGE]9,"-like cuts
    code, out, _ = balint("research", "review", "mark", "2", "--text", "depth", "--type", "PLACE")
    assert [m["seen"] for m in _show(2)["marks"]] == ["useless", "depth"]
    code, out, _ = balint("research", "review", "unmark", "2", "1")
    assert "a bit useless, standing" in out and "my [PLACE]" in out
    code, out, _ = balint("research", "review", "unmark", "2")
    assert out.split("\n")[1] == text and _show(2)["marks"] == []
    code, _, err = balint("research", "review", "unmark", "2")
    assert code == 2 and err.strip() == "Error: item 2 has no review marks"

    # a student's edit after review puts the item back into review
    assert _show(3)["reviewed"] is not None
    entry = next(e for e in db.call(lambda s: s.exec(select(ReflectionEntry)).all()) if e.step == "patient")
    db.call(
        student.edited,
        research_env,
        ana.person,
        "She might have felt frightened, and alone.",
        chat_id=entry.chat_id,
        message_id=entry.message_id,
    )
    run_intake(db, research_env)
    assert _show(3)["reviewed"] is None and _show(4)["reviewed"] is not None
    assert [i.id for i in items(db) if i.reviewed_at is None][:3] == [3, 5, 8]
