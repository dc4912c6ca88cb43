"""Benchmark compute_agreement: 10,000 items x 40 codes x 2 coders of random segment codings.

Run from the repository root:  python benchmarks/agreement.py [--items N] [--codes N] [--coders N] [--seed N]

Time is measured without tracing, with the process's max RSS before and after; peak memory is a second run
under tracemalloc (Python allocations made by compute_agreement itself, the input list already built).
Goal: well under 30 s and 300 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.research.agreement import Coding, compute_agreement  # noqa: E402


def make_codings(n_items: int, n_codes: int, n_coders: int, seed: int) -> tuple[list[Coding], dict[str, int]]:
    """Each code is truly present in an item with probability 0.25; a coder sees the truth 85% of the time.

    Applied codes get one or two spans around a shared anchor (so coders' spans overlap partially); one
    coding in ten is whole-item.
    """
    rng = random.Random(seed)
    coders = [f"coder{k}" for k in range(n_coders)]
    codes = [f"theme{c // 8}/code{c}" for c in range(n_codes)]
    codings: list[Coding] = []
    lengths: dict[str, int] = {}
    for i in range(n_items):
        item = f"reflection-{i:05d}"
        length = rng.randint(200, 2000)
        lengths[item] = length
        for code in codes:
            truth = rng.random() < 0.25
            anchor = rng.randrange(0, length - 100)
            for coder in coders:
                if (rng.random() < 0.85) != truth:
                    continue
                if rng.random() < 0.1:
                    codings.append(Coding(item, coder, code))
                    continue
                for _ in range(rng.randint(1, 2)):
                    start = max(0, anchor + rng.randint(-40, 40))
                    end = min(length, start + rng.randint(10, 120))
                    codings.append(Coding(item, coder, code, start, end))
    return codings, lengths


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--codes", type=int, default=40)
    parser.add_argument("--coders", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20260501)
    args = parser.parse_args()

    started = time.perf_counter()
    codings, lengths = make_codings(args.items, args.codes, args.coders, args.seed)
    print(
        f"generated {len(codings):,} codings ({args.items:,} items x {args.codes} codes x {args.coders} coders)"
        f" in {time.perf_counter() - started:.1f} s"
    )

    rss_input = max_rss_mib()
    started = time.perf_counter()
    report = compute_agreement(codings, item_lengths=lengths)
    elapsed = time.perf_counter() - started
    rss_after = max_rss_mib()

    tracemalloc.start()
    compute_agreement(codings, item_lengths=lengths)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    overall = report.overall
    print(f"compute_agreement: {elapsed:.2f} s")
    print(f"peak traced memory during compute_agreement: {peak / 2**20:.1f} MiB")
    print(f"process max RSS: {rss_input:.1f} MiB with the input built, {rss_after:.1f} MiB after compute_agreement")
    print(
        f"overall: agreement {fmt(overall.percent_agreement)}, kappa {fmt(overall.cohen_kappa)}, "
        f"alpha {fmt(overall.krippendorff_alpha)}, characters {fmt(overall.segment_overlap)} "
        f"(kappa {fmt(overall.segment_kappa)})"
    )


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
