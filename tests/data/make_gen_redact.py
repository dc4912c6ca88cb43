"""Turn ``tests/data/gen_redact.txt`` into the ``"split": "gen-redact"`` rows of ``redaction_corpus.jsonl``.

Run:  python tests/data/make_gen_redact.py [SOURCE SPLIT]

With two arguments the same conversion serves a later round's file (``tests/data/gen_r7.txt gen-r7``).

The rows of every other split are kept as they are, in place; the gen-redact rows are replaced by a fresh
conversion of the text file, appended at the end.  Markup: ``{T:text}`` with ``T`` one of the letters in
``CODES``.  NHS numbers must be valid under the mod-11 check (checked here independently of the redactor).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "gen_redact.txt"
CORPUS = HERE / "redaction_corpus.jsonl"
SPLIT = "gen-redact"
CODES = {
    "N": "NAME",
    "D": "DATE",
    "A": "AGE",
    "P": "PHONE",
    "E": "EMAIL",
    "H": "NHS_NUMBER",
    "R": "HOSPITAL_NUMBER",
    "C": "POSTCODE",
    "S": "ADDRESS",
    "L": "LOCATION",
}
MARK = re.compile(r"\{([A-Z]):([^{}]+)\}")


def valid_nhs(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    rest = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = 0 if rest == 11 else rest
    return check != 10 and check == int(digits[9])


def parse(line: str, split: str = SPLIT) -> dict[str, object]:
    text: list[str] = []
    spans: list[dict[str, object]] = []
    pos = 0
    length = 0
    for m in MARK.finditer(line):
        before = line[pos : m.start()]
        text.append(before)
        length += len(before)
        typ = CODES[m.group(1)]
        value = m.group(2)
        if typ == "NHS_NUMBER":
            assert valid_nhs(re.sub(r"\D", "", value)), line
        spans.append({"start": length, "end": length + len(value), "type": typ})
        text.append(value)
        length += len(value)
        pos = m.end()
    text.append(line[pos:])
    out = "".join(text).replace("\\n", "\n")
    assert "{" not in out and "}" not in out, line
    return {"text": out, "spans": spans, "split": split}


def main() -> None:
    source_path, split = (Path(sys.argv[1]), sys.argv[2]) if len(sys.argv) == 3 else (SOURCE, SPLIT)
    kept = [
        line
        for line in CORPUS.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("split") != split
    ]
    source = source_path.read_text(encoding="utf-8").splitlines()
    rows = [parse(line, split) for line in source if line and not line.startswith("#")]
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts)), "duplicate lines"
    with CORPUS.open("w", encoding="utf-8") as fh:
        for line in kept:
            fh.write(line + "\n")
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_spans = sum(len(r["spans"]) for r in rows)  # type: ignore[arg-type]
    print(f"wrote {len(rows)} {split} rows ({n_spans} spans) after {len(kept)} other rows to {CORPUS}")


if __name__ == "__main__":
    main()
