"""Benchmark research exports (100,000 reflection steps) and agreement (10,000 items x 40 codes) on one core.

Run from the repository root:

    python benchmarks/export.py                       # build a SQLite database in a temporary folder, then measure
    python benchmarks/export.py --keep data/bench.db  # keep (and on later runs reuse) the database
    python benchmarks/export.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

The database holds one study: 2,000 participants x 50 steps = 100,000 redacted items (300-900 characters,
a few beginning with = or - to exercise formula neutralising), a 40-code codebook, and two coders:
round 1 has every item double-coded (two or three codes per coder, a third of them passages), a fifth of
the items settled; round 2 has 10,000 items coded against all 40 codes (each present with p = 0.25, a coder
agreeing with the truth 85% of the time), for the agreement figures.

Each export runs in a fresh process (so its peak RSS is its own): the time is the export call alone, the memory
is that process's peak resident set size (imports included) and, for comparison, its size just before the
export began. Goal: every format under 30 s and 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine, select  # noqa: E402

import storage.models  # noqa: E402,F401
import storage.research_models  # noqa: E402,F401
from storage.models import Cohort, Enrolment, ReflectionSession, Study, User  # noqa: E402
from storage.research_models import (  # noqa: E402
    AgreedCoding,
    Assignment,
    Coder,
    CodingItem,
    CodingRound,
    ResearchCode,
    ResearchCoding,
    ResearchParticipant,
    Settlement,
)

PARTICIPANTS, WEEKS, STEPS = 2_000, 10, ("encounter", "felt", "patient", "between", "takeaway")
AGREEMENT_ITEMS, CODES = 10_000, 40
FORMATS = ("csv", "xlsx", "jsonl", "qdpx", "qdc")
WORDS = ("the patient ward felt quiet tired afraid family doctor nurse student shift room silence hand "
         "voice looked asked waited listened medicine night morning worried kind angry sad relieved team "
         "consultant registrar bed window notes history pain breath story son daughter home hope").split()
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), rng.choice(("[NAME]", "[AGE]", "[DATE]", "[PHONE]")))
    return " ".join(words).capitalize() + "."


def text_of(rng: random.Random) -> str:
    parts: list[str] = []
    target = rng.randint(300, 900)
    while sum(len(p) + 1 for p in parts) < target:
        parts.append(sentence(rng))
    body = " ".join(parts)
    roll = rng.random()
    if roll < 0.01:
        body = "=" + body
    elif roll < 0.03:
        body = "- " + body
    return body


def build(url: str, seed: int) -> None:
    """Fill an empty database with the benchmark study."""
    rng = random.Random(seed)
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    t0 = time.perf_counter()
    with Session(engine) as s:
        study = Study(name="Benchmark study", researcher_code="BENCHCODE1")
        s.add(study)
        s.flush()
        cohort = Cohort(name="Benchmark cohort", invite_code="BENCH123", study_id=study.id, start_date=date(2026, 1, 5),
                        weeks=WEEKS)
        s.add(cohort)
        s.flush()
        rounds = [CodingRound(study_id=study.id, number=n, opened_at=START) for n in (1, 2)]
        s.add_all(rounds)
        s.flush()
        coders = [Coder(study_id=study.id, telegram_id=900_000 + k, label=f"C{k + 1}", independent=k == 1)
                  for k in range(2)]
        s.add_all(coders)
        s.flush()
        code_ids: dict[int, list[int]] = {}
        for rnd in rounds:
            themes = [ResearchCode(study_id=study.id, round_id=rnd.id, lineage=f"L{t}", name=f"Theme {t + 1}",
                                   definition=f"Definition of theme {t + 1}.", colour="#4E79A7", position=t)
                      for t in range(CODES // 8)]
            s.add_all(themes)
            s.flush()
            subs = [ResearchCode(study_id=study.id, round_id=rnd.id, lineage=f"L{t}-{k}", parent_id=theme.id,
                                 name=f"Code {t + 1}.{k + 1}", definition="A sub-code.", colour="#F28E2B",
                                 position=CODES + t * 8 + k)
                    for t, theme in enumerate(themes) for k in range(7)]
            s.add_all(subs)
            s.flush()
            code_ids[rnd.id or 0] = [c.id or 0 for c in [*themes, *subs]][:CODES]
        s.commit()
        study_id, cohort_id = study.id or 0, cohort.id or 0
        r1, r2 = rounds[0].id or 0, rounds[1].id or 0
        coder_ids = [c.id or 0 for c in coders]

    with engine.begin() as conn:
        conn.execute(insert(User), [{"id": i + 1, "telegram_id": 10_000 + i, "first_name": f"S{i}",
                                     "created_at": START} for i in range(PARTICIPANTS)])
        conn.execute(insert(Enrolment), [{"id": i + 1, "user_id": i + 1, "cohort_id": cohort_id, "joined_at": START,
                                          "participate": True, "research": True, "paused": False}
                                         for i in range(PARTICIPANTS)])
        conn.execute(insert(ResearchParticipant), [{"id": i + 1, "study_id": study_id, "digest": f"{i:064x}",
                                                    "number": i + 1, "first_entered_at": START}
                                                   for i in range(PARTICIPANTS)])
        sessions, rows = [], []
        sid = 0
        for p in range(PARTICIPANTS):
            for w in range(1, WEEKS + 1):
                sid += 1
                at = START + timedelta(days=7 * (w - 1))
                sessions.append({"id": sid, "enrolment_id": p + 1, "user_id": p + 1, "cohort_id": cohort_id,
                                 "week": w, "step": "closed", "status": "closed", "path": "full", "nudged": False,
                                 "skipped": [], "started_at": at, "updated_at": at, "closed_at": at})
                for step in STEPS:
                    rows.append({"study_id": study_id, "participant_id": p + 1, "session_id": sid,
                                 "cohort_id": cohort_id, "week": w, "step": step, "entry_ids": [],
                                 "source_digest": "0" * 64, "text": text_of(rng), "spans": [], "written_at": at,
                                 "entered_at": at, "updated_at": at, "reviewed_at": at, "reviewed_by": "bench"})
        for i in range(0, len(sessions), 20_000):
            conn.execute(insert(ReflectionSession), sessions[i:i + 20_000])
        for i in range(0, len(rows), 10_000):
            conn.execute(insert(CodingItem), rows[i:i + 10_000])
    print(f"  {len(rows):,} items inserted in {time.perf_counter() - t0:.1f} s", flush=True)

    with engine.begin() as conn:
        item_ids = [i for (i,) in conn.execute(select(CodingItem.id).order_by(CodingItem.id))]  # type: ignore[arg-type]
        lengths = {i: len(t) for i, t in conn.execute(select(CodingItem.id, CodingItem.text))}  # type: ignore[call-overload]
        _code_round(conn, rng, r1, item_ids, coder_ids, code_ids[r1], lengths, dense=False)
        _code_round(conn, rng, r2, item_ids[:AGREEMENT_ITEMS], coder_ids, code_ids[r2], lengths, dense=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as a database in use has them
    print(f"  database ready in {time.perf_counter() - t0:.1f} s", flush=True)
    engine.dispose()


def _code_round(conn: Any, rng: random.Random, round_id: int, item_ids: list[int], coder_ids: list[int],
                codes: list[int], lengths: dict[int, int], *, dense: bool) -> None:
    first = conn.execute(select(Assignment.id).order_by(Assignment.id.desc()).limit(1)).scalar() or 0  # type: ignore[union-attr]
    assignments, codings, settlements, agreed = [], [], [], []
    aid = first
    for item in item_ids:
        truth = [c for c in codes if rng.random() < 0.25] if dense else rng.sample(codes, 3)
        for k, coder in enumerate(coder_ids):
            aid += 1
            assignments.append({"id": aid, "round_id": round_id, "item_id": item, "coder_id": coder,
                                "independent": k == 1, "assigned_at": START, "shown_at": START, "done_at": START})
            chosen = ([c for c in codes if (rng.random() < 0.85) == (c in truth)] if dense
                      else [c for c in truth if rng.random() < 0.85] or truth[:1])
            for c in chosen:
                if rng.random() < 0.33:
                    start = rng.randrange(0, max(1, lengths[item] - 60))
                    codings.append({"assignment_id": aid, "code_id": c, "start": start,
                                    "end": start + rng.randint(10, 60), "created_at": START})
                else:
                    codings.append({"assignment_id": aid, "code_id": c, "start": None, "end": None,
                                    "created_at": START})
        if not dense and rng.random() < 0.2:
            settlements.append({"id": len(settlements) + 1 + round_id * 10_000_000, "round_id": round_id,
                                "item_id": item, "actor": "bench", "at": START})
            agreed.extend({"settlement_id": settlements[-1]["id"], "code_id": c} for c in truth[:2])
    for batch, table in ((assignments, Assignment), (codings, ResearchCoding), (settlements, Settlement),
                         (agreed, AgreedCoding)):
        for i in range(0, len(batch), 20_000):
            conn.execute(insert(table), batch[i:i + 20_000])


# ------------------------------------------------------------------------------------------- measuring


def rss_mib() -> float:
    """Peak resident set size of this process (VmHWM: reset by exec, unlike ru_maxrss, which a child inherits)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (less disturbed than wall time on a busy machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(url: str, fmt: str, out: Path) -> dict[str, Any]:
    """In this (fresh) process: export one format and report time and memory."""
    from bot.core.context import Env
    from bot.research.exports import export

    env = Env()
    engine = create_engine(url)
    before = current_rss_mib()
    with Session(engine) as session:
        study = session.exec(select(Study)).one()
        started, cpu = time.perf_counter(), cpu_seconds()
        with out.open("wb") as fh:
            result = export(session, env, study, fmt, fh, round_number=1, actor="bench", filename=out.name)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        session.rollback()  # leave the database as it was (no export record), so runs are repeatable
    return {"format": fmt, "seconds": seconds, "cpu": cpu, "rows": result.rows, "bytes": result.bytes,
            "rss_before_mib": before, "peak_rss_mib": rss_mib()}


def run_agreement(url: str) -> dict[str, Any]:
    """In this (fresh) process: round 2's agreement as `balint research agreement --round 2` computes it."""
    from bot.research import codebook, compare
    from bot.research.agreement import compute_agreement

    engine = create_engine(url)
    before = current_rss_mib()
    with Session(engine) as session:
        study = session.exec(select(Study)).one()
        rnd = codebook.round_by_number(session, study, 2)
        started, cpu = time.perf_counter(), cpu_seconds()
        codings, lengths, reviewed, codes, coders = compare.round_agreement_input(session, rnd)
        loaded = time.perf_counter() - started
        report = compute_agreement(codings, items=compare.compared_items(session, rnd), coders=coders,
                                   codes=codes, item_lengths=lengths, reviewed=reviewed)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    o = report.overall
    return {"format": "agreement", "seconds": seconds, "cpu": cpu, "load_seconds": loaded, "rows": report.items,
            "codings": len(codings), "codes": len(codes), "rss_before_mib": before, "peak_rss_mib": rss_mib(),
            "overall": {"agreement": o.percent_agreement, "kappa": o.cohen_kappa, "alpha": o.krippendorff_alpha,
                        "characters": o.segment_overlap}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="An empty database to fill (default: SQLite in a temporary folder).")
    parser.add_argument("--keep", type=Path, help="SQLite file to build once and reuse on later runs.")
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--child", nargs=3, metavar=("URL", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        url, fmt, out = args.child
        result = run_agreement(url) if fmt == "agreement" else run_one(url, fmt, Path(out))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.database_url:
            url = args.database_url
            print("building the benchmark study …", flush=True)
            build(url, args.seed)
        else:
            path = args.keep or folder / "bench.db"
            url = f"sqlite:///{path}"
            if not path.exists():
                print(f"building the benchmark study in {path} …", flush=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                build(url, args.seed)
        print(f"python {sys.version.split()[0]}, one process per measurement, database {url.split(':')[0]}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
        print(f"{'what':<10} {'rows':>9} {'size':>10} {'time':>8} {'CPU':>7} {'RSS before':>11} {'peak RSS':>9}")
        worst_time, worst_rss = 0.0, 0.0
        for fmt in [*args.formats.split(","), "agreement"]:
            out = folder / f"export.{fmt}"
            proc = subprocess.run([sys.executable, __file__, "--child", url, fmt, str(out)], capture_output=True,
                                  text=True, check=False)
            if proc.returncode != 0:
                print(f"{fmt}: failed\n{proc.stderr[-2000:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            size = f"{r['bytes'] / 2**20:.1f} MiB" if "bytes" in r else f"{r['codings']:,} cod."
            print(f"{fmt:<10} {r['rows']:>9,} {size:>10} {r['seconds']:>7.1f}s {r['cpu']:>6.1f}s "
                  f"{r['rss_before_mib']:>7.0f} MiB "
                  f"{r['peak_rss_mib']:>5.0f} MiB")
            if fmt == "agreement":
                o = r["overall"]
                print(f"           {r['codes']} codes, 2 coders; loading the codings took {r['load_seconds']:.1f} s; "
                      f"overall agreement {o['agreement']:.3f}, kappa {o['kappa']:.3f}, alpha {o['alpha']:.3f}, "
                      f"characters {o['characters']:.3f}")
            worst_time, worst_rss = max(worst_time, r["seconds"]), max(worst_rss, r["peak_rss_mib"])
        verdict = "met" if worst_time < 30 and worst_rss < 300 else "NOT met"
        print(f"goal (every format under 30 s and 300 MB): {verdict} — slowest {worst_time:.1f} s, "
              f"largest peak {worst_rss:.0f} MiB")


if __name__ == "__main__":
    main()
