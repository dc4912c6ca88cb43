"""Benchmark the web workbench: server time of each page with 10,000 items in a study, and coding actions.

Run from the repository root:

    python benchmarks/web.py
    python benchmarks/web.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_web

The database holds one study: 200 participants x 10 weeks x 5 steps = 10,000 redacted items (300-900
characters), half of them reviewed; a 40-code codebook in the open round; two coders, each assigned every item,
a third of the items finished by both with two or three codes each (so the agreement page has real work:
3,333 items x 40 codes); four themes of ten codes each (the Themes page builds the theme report).
The agreement page keeps each round's input and figures under a fingerprint of what they depend on (read
ahead when the app starts), so its first view, the first after a coder finishes an item
(only that item is read) and the first after a codebook change (everything is read again: the cost of computing
the page from nothing) are measured apart from later views.

The Themes page and its map are kept per round under a fingerprint of what they show: their first view, later
views and the first after a theme change are measured apart.

The real app (``bot.web.app.build_app``) serves on 127.0.0.1; a signed-in client requests each page and posts
each action ``--repeat`` times. "Server time" is measured inside the app, from the first middleware in to the
response out (the ``Server-Timing`` header added below), so the client's own work is not counted. Goals
(issue 15): every page under 150 ms, a coding action under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, web  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine  # noqa: E402

import storage.schema  # noqa: E402,F401
from benchmarks.export import START, text_of  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.context import Env  # noqa: E402
from bot.research import codebook, themes  # noqa: E402
from bot.research.web_access import issue_link, redeem  # noqa: E402
from bot.web.app import COOKIE, build_app  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Cohort, Enrolment, ReflectionSession, RoleGrant, Study, User  # noqa: E402
from storage.research_models import (  # noqa: E402
    Assignment,
    Coder,
    CodingItem,
    CodingRound,
    ResearchCode,
    ResearchCoding,
    ResearchParticipant,
)
from storage.theme_models import Theme, ThemeCode  # noqa: E402

PARTICIPANTS, WEEKS, STEPS = 200, 10, ("encounter", "felt", "patient", "between", "takeaway")
CODES = 40
THEMES = 4  # each made of 10 of the codes, for the Themes page
RESEARCHER = 900_000


def build(url: str, seed: int = 15) -> tuple[int, int]:
    """Fill an empty database with the benchmark study; return (study id, an assigned item's id)."""
    rng = random.Random(seed)
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        study = Study(name="Benchmark study", researcher_code="BENCHWEB1")
        s.add(study)
        s.flush()
        cohort = Cohort(name="Benchmark cohort", invite_code="BENCHWEB", study_id=study.id, start_date=START.date(),
                        weeks=WEEKS)
        s.add(cohort)
        rnd = CodingRound(study_id=study.id, number=1, opened_at=START)
        s.add(rnd)
        s.flush()
        coders = [Coder(study_id=study.id, telegram_id=RESEARCHER + k, label=f"C{k + 1}", independent=k == 1)
                  for k in range(2)]
        s.add_all(coders)
        s.add_all([RoleGrant(telegram_id=RESEARCHER + k, role="researcher", study_id=study.id) for k in range(2)])
        codes = [ResearchCode(study_id=study.id, round_id=rnd.id, lineage=f"L{k}", name=f"Code {k + 1}",
                              definition=f"Definition of code {k + 1}.", colour="#4E79A7", position=k)
                 for k in range(CODES)]
        s.add_all(codes)
        s.flush()
        themes = [Theme(study_id=study.id, round_id=rnd.id, lineage=f"T{t}", name=f"Theme {t + 1}",
                        definition=f"Definition of theme {t + 1}.", position=t) for t in range(THEMES)]
        s.add_all(themes)
        s.flush()
        s.add_all([ThemeCode(theme_id=themes[k % THEMES].id, code_id=c.id) for k, c in enumerate(codes)])
        s.commit()
        study_id, cohort_id, round_id = study.id or 0, cohort.id or 0, rnd.id or 0
        coder_ids, code_ids = [c.id or 0 for c in coders], [c.id or 0 for c in codes]
    with engine.begin() as conn:
        conn.execute(insert(User), [{"id": i + 1, "telegram_id": 10_000 + i, "first_name": f"S{i}",
                                     "created_at": START} for i in range(PARTICIPANTS)])
        conn.execute(insert(Enrolment), [{"id": i + 1, "user_id": i + 1, "cohort_id": cohort_id, "joined_at": START,
                                          "participate": True, "research": True, "paused": False}
                                         for i in range(PARTICIPANTS)])
        conn.execute(insert(ResearchParticipant), [{"id": i + 1, "study_id": study_id, "digest": f"{i:064x}",
                                                    "number": i + 1, "first_entered_at": START}
                                                   for i in range(PARTICIPANTS)])
        sessions, rows, sid = [], [], 0
        for p in range(PARTICIPANTS):
            for w in range(1, WEEKS + 1):
                sid += 1
                sessions.append({"id": sid, "enrolment_id": p + 1, "user_id": p + 1, "cohort_id": cohort_id,
                                 "week": w, "step": "closed", "status": "closed", "path": "full", "nudged": False,
                                 "skipped": [], "started_at": START, "updated_at": START, "closed_at": START})
                for step in STEPS:
                    reviewed = rng.random() < 0.5
                    rows.append({"study_id": study_id, "participant_id": p + 1, "session_id": sid,
                                 "cohort_id": cohort_id, "week": w, "step": step, "entry_ids": [],
                                 "source_digest": "0" * 64, "text": text_of(rng), "spans": [], "written_at": START,
                                 "entered_at": START, "updated_at": START,
                                 "reviewed_at": START if reviewed else None,
                                 "reviewed_by": "bench" if reviewed else None})
        conn.execute(insert(ReflectionSession), sessions)
        for i in range(0, len(rows), 5_000):
            conn.execute(insert(CodingItem), rows[i:i + 5_000])
        item_ids = [i for (i,) in conn.execute(select(CodingItem.id).order_by(CodingItem.id))]  # type: ignore[arg-type]
        assignments, codings, aid = [], [], 0
        for item in item_ids:
            finished = rng.random() < 1 / 3
            truth = rng.sample(code_ids, 3)
            for k, coder in enumerate(coder_ids):
                aid += 1
                assignments.append({"id": aid, "round_id": round_id, "item_id": item, "coder_id": coder,
                                    "independent": k == 1, "assigned_at": START,
                                    "done_at": START if finished else None})
                if finished:
                    codings.extend({"assignment_id": aid, "code_id": c, "created_at": START}
                                   for c in truth if rng.random() < 0.85)
        conn.execute(insert(Assignment), assignments)
        conn.execute(insert(ResearchCoding), codings)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    open_item = next(a["item_id"] for a in assignments if a["coder_id"] == coder_ids[0] and a["done_at"] is None)
    engine.dispose()
    return study_id, int(open_item)


@web.middleware
async def timing(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                 ) -> web.StreamResponse:
    """Put the server's own time for the request in a Server-Timing header."""
    t0 = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.3f}"
    return response


