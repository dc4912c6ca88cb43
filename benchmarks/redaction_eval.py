"""Recall / precision of the rule-based redactor on the gold corpus, per identifier type.

    python benchmarks/redaction_eval.py [--corpus PATH] [--toml PATH] [--split dev|heldout] [--misses]

Matching is span-level.  A gold span is FOUND when a predicted span of the SAME type overlaps at
least 50% of the gold span's characters; a predicted span is CORRECT when it finds some gold span in
that sense (a predicted span overlapping no gold span of its type is a false positive).  "any-type"
recall ignores the type: it is the privacy view (was the identifier hidden at all?), and "leaked"
counts gold characters left unredacted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.redaction import ALL_TYPES, Redactor, Span  # noqa: E402

DEFAULT_CORPUS = ROOT / "tests" / "data" / "redaction_corpus.jsonl"


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    type: str


@dataclass
class Row:
    text: str
    spans: list[Gold]
    split: str = "dev"


@dataclass
class Counts:
    gold: int = 0
    found: int = 0
    found_any_type: int = 0
    predicted: int = 0
    correct: int = 0
    gold_chars: int = 0
    leaked_chars: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def recall_any(self) -> float:
        return self.found_any_type / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                spans = [Gold(s["start"], s["end"], s["type"]) for s in d["spans"]]
                rows.append(Row(d["text"], spans, d.get("split", "dev")))
    return rows


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _hits(g: Gold, p: Span | Gold) -> bool:
    return _overlap(g.start, g.end, p.start, p.end) * 2 >= g.end - g.start


def score(redactor: Redactor, rows: Iterable[Row]) -> dict[str, Counts]:
    """Counts per type plus "ALL" (every type pooled)."""
    counts = {t: Counts() for t in (*ALL_TYPES, "ALL")}
    for row in rows:
        pred = redactor.find(row.text)
        for g in row.spans:
            found = any(p.type == g.type and _hits(g, p) for p in pred)
            found_any = any(_hits(g, p) for p in pred)
            covered = sum(_overlap(g.start, g.end, p.start, p.end) for p in pred)
            for key in (g.type, "ALL"):
                c = counts.setdefault(key, Counts())
                c.gold += 1
                c.found += found
                c.found_any_type += found_any
                c.gold_chars += g.end - g.start
                c.leaked_chars += g.end - g.start - covered
                if not found:
                    c.misses.append(f"{row.text[g.start : g.end]!r} in: {row.text}")
        for p in pred:
            ok = any(g.type == p.type and _hits(g, p) for g in row.spans)
            for key in (p.type, "ALL"):
                c = counts.setdefault(key, Counts())
                c.predicted += 1
                c.correct += ok
                if not ok:
                    c.false_positives.append(f"{p.text!r} [{p.type}/{p.rule}] in: {row.text}")
    return counts


def table(counts: dict[str, Counts]) -> str:
    head = f"{'type':<16}{'gold':>6}{'found':>7}{'recall':>8}{'any-type':>10}{'pred':>6}{'prec':>7}{'leaked':>8}"
    lines = [head, "-" * len(head)]
    for key, c in counts.items():
        if c.gold == 0 and c.predicted == 0:
            continue
        if key == "ALL":
            lines.append("-" * len(head))
        lines.append(
            f"{key:<16}{c.gold:>6}{c.found:>7}{c.recall:>8.3f}{c.recall_any:>10.3f}{c.predicted:>6}"
            f"{c.precision:>7.3f}{c.leaked_chars:>8}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--toml", type=Path, default=None)
    ap.add_argument("--split", choices=("dev", "heldout"), default=None)
    ap.add_argument("--misses", action="store_true", help="list missed gold spans and false positives")
    args = ap.parse_args(argv)
    rows = load_corpus(args.corpus)
    redactor = Redactor.from_toml(args.toml)
    splits = [args.split] if args.split else ["all", *sorted({r.split for r in rows})]
    for split in splits:
        chosen = [r for r in rows if split == "all" or r.split == split]
        counts = score(redactor, chosen)
        print(f"\n== {split}: {len(chosen)} sentences, {sum(1 for r in chosen if not r.spans)} without identifiers")
        print(table(counts))
        if args.misses:
            for key, c in counts.items():
                if key == "ALL":
                    continue
                for m in c.misses:
                    print(f"MISS {key}: {m}")
                for f in c.false_positives:
                    print(f"FP   {key}: {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
