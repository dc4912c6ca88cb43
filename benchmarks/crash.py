"""Crash safety at scale: SIGKILL the bot during 1,000 replies from 200 students and a broadcast to 2,000.

    python benchmarks/crash.py [--repliers 200] [--replies 5] [--broadcast 2000] [--kills 4] [--database-url URL]

Prints stored, lost and duplicated replies and prompts. Goal: 0 lost, 0 duplicate replies; prompt duplicates
bounded by what was in flight when the process died.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.crash_harness import CrashPlan, run_crash  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repliers", type=int, default=200)
    parser.add_argument("--replies", type=int, default=5)
    parser.add_argument("--broadcast", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="balint-crash-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/crash.db"
        plan = CrashPlan(repliers=args.repliers, replies_each=args.replies, broadcast_to=args.broadcast,
                         kills=args.kills, seed=args.seed, kill_after=(1.0, 6.0), finish_within=600)
        r = run_crash(plan, url, Path(tmp))
    backend = url.split(":", 1)[0]
    print(f"crash benchmark on {backend}: {args.kills} SIGKILLs in {r.seconds:.0f} s")
    print(f"replies : sent {r.replies_sent}, stored {r.replies_stored}, lost {r.replies_lost}, "
          f"duplicated {r.replies_duplicated}")
    print(f"prompts : expected {r.prompts_expected}, received {r.prompts_received}, missing {r.prompts_missing}, "
          f"duplicated {r.prompts_duplicated} (bounded by what was in flight at each kill)")
    for note in r.notes:
        print("note:", note)


if __name__ == "__main__":
    main()
