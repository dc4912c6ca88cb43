"""Three coding rounds through the real application and the Bot API emulator, as a study team runs them.

Three students write three weeks; one coder joins by the researcher link, the independent one is granted from
the CLI. Each round is assigned, coded in Telegram, settled and closed; the test checks on the way that rounds
never grow, skipped items come back, closing needs everything finished (or --force), counts add up, a closed
round's export never changes (until a withdrawal takes out exactly that student's rows), an agreed item cannot
be settled, and agreement from our own files equals the database's. On the way the codebook is changed and the
change taken back, and round 1's files are opened as a QDA user would (notes, XLSX header, week documents).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.chat import student
from bot.core.context import Env
from bot.devtools.emulator import BotAPIEmulator
from bot.research import access, codebook, codebook_change, coding, compare, exports, rounds
from bot.research.agreement import compute_agreement, report_to_rows
from bot.research.agreement.io import load_file
from bot.research.errors import ResearchError
from storage.db import Database
from storage.models import ReflectionEntry, Study
from storage.research_models import Assignment, CodingItem
from tests.support.botharness import button, running_bot
from tests.support.research_support import enrol, is_item, next_week, reflect, review_all, run_intake, seed, study

ATT, SELF = "Attunement to encounters", "Self-preservation"


def _in(db: Database, fn: Any, *args: Any) -> Any:
    return db.call(lambda s: fn(s, s.get(Study, study(db).id), *args))


def _assign(db: Database, env: Env, **kw: Any) -> coding.AssignResult:
    return _in(db, lambda s, st: coding.assign(s, env, st, codebook.open_round(s, st.id), actor="lead", **kw))


def _members(db: Database, number: int) -> list[int]:
    def run(session: Session, st: Study) -> list[int]:
        rnd = codebook.round_by_number(session, st, number)
        return sorted(set(session.exec(select(Assignment.item_id).where(Assignment.round_id == rnd.id)).all()))

    return _in(db, run)


def _tally(db: Database, number: int) -> dict[str, int]:
    return _in(db, lambda s, st: compare.tally(compare.item_states(s, codebook.round_by_number(s, st, number))))


def _number(message: dict[str, Any]) -> int:
    found = re.match(r"Item #(\d+) ·", message["plain_text"])
    assert found, message["plain_text"][:60]
    return int(found.group(1))


def _waiting_or_done(m: dict[str, Any]) -> bool:
    return is_item(m) or "nothing is waiting for you" in (m.get("plain_text") or "")


async def code_in_chat(
    user: Any, plan: dict[int, list[str]], *, skip_first: bool = False, leave: set[int] = frozenset()
) -> list[int]:  # type: ignore[assignment]
    """Code the round in Telegram: tap each planned code, Done; return the items in the order they came.
    ``leave``: items opened but not finished (the coder stops there)."""
    after = len(user.messages())
    user.send_text("/code")
    item = await user.wait_for_message(is_item, after=after)
    if skip_first:
        after = len(user.messages())
        user.send_text("/skip")
        put = await user.wait_for_message(after=after)
        assert put["plain_text"] == f"Item #{_number(item)} put aside; it comes back after the others."
        item = await user.wait_for_message(is_item, after=after)
    seen = []
    while True:
        n = _number(item)
        seen.append(n)
        for label in plan.get(n, []):
            await user.click(item["message_id"], button(item, f"☐ {label}"))
        if n in leave:
            return seen
        after = len(user.messages())
        await user.click(item["message_id"], button(item, "✓ Done with this item"))
        nxt = await user.wait_for_message(_waiting_or_done, after=after)
        if not is_item(nxt):
            return seen
        item = nxt


def _export(db: Database, env: Env, fmt: str, number: int) -> bytes:
    out = io.BytesIO()
    _in(db, lambda s, st: exports.export(s, env, st, fmt, out, round_number=number, actor="cli:lead"))
    return out.getvalue()


def _settle_all(db: Database, env: Env) -> int:
    def run(session: Session, st: Study) -> int:
        rnd = codebook.open_round(session, st.id)
        waiting = compare.disagreements(session, rnd)
        for d in waiting:
            compare.settle(
                session,
                env,
                rnd,
                session.get(CodingItem, d["item"]),
                accept=None,
                code_ids=[codebook.find_code(session, rnd, ATT).id],
                actor="lead",
                note=f"item {d['item']}: discussed at the coding meeting",
            )
        return len(waiting)

    return _in(db, run)


def _close(db: Database, env: Env, force: bool = False) -> rounds.Closed:
    return _in(db, lambda s, st: rounds.close_round(s, env, st, actor="lead", force=force))


def _check_round1_files(files: dict[str, bytes]) -> None:
    """Round 1's files as a QDA user opens them: settle notes in the rows, a ready XLSX, a document per week."""
    import zipfile

    from openpyxl import load_workbook

    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert {r["settle note"] for r in rows if r["status"] == "settled"} == {
        f"item {r['item']}: discussed at the coding meeting" for r in rows if r["status"] == "settled"
    }
    first = [json.loads(line) for line in files["jsonl"].decode().splitlines()][0]
    assert "settle_note" in first and "memos" in first
    book = load_workbook(io.BytesIO(files["xlsx"]))
    assert all(book[name].freeze_panes == "A2" and book[name].auto_filter.ref for name in book.sheetnames)
    with zipfile.ZipFile(io.BytesIO(files["qdpx"])) as z:
        project = z.read("project.qde").decode()
    assert project.count("<TextSource ") == len({r["pseudonym"] for r in rows})  # one week each: a document each


