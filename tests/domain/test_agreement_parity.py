"""Agreement parity: from our own CSV and .qdpx exports it equals the database's, on random rounds.

Each example is one round of the same study: items assigned to two or three coders, random whole-item codes and
passages, some coders finishing with no code, some not finishing at all. The round is exported, read back with
``agreement --from``'s reader, and compared with ``agreement --round`` code by code.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from bot.research import access, codebook, coding, compare, exports, rounds
from bot.research.agreement import compute_agreement, report_to_rows
from bot.research.agreement.io import load_file
from storage import coding_repo
from storage.models import Study
from storage.research_models import CodingItem
from tests.support.research_support import enrol, reflect, researchers, review_all, run_intake, seed, study


def _rows(report) -> dict[str, dict]:
    return {r["code"]: r for r in report_to_rows(report)}


def _same(a: dict, b: dict) -> bool:
    for key, x in a.items():
        y = b[key]
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


coder_plan = st.fixed_dictionaries(
    {
        "whole": st.sets(st.integers(0, 3), max_size=3),
        "passages": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(1, 30)), max_size=2),
        "finish": st.booleans() | st.just(True),
    }
)
round_plan = st.fixed_dictionaries(
    {
        "items": st.lists(st.integers(1, 10), min_size=1, max_size=10, unique=True),
        "per_item": st.sampled_from([2, 2, 3]),
        "coders": st.lists(coder_plan, min_size=3, max_size=3),
        "documents": st.sampled_from(["week", "participant", "step"]),
    }
)


def test_agreement_from_our_csv_and_qdpx_equals_the_database_on_random_rounds(
    db, research_env, study_cohort, tmp_path: Path
):
    env = research_env
    chats = [enrol(db, env, study_cohort, 2001 + i, f"S{i}") for i in range(2)]
    reflect(db, env, study_cohort, chats)
    run_intake(db, env)
    researchers(db, env)
    db.call(lambda s: access.grant(s, env, s.get(Study, study(db).id), 9005, label="Third coder", actor="test"))
    seed(db, env)
    review_all(db, env)
    examples = iter(range(1000))

    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(plan=round_plan)
    def check(plan: dict) -> None:
        n = next(examples)
        if n:  # a fresh round for every example (also after a failing one, which hypothesis replays)
            db.call(lambda s: rounds.close_round(s, env, s.get(Study, study(db).id), actor="test", force=True))

        def build(session: Session) -> None:
            s = session.get(Study, study(db).id)
            rnd = codebook.open_round(session, s.id)
            coding.assign(session, env, s, rnd, items=plan["items"], per_item=plan["per_item"], actor="test")
            book = codebook.codes(session, rnd)
            for a in coding_repo.round_assignments(session=session, round_id=rnd.id):
                p = plan["coders"][(a.coder_id + a.item_id) % 3]
                item = session.get(CodingItem, a.item_id)
                for c in sorted(p["whole"]):
                    coding.toggle(session, env, a, book[c])
                for c, start, length in p["passages"]:
                    if start < len(item.text):
                        coding.add_segment(session, env, a, item, book[c], start, min(len(item.text), start + length))
                if p["finish"] or a.item_id % 2:
                    coding.finish(session, env, a)
            session.flush()

        db.call(build)

        def figures(session: Session):
            s = session.get(Study, study(db).id)
            rnd = codebook.open_round(session, s.id)
            files = {}
            for fmt in ("csv", "qdpx"):
                out = io.BytesIO()
                exports.export(session, env, s, fmt, out, actor="test", documents=plan["documents"])
                path = tmp_path / f"round{n}.{fmt}"
                path.write_bytes(out.getvalue())
                files[fmt] = path
            labels = {c.id: c.label for c in coding_repo.coders_of(session=session, study_id=s.id)}
            names = codebook.paths(session, rnd)
            finished: dict[str, set[str]] = {}
            for a in coding_repo.round_assignments(session=session, round_id=rnd.id):
                if a.done_at is not None:
                    finished.setdefault(str(a.item_id), set()).add(labels[a.coder_id])
            applied = {
                (str(i), labels[c], names[k], b, e)
                for i, c, k, b, e in coding_repo.finished_codings(session=session, round_id=rnd.id)
            }
            return compare.round_agreement(session, rnd), files, finished, applied

        ours, files, finished, applied = db.call(figures)
        for fmt, path in files.items():
            loaded = load_file(path)
            # item by item: who finished each item, and what each coder applied where, as the database has it
            assert {i: set(c) for i, c in (loaded.reviewed or {}).items() if c} == finished, fmt
            assert {(c.item, c.coder, c.code, c.start, c.end) for c in loaded.codings} == applied, fmt
            theirs = compute_agreement(
                loaded.codings,
                item_lengths=loaded.lengths,
                coders=loaded.coders,
                items=loaded.items,
                codes=loaded.codes,
                reviewed=loaded.reviewed,
            )
            assert theirs.items == ours.items and theirs.coders == ours.coders, fmt
            mine, other = _rows(ours), _rows(theirs)
            # a CSV has no codebook, so it knows only the codes somebody applied (unused ones are pooled by
            # nobody); the .qdpx knows them all
            for code, row in other.items():
                assert _same(row, mine[code]), (fmt, code, row, mine[code])
            if fmt == "qdpx":
                assert set(other) == set(mine)
            assert {c for c in other if c in mine} == set(other)

    check()