def ms(header: str) -> float:
    return float(header.split("dur=")[1])


def rename_theme(session: Session, env: Env, study_id: int) -> None:
    """Rename the first theme, as ``balint research themes edit`` does (the Themes page must show it)."""
    study = session.get(Study, study_id)
    assert study is not None
    rnd = codebook.round_by_number(session, study, None)
    themes.edit_theme(session, env, rnd, themes.themes(session, env, rnd)[0], name="Theme one", actor="bench")


async def measure(url: str, study_id: int, item_id: int, repeat: int) -> list[tuple[str, list[float]]]:
    db = Database(url)
    env = Env(clock=SystemClock())
    app = build_app(db, env, secure_cookie=False, freeze=True)  # as ``balint web`` serves
    app.middlewares.insert(0, timing)
    token = db.call(issue_link, env, RESEARCHER, actor="bench")
    cookie, signed = db.call(redeem, env, token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/web"
    s = f"/s/{study_id}"
    results: list[tuple[str, list[float]]] = []
    async with ClientSession(cookies={COOKIE: cookie}) as client:
        async def timed(label: str, method: str, path: str, data: dict[str, Any] | None = None,
                        times_: int = repeat) -> None:
            times = []
            for _ in range(times_):
                async with client.request(method, base + path, data=data, allow_redirects=False) as r:
                    await r.read()
                    if r.status >= 400:
                        raise SystemExit(f"{label}: HTTP {r.status}")
                    times.append(ms(r.headers["Server-Timing"]))
            results.append((label, times))

        await timed("agreement, first view", "GET", f"{s}/agreement", times_=1)
        for label, path in [("home (studies)", "/"), ("review queue, page 1", f"{s}/review"),
                            ("review queue, page 200", f"{s}/review?page=200"),
                            ("reviewed items", f"{s}/review?done=1"), ("coding list", f"{s}/code?show=all"),
                            ("coding list, page 100", f"{s}/code?show=all&page=100"),
                            ("an item to code", f"{s}/code/{item_id}"), ("exports", f"{s}/exports"),
                            ("agreement, later views (cached)", f"{s}/agreement")]:
            await timed(label, "GET", path)
        await timed("themes, first view (built at start-up)", "GET", f"{s}/themes", times_=1)
        await timed("the theme map, first view (drawn at start-up)", "GET", f"{s}/themes/map.png", times_=1)
        await timed("themes, later views (kept)", "GET", f"{s}/themes")
        await timed("the theme map, later views (kept)", "GET", f"{s}/themes/map.png")
        db.call(rename_theme, env, study_id)
        await timed("themes after a theme change", "GET", f"{s}/themes", times_=1)
        await timed("the theme map after a theme change", "GET", f"{s}/themes/map.png", times_=1)
        csrf = signed.csrf
        await timed("action: tick a whole-item code", "POST", f"{s}/code/{item_id}/toggle",
                    {"csrf": csrf, "code": "1"})
        await timed("action: code a passage", "POST", f"{s}/code/{item_id}/passage",
                    {"csrf": csrf, "code": "2", "start": "0", "end": "20"})
        await timed("action: add a memo", "POST", f"{s}/code/{item_id}/memo", {"csrf": csrf, "text": "A note."})
        await timed("action: done with this item", "POST", f"{s}/code/{item_id}/done", {"csrf": csrf}, times_=1)
        await timed("agreement after a coder finished", "GET", f"{s}/agreement", times_=1)
        await timed("codebook change: rename a code", "POST", f"{s}/codebook/change",
                    {"csrf": csrf, "op": "edit", "code": "1", "name": "Code one"}, times_=1)
        await timed("agreement after a codebook change", "GET", f"{s}/agreement", times_=1)
        await timed("themes after a codebook change", "GET", f"{s}/themes", times_=1)
    await runner.cleanup()
    db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/web.db"
        t0 = time.perf_counter()
        study_id, item_id = build(url)
        print(f"10,000 items built in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        results = asyncio.run(measure(url, study_id, item_id, args.repeat))
    print(f"{'request':<46} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  goal")
    for label, times in results:
        goal = 50 if label.startswith("action") else 150
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        verdict = "ok" if p95 < goal else "OVER"
        print(f"{label:<46} {statistics.median(times):>10.1f} {p95:>8.1f} {max(times):>8.1f}  <{goal} {verdict}")


if __name__ == "__main__":
    main()