async def test_three_rounds_through_telegram(db: Database, research_env: Env, study_cohort, tmp_path: Path) -> None:
    env = research_env
    students = [enrol(db, env, study_cohort, 2001 + i, name) for i, name in enumerate(("Ana", "Ben", "Cai"))]
    reflect(db, env, study_cohort, students)
    run_intake(db, env)
    seed(db, env)
    review_all(db, env)
    _in(db, lambda s, st: access.grant(s, env, st, 7002, label="Ida", independent=True, actor="cli:lead"))
    code = study(db).researcher_code

    # the test taps far faster than a person (who codes an item in tens of seconds): lift the flood limit
    async with BotAPIEmulator() as emu, running_bot(emu, db, env, flood_messages_per_minute=1000):
        rhea, ida = emu.user(7001, "Rhea"), emu.user(7002, "Ida")
        assert "coding as C2" in (await rhea.say(f"/start r-{code}"))["plain_text"]
        hello = await ida.say("/start")  # granted from the CLI: the researcher's welcome, not the student's
        assert hello["plain_text"] == "Hello Ida! Here is what you can do here."
        helped = await ida.say("/help")
        assert "/code 7" in helped["plain_text"] and "/reflect" not in helped["plain_text"]

        # ---- round 1: a calibration subset of six week-1 items
        assert _assign(db, env, limit=6).items == 6
        order = await code_in_chat(rhea, {n: [ATT] for n in range(1, 7)}, skip_first=True)
        assert order == [2, 3, 4, 5, 6, 1]  # the put-aside item came back at the end, nothing else came in
        assert await code_in_chat(ida, {n: [ATT] if n % 2 == 0 else [SELF] for n in range(1, 6)}) == [
            1,
            2,
            3,
            4,
            5,
            6,
        ]  # item 6: Ida finished it with no code
        assert (await rhea.say("/code 3"))["plain_text"].startswith("You've finished item #3 already")
        assert (await rhea.say("/code #12"))["plain_text"].startswith("Item #12 isn't one of yours")
        opened = await rhea.say("#2")  # a message that is just #N opens the item too
        assert opened["plain_text"].startswith("You've finished item #2 already")
        assert _members(db, 1) == [1, 2, 3, 4, 5, 6]
        try:
            _close(db, env)
        except ResearchError as exc:
            assert "4 disagreement(s) waiting to be settled: #1, #3, #5, #6" in str(exc)  # 6: Ida applied none
        else:
            raise AssertionError("round 1 closed with disagreements waiting")
        assert _settle_all(db, env) == 4
        t = _tally(db, 1)
        assert t == {"assigned": 6, "in_progress": 0, "agreed": 2, "disagreements": 0, "settled": 4, "double_coded": 6}
        assert _close(db, env).members == 6
        round1 = {fmt: _export(db, env, fmt, 1) for fmt in ("csv", "qdpx", "xlsx", "jsonl")}
        _check_round1_files(round1)

        # ---- round 2: week 2, while Ana edits a week-1 reply
        entry = next(e for e in db.call(lambda s: s.exec(select(ReflectionEntry)).all()) if e.step == "felt")
        db.call(
            student.edited,
            env,
            students[0].person,
            "I felt small, and then angry at myself.",
            chat_id=entry.chat_id,
            message_id=entry.message_id,
        )
        next_week(env.clock)  # type: ignore[arg-type]
        reflect(db, env, study_cohort, students, week=2)
        run_intake(db, env)
        edited = db.call(lambda s: next(i for i in s.exec(select(CodingItem)).all() if "angry at myself" in i.text))
        assert edited.reviewed_at is None and edited.week == 1  # the edit sent the item back into review
        review_all(db, env)
        week2 = db.call(lambda s: [i.id for i in s.exec(select(CodingItem).where(CodingItem.week == 2)).all()])
        # the codebook of round 2 (the open one) changes and is taken back; CSS colour names are colours
        added = _in(
            db,
            lambda s, st: codebook_change.change(
                s,
                env,
                st,
                "add",
                actor="lead",
                name="Speaking up",
                parent="Identity within the hierarchy",
                colour="teal",
            ),
        )
        assert (added["round"], added["codes"]) == (2, ["Speaking up"])
        assert _in(db, lambda s, st: codebook_change.change(s, env, st, "delete", actor="lead", code="Speaking up"))
        assert _in(db, lambda s, st: codebook_change.undo_last(s, env, st, actor="lead"))["undid"] == "delete"
        speaking = _in(db, lambda s, st: codebook.find_code(s, codebook.open_round(s, st.id), "· Speaking up"))
        assert (speaking.name, speaking.colour) == ("Speaking up", "#008080")
        assert _assign(db, env, items=week2[:4]).items == 4
        for user in (rhea, ida):
            assert len(await code_in_chat(user, {n: [ATT, SELF] for n in week2[:4]})) == 4
        assert _tally(db, 2)["agreed"] == 4
        assert _close(db, env).members == 4

        # ---- round 3: week 3; Ida stops part-way
        next_week(env.clock)  # type: ignore[arg-type]
        reflect(db, env, study_cohort, students, week=3)
        run_intake(db, env)
        review_all(db, env)
        week3 = db.call(lambda s: [i.id for i in s.exec(select(CodingItem).where(CodingItem.week == 3)).all()])
        assert _assign(db, env, items=week3[:5]).items == 5
        await code_in_chat(rhea, {n: [ATT] if n % 2 else [SELF] for n in week3[:5]})
        await code_in_chat(ida, {n: [ATT] for n in week3[:5]}, leave={week3[4]})
        t = _tally(db, 3)
        assert t["assigned"] == t["in_progress"] + t["agreed"] + t["disagreements"] + t["settled"] == 5
        assert t["in_progress"] == 1 and _members(db, 3) == week3[:5]
        progress = await ida.say("/progress")
        assert "You: 4 of 5 item(s) finished." in progress["plain_text"]

        # agreement from our own CSV and .qdpx equals the database, for the round as it stands
        ours = _in(db, lambda s, st: compare.round_agreement(s, codebook.open_round(s, st.id)))
        assert ours.items == 4
        for fmt in ("csv", "qdpx"):
            path = tmp_path / f"round3.{fmt}"
            path.write_bytes(_export(db, env, fmt, 3))
            loaded = load_file(path)
            theirs = compute_agreement(
                loaded.codings,
                item_lengths=loaded.lengths,
                coders=loaded.coders,
                items=loaded.items,
                codes=loaded.codes,
                reviewed=loaded.reviewed,
            )
            rows = {r["code"]: r for r in report_to_rows(ours)}
            for r in report_to_rows(theirs):  # a CSV lacks only codes nobody used
                assert r == rows[r["code"]], (fmt, r)
        try:
            _close(db, env)
        except ResearchError as exc:
            assert f"#{week3[4]} (Ida)" in str(exc)
        else:
            raise AssertionError("round 3 closed with an unfinished coding")

        # round 1 is frozen: the same bytes after the edit and two more rounds
        for fmt, data in round1.items():
            assert _export(db, env, fmt, 1) == data, fmt
        assert b"angry at myself" not in round1["csv"]  # the edit went to the open round only
        assert b"angry at myself" in _export(db, env, "csv", 3)

        # an agreed item of round 3 cannot be settled; round 3 closes only with --force, and then as it stood
        agreed = next(n for n in week3[:4] if n % 2)  # Rhea and Ida both applied Attunement
        try:
            _in(
                db,
                lambda s, st: compare.settle(
                    s, env, codebook.open_round(s, st.id), s.get(CodingItem, agreed), code_ids=[], actor="lead"
                ),
            )
        except ResearchError as exc:
            assert f"item {agreed} needs no settling: its coders agree already" in str(exc)
        else:
            raise AssertionError("settled an agreed item")
        try:  # a code with codings in the open round is deleted only by moving them
            _in(db, lambda s, st: codebook_change.change(s, env, st, "delete", actor="lead", code=SELF))
        except ResearchError as exc:
            assert "give --move-to CODE" in str(exc)
        else:
            raise AssertionError("deleted a code with codings in the open round")
        forced = _close(db, env, force=True)
        assert forced.members == 5 and forced.forced.codings == [(week3[4], "Ida")]
        round3 = _export(db, env, "csv", 3)

        # Ana withdraws: the closed rounds lose exactly her rows, and each export says how many
        ana = students[0]
        ana.command("withdraw")
        ana.press("Yes, withdraw")
        for number, before in ((1, round1["csv"]), (3, round3)):
            after = io.BytesIO()
            result = _in(
                db,
                lambda s, st, n=number, out=after: exports.export(
                    s, env, st, "csv", out, round_number=n, actor="cli:lead"
                ),
            )
            old = list(csv.reader(io.StringIO(before.decode("utf-8-sig"))))
            new = list(csv.reader(io.StringIO(after.getvalue().decode("utf-8-sig"))))
            kept = [row for row in old if row[1] != "P001"]
            assert new == kept and result.left_out == len(old) - len(kept) > 0, number
