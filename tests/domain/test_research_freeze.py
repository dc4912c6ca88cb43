"""Closed rounds are frozen: their exports are the same bytes after later edits and rounds, and differ only by a
withdrawn student's rows after a withdrawal (which the export and the withdrawal register say)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlmodel import Session, select

from bot.chat import student
from bot.core.context import Env
from bot.research import codebook, coding, compare, exports, rounds
from bot.research.errors import ResearchError
from bot.research.queue import withdrawals
from storage import coding_repo
from storage.db import Database
from storage.models import ReflectionEntry, Study
from storage.research_models import CodingItem
from tests.support.research_support import (
    RESEARCHER_A,
    RESEARCHER_B,
    assign,
    enrol,
    next_week,
    reflect,
    researchers,
    review_all,
    run_intake,
    seed,
    study,
)

FORMATS = ("csv", "jsonl", "qdpx", "xlsx")


def export(db: Database, env: Env, fmt: str, number: int) -> tuple[bytes, exports.ExportResult]:
    out = io.BytesIO()
    result = db.call(
        lambda s: exports.export(s, env, s.get(Study, study(db).id), fmt, out, round_number=number, actor="cli:lead")
    )
    return out.getvalue(), result


def code_round(db: Database, env: Env, *, finish: bool = True) -> None:
    """Both coders code every item of the open round (C1 Attunement, C2 also Self-preservation on odd items,
    a passage on each), and settle the disagreements with a note."""

    def run(session: Session) -> None:
        s = session.get(Study, study(db).id)
        rnd = codebook.open_round(session, s.id)
        att = codebook.find_code(session, rnd, "Attunement to encounters")
        selfp = codebook.find_code(session, rnd, "Self-preservation")
        container = codebook.find_code(session, rnd, "Container for vulnerability")
        for person in (RESEARCHER_A, RESEARCHER_B):
            me = coding_repo.get_coder(session=session, study_id=s.id, telegram_id=person.telegram_id)
            for a in coding_repo.open_assignments(session=session, round_id=rnd.id, coder_id=me.id):
                item = session.get(CodingItem, a.item_id)
                coding.toggle(session, env, a, att)
                coding.add_segment(session, env, a, item, container, 0, min(12, len(item.text)))
                if person is RESEARCHER_B and a.item_id % 2:
                    coding.toggle(session, env, a, selfp)
                coding.add_memo(session, env, rnd, me, f"memo by {me.label} on {a.item_id}", item=item, code=None)
                if finish:
                    coding.finish(session, env, a)
        session.flush()
        if finish:
            for d in compare.disagreements(session, rnd):
                compare.settle(
                    session,
                    env,
                    rnd,
                    session.get(CodingItem, d["item"]),
                    code_ids=[att.id],
                    actor="lead",
                    note=f"settled {d['item']} at the meeting",
                )

    db.call(run)


def coded_round(db: Database, env: Env, cohort: Any, students: list[tuple[int, str]]) -> list[Any]:
    """Students enrolled and reflecting, intake, researchers, the seed codebook, everything reviewed, assigned and
    coded by both coders: round 1 ready to close. Returns the enrolments."""
    enrolled = [enrol(db, env, cohort, tid, name) for tid, name in students]
    reflect(db, env, cohort, enrolled)
    run_intake(db, env)
    researchers(db, env)
    seed(db, env)
    review_all(db, env)
    assign(db, env)
    code_round(db, env)
    return enrolled


def close(db: Database, env: Env, *, force: bool = False) -> rounds.Closed:
    return db.call(lambda s: rounds.close_round(s, env, s.get(Study, study(db).id), actor="lead", force=force))


def test_a_closed_round_exports_the_same_bytes_until_a_withdrawal_removes_only_that_students_rows(
    db, research_env, study_cohort
):
    env = research_env
    ana = enrol(db, env, study_cohort, 2001, "Ana")
    ben = enrol(db, env, study_cohort, 2002, "Ben")
    reflect(db, env, study_cohort, [ana, ben])
    run_intake(db, env)
    researchers(db, env)
    seed(db, env)
    review_all(db, env)
    assert assign(db, env).items == 10
    code_round(db, env)
    done = close(db, env)
    assert (done.closed.number, done.members) == (1, 10) and not done.forced
    before = {fmt: export(db, env, fmt, 1)[0] for fmt in FORMATS}
    csv_before = list(csv.reader(io.StringIO(before["csv"].decode("utf-8-sig"))))
    assert "settled 1 at the meeting" in csv_before[1] and "C1: memo by C1 on 1\nC2: memo by C2 on 1" in csv_before[1]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(before["xlsx"]), read_only=True)
    assert book.sheetnames == ["Reflections", "Codebook", "Memos"]
    memos = list(book["Memos"].iter_rows(values_only=True))
    assert memos[0] == ("coder", "item", "code", "memo", "written")
    assert memos[1][:4] == ("C1", 1, None, "memo by C1 on 1")
    codes = list(book["Codebook"].iter_rows(values_only=True))
    assert codes[0][:3] == ("code", "parent", "name")

    # Ana edits week 1; week 2 comes in; round 2 is coded and closed; round 3 renames a code
    entry = next(e for e in db.call(lambda s: s.exec(select(ReflectionEntry)).all()) if e.step == "felt")
    db.call(
        student.edited,
        env,
        ana.person,
        "Honestly I felt lost and useless that morning.",
        chat_id=entry.chat_id,
        message_id=entry.message_id,
    )
    next_week(env.clock)  # type: ignore[arg-type]
    reflect(db, env, study_cohort, [ana, ben], week=2)
    run_intake(db, env)
    review_all(db, env)
    assert assign(db, env).items == 10  # week 2 only: week 1 was coded in round 1
    code_round(db, env, finish=False)
    try:
        close(db, env)
    except ResearchError as exc:
        assert "20 coding(s) not finished" in str(exc) and "--force" in str(exc)
    else:
        raise AssertionError("closed a round with unfinished codings")
    assert close(db, env, force=True).members == 10
    felt = db.call(lambda s: s.get(CodingItem, 2))
    assert felt.text.startswith("Honestly")  # the live item has the edit …
    for fmt in FORMATS:  # … the closed round does not, and nothing else of later rounds got in
        assert export(db, env, fmt, 1)[0] == before[fmt], fmt
    assert b"Honestly" in export(db, env, "csv", 3)[0]  # the open round has the edit

    # Ben withdraws: round 1's export loses exactly his rows, and says so
    ben.command("withdraw")
    ben.press("Yes, withdraw")
    after, result = export(db, env, "csv", 1)
    csv_after = list(csv.reader(io.StringIO(after.decode("utf-8-sig"))))
    assert csv_after == [row for row in csv_before if row[1] != "P002"]
    assert len(csv_after) == len(csv_before) - 5 and result.left_out == 5
    (left,) = [
        w for w in db.call(withdrawals, db.call(lambda s: s.get(Study, study(db).id))) if w["what"] == "left the queue"
    ]
    assert left["participants"] == ["P002"] and left["left_out_of"] == [result.export_id]
    assert [h["export"] for h in left["held_by_exports"]][:4] == [1, 2, 3, 4]


def test_settle_notes_and_memos_travel_in_every_format_and_in_disagreements(db, research_env, study_cohort):
    """Issue 14, point 8: a settle note and the item's memos are in the CSV, the XLSX, the JSONL and the .qdpx,
    and the note is in ``disagreements --json`` too; a closed round keeps them."""
    import json
    import zipfile

    from openpyxl import load_workbook

    env = research_env
    coded_round(db, env, study_cohort, [(2001, "Ana")])  # C2 adds Self-preservation on odd items: item 1 is settled
    # with a note

    close(db, env)
    settled = db.call(
        lambda s: compare.disagreements(
            s, codebook.round_by_number(s, s.get(Study, study(db).id), 1), include_settled=True
        )
    )
    assert [(d["item"], d["note"]) for d in settled] == [(i, f"settled {i} at the meeting") for i in (1, 3, 5)]
    memos = [{"by": "C1", "text": "memo by C1 on 1"}, {"by": "C2", "text": "memo by C2 on 1"}]
    first = json.loads(export(db, env, "jsonl", 1)[0].decode().splitlines()[0])
    assert (first["item"], first["status"], first["settle_note"]) == (1, "settled", "settled 1 at the meeting")
    assert first["memos"] == memos
    book = load_workbook(io.BytesIO(export(db, env, "xlsx", 1)[0]))
    rows = list(book["Reflections"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["settle note"] == "settled 1 at the meeting"
    assert row["memos"] == "C1: memo by C1 on 1\nC2: memo by C2 on 1"
    header = [c.value for c in book["Reflections"][1]]
    for name in ("text", "settle note", "memos"):  # long text wraps
        assert book["Reflections"].cell(2, header.index(name) + 1).alignment.wrap_text, name
    with zipfile.ZipFile(io.BytesIO(export(db, env, "qdpx", 1)[0])) as z:
        texts = {z.read(n).decode() for n in z.namelist() if n.endswith(".txt")}
        assert 'name="Settle note on item #1"' in z.read("project.qde").decode()
    assert "settled 1 at the meeting" in texts and "memo by C2 on 1" in texts


def test_an_erased_students_rows_leave_a_closed_round_and_the_export_counts_them(db, research_env, study_cohort):
    """The other half of 'withdrew or erased their data since': /delete takes the frozen copies too."""
    from storage.research_models import RoundItem

    env = research_env
    ana, _ben = coded_round(db, env, study_cohort, [(2001, "Ana"), (2002, "Ben")])
    close(db, env)
    before = list(csv.reader(io.StringIO(export(db, env, "csv", 1)[0].decode("utf-8-sig"))))
    ana.command("delete")
    ana.press("Yes, erase everything")
    assert db.call(lambda s: len(s.exec(select(RoundItem)).all())) == 5  # Ana's frozen texts are gone
    after, result = export(db, env, "csv", 1)
    rows = list(csv.reader(io.StringIO(after.decode("utf-8-sig"))))
    assert rows == [row for row in before if row[1] != "P001"] and result.left_out == 5
