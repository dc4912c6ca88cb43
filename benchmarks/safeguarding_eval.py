"""Evaluate the safeguarding phrase rules on the labelled corpus.

    python benchmarks/safeguarding_eval.py [--corpus PATH] [--rules PATH] [--errors] [--json]

Prints:
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
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.safeguarding_rules import SafeguardingRules, Subject, Verdict  # noqa: E402

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
    return verdict.alerts_facilitator


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
            c["category_right"] += str(v.category) == i.category
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
        "category_accuracy": rate(sum(str(v.category) == i.category for i, v in caught), len(caught)),
        "per_category": {k: dict(v) for k, v in sorted(per_cat.items())},
        "per_label": {k: dict(v) for k, v in sorted(per_label.items())},
        "missed": [(i.text, i.explicit, v.summary()) for i, v in missed],
        "false_alarms": [(i.text, i.label, v.summary()) for i, v in false_alarms],
        "other_flags": [(i.text, i.label, v.summary()) for i, v in other_flags],
        "wrong_category": [(i.text, i.category, v.summary()) for i, v in caught if str(v.category) != i.category],
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--rules", type=Path, default=None, help="rules.toml (default: prompts/safeguarding)")
    ap.add_argument("--errors", action="store_true", help="list misses, false alarms, other flags")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--split", choices=("dev", "heldout"), help="only this part of the corpus")
    args = ap.parse_args(argv)
    items = load_corpus(args.corpus)
    if args.split:
        items = [i for i in items if i.split == args.split]
    res = evaluate(items, SafeguardingRules.from_toml(args.rules))
    print(json.dumps(res, indent=2) if args.json else report(res, errors=args.errors))
    ok = res["explicit_recall"] >= RECALL_GOAL and res["false_alarm_rate"] < FALSE_ALARM_GOAL
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
