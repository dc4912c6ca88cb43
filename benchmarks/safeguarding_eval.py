"""Evaluate the safeguarding detector: development sets and (only when asked) the held-out test sets, side by side.

    python benchmarks/safeguarding_eval.py [--split dev|test|all] [--errors] [--json] [--no-timing]
    python benchmarks/safeguarding_eval.py --corpus PATH     # one file, either schema

Two schemas are read.

The group schema (``tests/data/safeguarding_dev.jsonl``, ``tests/data/testset/*.jsonl``): one
``{"text", "group", "category"}`` per line, optional ``"trick": true`` and ``"split"``. Scored on the tier
(what ``balint safeguarding check --json`` prints):
  * explicit_self_risk  caught when the tier is alert                       (goal recall 1.0)
  * warning_sign        caught when the tier is check_in or alert
  * peer                caught when risk about someone else, or any tier
  * all self-risk       explicit + warning_sign + peer                       (goal >= 0.90)
  * harassment          caught when the tier is alert                       (goal >= 0.90)
  * no_risk             a false alarm when the tier is alert or check_in    (goal < 5 %)
The development file holds out 30 % of its rows (``"split": "val"``) and a batch written after the rules
(``"split": "fresh"``, scored once before any change for it), each reported as its own column.
Set A of the held-out sets, once scored, was folded in as ``"testA"`` (tuned against) and ``"testA_val"`` (a random
third, stratified by category, held back from tuning and looked at only at the end).
The test sets are read only with ``--split test`` or ``--split all``.

The older label schema (``tests/data/safeguarding_corpus.jsonl``, tuned with the rules) prints:
  * recall on explicit risk  - explicit risk messages for which the verdict raises risk about the
    right person: the student's own risk must alert the facilitator; someone else at risk must be
    flagged as such; a patient-safety concern must be a patient matter. Goal 1.0.
  * recall on all risk       - the same, including implicit / ambiguous messages (explicit=false).
  * false-alarm rate         - share of non_risk + negated + patient + hyperbole messages that alert
    the facilitator about the student. Goal < 5%.
  * per-category recall and category accuracy, and patient-safety flags on non-risk messages.
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.privacy.redaction import default_redactor  # noqa: E402
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH, SafeguardingRules, Subject, Tier, Verdict  # noqa: E402

DEFAULT_CORPUS = ROOT / "tests" / "data" / "safeguarding_corpus.jsonl"
NON_RISK_LABELS = ("non_risk", "negated", "patient", "hyperbole")
RECALL_GOAL = 1.0
FALSE_ALARM_GOAL = 0.05


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    category: str | None
    subject: str | None
    explicit: bool
    split: str = "dev"  # "dev": written with the rules; "heldout": written later, first scored untuned


def load_corpus(path: Path = DEFAULT_CORPUS) -> list[Item]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw["label"] not in ("risk", *NON_RISK_LABELS):
            raise ValueError(f"{path}:{n}: unknown label {raw['label']!r}")
        items.append(
            Item(
                raw["text"],
                raw["label"],
                raw.get("category"),
                raw.get("subject"),
                bool(raw["explicit"]),
                raw.get("split", "dev"),
            )
        )
    return items


def detected(item: Item, verdict: Verdict) -> bool:
    """A risk message is caught when the verdict raises it about the right person."""
    if item.category == "patient_safety":
        return verdict.is_patient_matter or verdict.alerts_facilitator
    if item.subject == Subject.OTHER:
        return verdict.concerns_someone_else or verdict.alerts_facilitator
    if not item.explicit:  # implicit / ambiguous: a check-in is the right answer too
        return verdict.alerts_facilitator or verdict.checks_in
    return verdict.alerts_facilitator


def _category_right(item: Item, verdict: Verdict) -> bool:
    """The category the corpus gives, or a warning sign (a check-in) for an implicit message."""
    return str(verdict.category) == item.category or (not item.explicit and verdict.checks_in)


def evaluate(items: list[Item], rules: SafeguardingRules) -> dict[str, Any]:
    verdicts = [rules.check(i.text) for i in items]
    pairs = list(zip(items, verdicts, strict=True))
    explicit = [(i, v) for i, v in pairs if i.label == "risk" and i.explicit]
    risky = [(i, v) for i, v in pairs if i.label == "risk"]
    benign = [(i, v) for i, v in pairs if i.label in NON_RISK_LABELS]

    def rate(num: int, den: int) -> float:
        return num / den if den else 0.0

    per_cat: dict[str, dict[str, int]] = defaultdict(Counter)  # type: ignore[arg-type]
    for i, v in risky:
        c = per_cat[i.category or "-"]
        c["n"] += 1
        c["explicit"] += i.explicit
        if detected(i, v):
            c["caught"] += 1
            c["explicit_caught"] += i.explicit
            c["category_right"] += _category_right(i, v)
    per_label: dict[str, dict[str, int]] = defaultdict(Counter)  # type: ignore[arg-type]
    for i, v in benign:
        c = per_label[i.label]
        c["n"] += 1
        c["alerts"] += v.alerts_facilitator
        c["any_risk"] += v.risk
    missed = [(i, v) for i, v in risky if not detected(i, v)]
    false_alarms = [(i, v) for i, v in benign if v.alerts_facilitator]
    other_flags = [(i, v) for i, v in benign if v.risk and not v.alerts_facilitator]
    caught = [(i, v) for i, v in risky if detected(i, v)]
    return {
        "n": len(items),
        "labels": dict(Counter(i.label for i in items)),
        "explicit_recall": rate(sum(detected(i, v) for i, v in explicit), len(explicit)),
        "explicit_n": len(explicit),
        "all_recall": rate(sum(detected(i, v) for i, v in risky), len(risky)),
        "all_n": len(risky),
        "false_alarm_rate": rate(len(false_alarms), len(benign)),
        "benign_n": len(benign),
        "category_accuracy": rate(sum(_category_right(i, v) for i, v in caught), len(caught)),
        "per_category": {k: dict(v) for k, v in sorted(per_cat.items())},
        "per_label": {k: dict(v) for k, v in sorted(per_label.items())},
        "missed": [(i.text, i.explicit, v.summary()) for i, v in missed],
        "false_alarms": [(i.text, i.label, v.summary()) for i, v in false_alarms],
        "other_flags": [(i.text, i.label, v.summary()) for i, v in other_flags],
        "wrong_category": [(i.text, i.category, v.summary()) for i, v in caught if not _category_right(i, v)],
    }


def report(res: dict[str, Any], *, errors: bool) -> str:
    lines = [
        f"corpus: {res['n']} messages {res['labels']}",
        f"recall, explicit risk:   {res['explicit_recall']:.3f}  (n={res['explicit_n']}, goal {RECALL_GOAL:.1f})",
        f"recall, all risk:        {res['all_recall']:.3f}  (n={res['all_n']}, incl. implicit/ambiguous)",
        f"false-alarm rate:        {res['false_alarm_rate']:.3f}  "
        f"(n={res['benign_n']} non-risk+negated+patient+hyperbole, goal < {FALSE_ALARM_GOAL:.2f})",
        f"category accuracy (caught risk): {res['category_accuracy']:.3f}",
        "",
        f"{'category':<16}{'n':>4}{'caught':>8}{'recall':>8}{'explicit':>10}{'expl.recall':>13}",
    ]
    for cat, c in res["per_category"].items():
        n, caught, ex, exc = c.get("n", 0), c.get("caught", 0), c.get("explicit", 0), c.get("explicit_caught", 0)
        lines.append(f"{cat:<16}{n:>4}{caught:>8}{caught / n if n else 0:>8.2f}{ex:>10}{exc / ex if ex else 0:>13.2f}")
    lines += ["", f"{'label':<12}{'n':>4}{'alerts':>8}{'rate':>8}{'any risk':>10}"]
    for label, c in res["per_label"].items():
        n, a = c.get("n", 0), c.get("alerts", 0)
        lines.append(f"{label:<12}{n:>4}{a:>8}{a / n if n else 0:>8.2f}{c.get('any_risk', 0):>10}")
    if errors:
        for title, key in (
            ("MISSED", "missed"),
            ("FALSE ALARMS", "false_alarms"),
            ("OTHER FLAGS ON NON-RISK (no alert)", "other_flags"),
            ("WRONG CATEGORY", "wrong_category"),
        ):
            if res[key]:
                lines += ["", f"{title}:"]
                lines += [f"  {a!r:<90} {b}  -> {c}" for a, b, c in res[key]]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# group schema: the development file and the held-out test sets
# --------------------------------------------------------------------------------------------

DEV_FILE = ROOT / "tests" / "data" / "safeguarding_dev.jsonl"
#: development messages written for training the model (bot/core/safety/safeguarding_model.py), one file a writer
TRAIN_GLOB = "safeguarding_train_*.jsonl"
TEST_DIR = ROOT / "tests" / "data" / "testset"
TEST_GLOB = "safeguarding_*.jsonl"
GROUPS = ("explicit_self_risk", "warning_sign", "peer", "harassment", "no_risk")
# the student's own risk, explicit or a warning sign, as tests/data/testset/README.md scores it; a peer's
# disclosure is reported on its own line (until round 8 this figure counted it too)
SELF_RISK_GROUPS = ("explicit_self_risk", "warning_sign")
GOALS = {"explicit_recall": 1.0, "self_risk_recall": 0.90, "harassment_recall": 0.90, "false_alarm_rate": 0.05}


DEV_SPLITS = ("dev", "val", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "testA", "testA_val")


def load_dev() -> list[Case]:
    """Every development message: the main file and the training files beside it."""
    cases = load_cases(DEV_FILE)
    for path in sorted(DEV_FILE.parent.glob(TRAIN_GLOB)):
        cases += load_cases(path)
    return cases


@dataclass(frozen=True)
class Case:
    text: str
    group: str
    category: str
    trick: bool = False
    split: str = "dev"


def load_cases(path: Path) -> list[Case]:
    """Rows of a group-schema file; a clear error names the line of a bad row."""
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw.get("group") not in GROUPS:
            raise ValueError(f"{path}:{n}: unknown group {raw.get('group')!r}")
        cases.append(
            Case(
                raw["text"],
                raw["group"],
                str(raw.get("category") or "-"),
                bool(raw.get("trick")),
                raw.get("split", "dev"),
            )
        )
    return cases


def caught(case: Case, verdict: Verdict) -> bool:
    """For a risk row: the verdict does what the group needs. For no_risk: the verdict raises an alarm."""
    tier = verdict.tier
    if case.group in ("explicit_self_risk", "harassment"):
        return tier is Tier.ALERT
    if case.group == "warning_sign":
        return tier in (Tier.ALERT, Tier.CHECK_IN)
    if case.group == "peer":
        return verdict.concerns_someone_else or tier is not Tier.NONE
    return tier in (Tier.ALERT, Tier.CHECK_IN)  # no_risk: a false alarm


def score(cases: list[Case], check: Callable[[str], Verdict]) -> dict[str, Any]:
    """Recall per group and category, the false-alarm rate, and the rows that went wrong."""
    pairs = [(c, check(c.text)) for c in cases]

    def rate(rows: list[tuple[Case, Verdict]]) -> float | None:
        return sum(caught(c, v) for c, v in rows) / len(rows) if rows else None

    def of(*groups: str) -> list[tuple[Case, Verdict]]:
        return [(c, v) for c, v in pairs if c.group in groups]

    per_cat: dict[str, dict[str, Any]] = {}
    for key in sorted({(c.group, c.category) for c in cases}, key=lambda k: (GROUPS.index(k[0]), k[1])):
        rows = [(c, v) for c, v in pairs if (c.group, c.category) == key]
        per_cat[f"{key[0]}/{key[1]}"] = {"n": len(rows), "rate": rate(rows)}
    tricks = [(c, v) for c, v in pairs if c.trick]
    return {
        "n": len(cases),
        "explicit_recall": rate(of("explicit_self_risk")),
        "warning_recall": rate(of("warning_sign")),
        "peer_recall": rate(of("peer")),
        "self_risk_recall": rate(of(*SELF_RISK_GROUPS)),
        "harassment_recall": rate(of("harassment")),
        "false_alarm_rate": rate(of("no_risk")),
        "trick_correct": (
            sum(caught(c, v) != (c.group == "no_risk") for c, v in tricks) / len(tricks) if tricks else None
        ),
        "counts": {g: len(of(g)) for g in GROUPS},
        "per_category": per_cat,
        "errors": [
            {"text": c.text, "group": c.group, "category": c.category, "got": v.summary()}
            for c, v in pairs
            if caught(c, v) == (c.group == "no_risk")
        ],
    }


def meets_goals(res: dict[str, Any]) -> bool:
    def ok(key: str, low: bool = False) -> bool:
        value = res[key]
        return value is None or (value < GOALS[key] if low else value >= GOALS[key])

    return ok("explicit_recall") and ok("self_risk_recall") and ok("harassment_recall") and ok("false_alarm_rate", True)


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def side_by_side(columns: dict[str, dict[str, Any]], *, errors: bool) -> str:
    names = list(columns)
    head = f"{'':<44}" + "".join(f"{n:>14}" for n in names)
    lines = [head, f"{'messages':<44}" + "".join(f"{columns[n]['n']:>14}" for n in names)]
    for key, label in (
        ("explicit_recall", "explicit self-risk recall (alert; goal 1.0)"),
        ("warning_recall", "warning signs recall (check-in or alert)"),
        ("peer_recall", "peer disclosures recall"),
        ("self_risk_recall", "all self-risk recall (goal >= 0.90)"),
        ("harassment_recall", "harassment recall (alert; goal >= 0.90)"),
        ("false_alarm_rate", "false alarms on no_risk (goal < 0.05)"),
        ("trick_correct", "format/confusable tricks right"),
    ):
        lines.append(f"{label:<44}" + "".join(f"{_fmt(columns[n][key]):>14}" for n in names))
    lines += ["", f"{'per category (no_risk: false-alarm rate)':<44}" + "".join(f"{n:>14}" for n in names)]
    cats: list[str] = []
    for n in names:
        cats += [k for k in columns[n]["per_category"] if k not in cats]
    cats.sort(key=lambda k: (GROUPS.index(k.split("/")[0]), k))
    for cat in cats:
        cells = []
        for n in names:
            pc = columns[n]["per_category"].get(cat)
            cells.append(f"{_fmt(pc['rate'])} ({pc['n']:>3})" if pc else f"{'':>14}")
        lines.append(f"{cat:<44}" + "".join(f"{c:>14}" for c in cells))
    if errors:
        for n in names:
            errs = columns[n]["errors"]
            if errs:
                lines += ["", f"ERRORS in {n} ({len(errs)}): missed risk, or an alarm on no_risk"]
                lines += [f"  {e['group']}/{e['category']}: {e['text'][:110]!r}  -> {e['got']}" for e in errs]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


def _four_kb(texts: list[str]) -> str:
    out = ""
    for t in texts:
        if len(out) >= 4096:
            break
        out += t + " "
    return out[:4096]


def timings(
    texts: list[str], check: Callable[[str], object], *, long_texts: dict[str, str], rounds: int = 5
) -> dict[str, float]:
    """Mean and p99 per message over the texts, and p99 on each 4 KB message (milliseconds)."""
    for t in texts:
        check(t)  # warm up caches and lazily compiled parts
    per: list[float] = []
    for _ in range(rounds):
        for t in texts:
            t0 = time.perf_counter()
            check(t)
            per.append(time.perf_counter() - t0)

    def p99(xs: list[float]) -> float:
        return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.99))] * 1000

    out = {
        "mean_ms": statistics.fmean(per) * 1000,
        "p50_ms": statistics.median(per) * 1000,
        "p99_ms": p99(per),
        "n": len(texts),
        "load_average": os.getloadavg()[0],
    }
    for name, long_text in long_texts.items():
        big: list[float] = []
        cpu: list[float] = []  # this process's CPU time: what the check costs, whatever else the machine runs
        for _ in range(40):
            t0, c0 = time.perf_counter(), time.process_time()
            check(long_text)
            big.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[f"p99_4kb_{name}_ms"] = p99(big)
        out[f"p50_4kb_{name}_ms"] = statistics.median(big) * 1000
        out[f"cpu_p50_4kb_{name}_ms"] = statistics.median(cpu) * 1000
        out[f"cpu_p99_4kb_{name}_ms"] = p99(cpu)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--split",
        choices=("dev", "test", "all"),
        default="dev",
        help="dev: development files (default); test: the held-out sets only; all: both",
    )
    ap.add_argument("--corpus", type=Path, default=None, help="evaluate just this file (either schema)")
    ap.add_argument("--rules", type=Path, default=None, help="rules.toml (default: prompts/safeguarding)")
    ap.add_argument("--errors", action="store_true", help="list misses and false alarms")
    ap.add_argument("--no-model", action="store_true", help="the rules alone, without the model beside them")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--no-timing", action="store_true", help="skip the timing runs")
    args = ap.parse_args(argv)
    rules = SafeguardingRules.from_toml(args.rules, model_path=None if args.no_model else DEFAULT_MODEL_PATH)
    if args.corpus is not None:
        first = json.loads(next(line for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()))
        if "label" in first:
            res = evaluate(load_corpus(args.corpus), rules)
            print(json.dumps(res, indent=2) if args.json else report(res, errors=args.errors))
            return 0 if res["explicit_recall"] >= RECALL_GOAL and res["false_alarm_rate"] < FALSE_ALARM_GOAL else 1
        columns = {args.corpus.stem: score(load_cases(args.corpus), rules.check)}
        print(json.dumps(columns, indent=2) if args.json else side_by_side(columns, errors=args.errors))
        return 0 if meets_goals(columns[args.corpus.stem]) else 1

    columns: dict[str, dict[str, Any]] = {}
    ok = True
    out: dict[str, Any] = {}
    texts: list[str] = []
    if args.split in ("dev", "all"):
        legacy = evaluate(load_corpus(DEFAULT_CORPUS), rules)
        out["corpus"] = legacy
        dev = load_dev()
        for split in (*DEV_SPLITS, *sorted({c.split for c in dev} - set(DEV_SPLITS))):
            name = "dev" if split == "dev" else f"dev-{split}"
            columns[name] = score([c for c in dev if c.split == split], rules.check)
        texts += [c.text for c in dev] + [i.text for i in load_corpus(DEFAULT_CORPUS)]
        ok = legacy["explicit_recall"] >= RECALL_GOAL and legacy["false_alarm_rate"] < FALSE_ALARM_GOAL
        ok = ok and meets_goals(columns["dev"])
    if args.split in ("test", "all"):
        files = sorted(TEST_DIR.glob(TEST_GLOB))
        if not files:
            print(f"no test sets found as {TEST_DIR / TEST_GLOB}", file=sys.stderr)
            return 2
        for f in files:
            columns[f.stem.removeprefix("safeguarding_") or f.stem] = score(load_cases(f), rules.check)
        ok = ok and all(meets_goals(columns[n]) for n in columns if not n.startswith("dev"))
    if not args.no_timing and texts:
        dev = load_cases(DEV_FILE)
        calm = [c.text for c in dev if c.category in ("ordinary", "clinical", "supportive_staff")]
        risky = [c.text for c in dev if c.group != "no_risk"]
        long_texts = {
            # a long reflection: ordinary and clinical sentences with one disclosure buried in the middle
            "reflection": _four_kb(calm[:20] + ["I've been saving up my tablets."] + calm[20:]),
            # the worst case: about forty risk messages back to back, every sentence a hit
            "all_risk": _four_kb(risky),
        }
        # a fixed sample of at most 2,000 messages, three rounds: the sentence encoder reads a message in about
        # 10-20 ms, so every development message five times over would take most of an hour
        sample = random.Random(0).sample(texts, min(len(texts), 2000))
        out["timing"] = timings(sample, rules.check, long_texts=long_texts, rounds=3)
        redactor = default_redactor()

        def both(text: str) -> object:  # what the bot does to each reflection answer: screen it, redact it
            return rules.check(text), redactor.redact(text)

        out["timing_with_redaction"] = timings(sample, both, long_texts=long_texts, rounds=3)
    out["columns"] = columns
    if args.json:
        print(json.dumps(out, indent=2))
        return 0 if ok else 1
    if "corpus" in out:
        c = out["corpus"]
        print(
            f"tuned corpus {DEFAULT_CORPUS.name}: explicit recall {c['explicit_recall']:.3f} (n={c['explicit_n']}), "
            f"all risk {c['all_recall']:.3f}, false alarms {c['false_alarm_rate']:.3f} (n={c['benign_n']})\n"
        )
    print(side_by_side(columns, errors=args.errors))
    if "timing" in out:
        t = out["timing"]
        print(
            f"\ntiming (safeguarding only, {t['n']} messages x 3, load average {t['load_average']:.1f}): "
            f"mean {t['mean_ms']:.3f} ms, p50 {t['p50_ms']:.3f} ms, p99 {t['p99_ms']:.3f} ms per message\n"
            f"  4 KB reflection (one disclosure buried): p50 {t['p50_4kb_reflection_ms']:.2f} ms, "
            f"p99 {t['p99_4kb_reflection_ms']:.2f} ms (CPU time: p50 {t['cpu_p50_4kb_reflection_ms']:.2f} ms, "
            f"p99 {t['cpu_p99_4kb_reflection_ms']:.2f} ms)\n"
            f"  4 KB of risk messages back to back:      p50 {t['p50_4kb_all_risk_ms']:.2f} ms, "
            f"p99 {t['p99_4kb_all_risk_ms']:.2f} ms (CPU time: p50 {t['cpu_p50_4kb_all_risk_ms']:.2f} ms, "
            f"p99 {t['cpu_p99_4kb_all_risk_ms']:.2f} ms)"
        )
        t = out["timing_with_redaction"]
        print(
            f"safeguarding + redaction: mean {t['mean_ms']:.3f} ms, p50 {t['p50_ms']:.3f} ms, "
            f"p99 {t['p99_ms']:.3f} ms per message; 4 KB reflection p50 {t['p50_4kb_reflection_ms']:.2f} ms, "
            f"p99 {t['p99_4kb_reflection_ms']:.2f} ms (CPU p99 {t['cpu_p99_4kb_reflection_ms']:.2f} ms); "
            f"4 KB of risk messages p99 {t['p99_4kb_all_risk_ms']:.2f} ms"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
