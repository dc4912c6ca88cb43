"""Transcript import: a 60-minute session (600 turns, 6 speakers) read, mapped, consent-checked and redacted.

    python benchmarks/transcript_import.py [--turns 600] [--repeat 5] [--database-url URL]

For each format (.txt, .docx, .vtt, .srt) prints the median seconds, over --repeat runs, to read the file and to
preview it as ``balint research import-transcript`` does (map speakers, check consent in the database, redact
every turn), and to store it with ``--store`` (preview again in the cohort, then one transcript of queue items).
Goal: under 5 s for 600 turns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docx import Document  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine  # noqa: E402

import storage.schema  # noqa: E402,F401
from bot.core.clock import ManualClock  # noqa: E402
from bot.core.context import Env, Person  # noqa: E402
from bot.core.student.enrolment import CohortIn, create_cohort  # noqa: E402
from bot.research import queue as research_queue
from bot.research import transcript_import, transcripts  # noqa: E402
from storage import research_repo  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.support.factories import DomainChat  # noqa: E402

SPEAKERS = ["Dr Lee", "Sam", "Alex", "Priya", "Jo", "Kim"]
LINES = ["I met Mrs Jones, aged 82, on the ward; her son Tom rang 07700 900123 twice while I was there.",
         "What stayed with you afterwards, when you left the bay?",
         "I felt out of my depth and a bit useless, standing at the end of the bed.",
         "Perhaps she was frightened, and tired of being asked the same questions by students.",
         "Something shifted when I sat down instead of standing over her, and she started to talk."]


def make_files(folder: Path, turns: int) -> dict[str, Path]:
    rows = [(SPEAKERS[i % len(SPEAKERS)], LINES[i % len(LINES)], i * 6) for i in range(turns)]

    def ts(seconds: int, sep: str) -> str:
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}000"

    paths = {f: folder / f"session.{f}" for f in transcripts.FORMATS}
    paths["txt"].write_text("\n".join(f"[{ts(s, '')[:8]}] {who}: {t}" for who, t, s in rows), encoding="utf-8")
    doc = Document()
    for who, t, _ in rows:
        doc.add_paragraph(f"{who}: {t}")
    doc.save(str(paths["docx"]))
    paths["vtt"].write_text("WEBVTT\n\n" + "\n\n".join(f"{ts(s, '.')} --> {ts(s + 5, '.')}\n<v {who}>{t}"
                                                      for who, t, s in rows), encoding="utf-8")
    paths["srt"].write_text("\n\n".join(f"{i + 1}\n{ts(s, ',')} --> {ts(s + 5, ',')}\n{who}: {t}"
                                        for i, (who, t, s) in enumerate(rows)), encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        engine = create_engine(url)
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        db = Database(url)
        env = Env(clock=ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=UTC)), bot_username="bench_bot",
                  research=research_queue)
        env.pseudonym_key = "benchmark-key"
        cohort = db.call(create_cohort, CohortIn(name="Bench", start_date=date(2026, 1, 5), weeks=6, weekday=0,
                                                 send_time=clock_time(9, 0), timezone="Europe/London",
                                                 study="Bench study"))
        mapping = {"dr lee": "leader"}
        for i, name in enumerate(SPEAKERS[1:]):
            DomainChat(db, env, Person(telegram_id=3000 + i, first_name=name)).join_and_consent(
                cohort.invite_code, research=True)
            mapping[name.lower()] = f"tg:{3000 + i}"
        paths = make_files(folder, args.turns)
        print(f"{args.turns} turns, {len(SPEAKERS)} speakers, median of {args.repeat} runs")  # noqa: T201
        print(f"{'format':<6} {'read s':>8} {'preview s':>10} {'store s':>8} {'turns in':>9}")  # noqa: T201
        for fmt, path in paths.items():
            reads, previews, stores, kept = [], [], [], 0
            for n in range(args.repeat):
                t0 = time.perf_counter()
                turns = transcripts.read(path)
                t1 = time.perf_counter()

                def run(session: Session, turns: list[transcripts.Turn] = turns) -> transcripts.Preview:
                    study = research_repo.get_study_by_name(session=session, name="Bench study")
                    assert study is not None
                    return transcripts.preview(session, env, study, turns, mapping)

                def store(session: Session, turns: list[transcripts.Turn] = turns, title: str = f"{fmt} {n}") -> int:
                    study = research_repo.get_study_by_name(session=session, name="Bench study")
                    assert study is not None
                    cohort = transcript_import.cohort_of(session, study, None)
                    preview = transcripts.preview(session, env, study, turns, mapping, cohort.id)
                    return len(transcript_import.store(session, env, study, cohort, 1, title, preview,
                                                       actor="bench").items)

                kept = len(db.call(run).turns)
                reads.append(t1 - t0)
                previews.append(time.perf_counter() - t1)
                t2 = time.perf_counter()
                assert db.call(store) == kept
                stores.append(time.perf_counter() - t2)
            print(f"{fmt:<6} {statistics.median(reads):>8.3f} {statistics.median(previews):>10.3f} "  # noqa: T201
                  f"{statistics.median(stores):>8.3f} {kept:>9}")
        db.close()


if __name__ == "__main__":
    main()
