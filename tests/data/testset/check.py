"""Check the held-out test sets' format and print their counts.

Run: python tests/data/testset/check.py  (checks every *.jsonl beside this file)

It checks the schema, that each redaction span is a clean identifier (text[start:end] has no
surrounding space, spans do not overlap), that NHS numbers pass the mod-11 check, and that lines
flagged ``trick`` really hold a format character or a Cyrillic look-alike. It never runs a detector.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUPS = {
    "explicit_self_risk": {
        "suicidal_ideation",
        "self_harm",
        "plan",
        "means_acquisition",
        "past_attempt",
        "final_acts",
        "passive_death_wish",
        "abuse_at_home",
    },
    "warning_sign": {
        "hopelessness",
        "trapped",
        "burden",
        "risky_driving",
        "drinking_to_cope",
        "not_eating",
        "dissociation",
    },
    "peer": {"peer_disclosure", "friend_assault"},
    "harassment": {
        "unwanted_touching",
        "appearance_comments",
        "grade_proposition",
        "racist_remark",
        "sexist_remark",
        "public_humiliation",
        "shared_to_mock",
        "intimidation_note",
    },
    "no_risk": {"ordinary", "clinical", "negated", "figure_of_speech", "teaching", "supportive_staff"},
}
TYPES = {
    "NAME",
    "DATE",
    "AGE",
    "PHONE",
    "EMAIL",
    "NHS_NUMBER",
    "HOSPITAL_NUMBER",
    "POSTCODE",
    "ADDRESS",
    "LOCATION",
}
TRICK_CHARS = set("\u200b\u00ad\u2060") | set(
    "\u0435\u043e\u0430\u0456\u0441\u0440\u0415\u041e\u0410\u0406\u0421\u0420"
)


def nhs_valid(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def check_safeguarding(path: Path) -> list[str]:
    errors: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    texts: set[str] = set()
    tricks = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        text, group, cat = row["text"], row["group"], row["category"]
        if set(row) - {"text", "group", "category", "trick"}:
            errors.append(f"{path.name}:{n}: unknown keys {set(row)}")
        if cat not in GROUPS.get(group, set()):
            errors.append(f"{path.name}:{n}: bad group/category {group}/{cat}")
        if text in texts:
            errors.append(f"{path.name}:{n}: duplicate text")
        texts.add(text)
        has_trick = any(c in TRICK_CHARS for c in text)
        if has_trick != bool(row.get("trick")):
            errors.append(f"{path.name}:{n}: trick flag does not match the text")
        tricks += has_trick
        counts[(group, cat)] += 1
    print(f"{path.name}: {sum(counts.values())} messages, {tricks} tricks")
    for group, cats in GROUPS.items():
        total = sum(counts[(group, c)] for c in cats)
        detail = ", ".join(f"{c} {counts[(group, c)]}" for c in sorted(cats))
        print(f"  {group} {total}: {detail}")
    return errors


def check_redaction(path: Path) -> list[str]:
    errors: list[str] = []
    counts: Counter[str] = Counter()
    lines = empty = tricks = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        text, spans = row["text"], row["spans"]
        lines += 1
        empty += not spans
        last_end = 0
        for span in sorted(spans, key=lambda s: s["start"]):
            start, end, kind = span["start"], span["end"], span["type"]
            piece = text[start:end]
            if kind not in TYPES:
                errors.append(f"{path.name}:{n}: bad type {kind}")
            if not (0 <= start < end <= len(text)) or start < last_end:
                errors.append(f"{path.name}:{n}: bad or overlapping span {span}")
            if piece != piece.strip() or not piece:
                errors.append(f"{path.name}:{n}: span {piece!r} has surrounding space")
            if kind == "NHS_NUMBER":
                digits = "".join(c for c in piece if c.isdigit())
                if not nhs_valid(digits):
                    errors.append(f"{path.name}:{n}: NHS number {piece!r} fails mod 11")
            last_end = end
            counts[kind] += 1
        has_trick = any(c in TRICK_CHARS for s in spans for c in text[s["start"] : s["end"]])
        if has_trick != bool(row.get("trick")):
            errors.append(f"{path.name}:{n}: trick flag does not match the spans")
        tricks += has_trick
    print(
        f"{path.name}: {lines} lines, {sum(counts.values())} spans, {empty} lines without identifiers, {tricks} tricks"
    )
    print("  " + ", ".join(f"{k} {counts[k]}" for k in sorted(TYPES)))
    return errors


def main() -> int:
    errors: list[str] = []
    for path in sorted(HERE.glob("*.jsonl")):
        if path.name.startswith("safeguarding"):
            errors += check_safeguarding(path)
        elif path.name.startswith("redaction"):
            errors += check_redaction(path)
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
