"""Extract the compact name and word lists in ``prompts/names/`` (run at development time only).

    pip install names==0.3.0          # the US Census 1990 name lists (public domain), in a scratch venv
    apt-get install wbritish          # SCOWL British English word list (/usr/share/dict/british-english)
    python tests/data/make_name_lists.py [--names-dir DIR] [--gender-guesser FILE]

Writes, one entry a line, lower case, sorted:

* ``first_names.txt``: the Census 1990 male and female first names (5,163 distinct) and, with ``--gender-guesser``,
  the names of gender-guesser's international dictionary (measured, not shipped: GFDL-licensed);
* ``surnames.txt``: the Census 1990 surnames, the most common ``--surnames`` (default all 88,799);
* ``english_words.txt``: SCOWL's lower-case words (no proper nouns, no possessives): a name that is also
  one of these words ("rose", "bill", "baker") is redacted only where context shows a person.

Licences: the US Census Bureau's lists are public domain (a work of the US government).  SCOWL: "Copyright
2000-2011 by Kevin Atkinson. Permission to use, copy, modify, distribute and sell these word lists ... is
hereby granted without fee, provided that the above copyright notice appears in all copies and that both
that copyright notice and this permission notice appear in supporting documentation" (prompts/names/LICENCE).
Nothing is downloaded at run time: the bot reads these files from ``prompts/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "prompts" / "names"
WORD = re.compile(r"^[a-z][a-z\-]*$")


def census(path: Path, limit: int | None = None) -> list[str]:
    names = []
    for line in path.read_text(encoding="ascii").splitlines()[:limit]:
        if line.strip():
            names.append(line.split()[0].lower())
    return names


def gender_guesser(path: Path) -> list[str]:
    names = []
    for line in path.read_text(encoding="iso-8859-1").splitlines():
        if line.startswith("#") or len(line) < 30 or line[0] not in "MF?1":
            continue
        name = line[3:29].strip().replace("+", "-")
        if name and "<" not in name and " " not in name:
            names.append(name.lower())
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    spec = importlib.util.find_spec("names")
    default_dir = Path(spec.origin).parent if spec and spec.origin else None
    ap.add_argument("--names-dir", type=Path, default=default_dir, help="folder with dist.*.first / dist.all.last")
    ap.add_argument("--surnames", type=int, default=None, help="keep only the most common N surnames")
    ap.add_argument("--gender-guesser", type=Path, default=None, help="gender-guesser's nam_dict.txt (optional)")
    ap.add_argument("--dict", type=Path, default=Path("/usr/share/dict/british-english"))
    args = ap.parse_args()
    if args.names_dir is None:
        raise SystemExit("the `names` package is not installed: pip install names==0.3.0, or pass --names-dir")
    first = set(census(args.names_dir / "dist.male.first")) | set(census(args.names_dir / "dist.female.first"))
    if args.gender_guesser:
        first |= set(gender_guesser(args.gender_guesser))
    last = set(census(args.names_dir / "dist.all.last", args.surnames))
    words = {w for w in args.dict.read_text(encoding="utf-8").splitlines() if WORD.match(w)}
    OUT.mkdir(parents=True, exist_ok=True)
    for name, items in (("first_names.txt", first), ("surnames.txt", last), ("english_words.txt", words)):
        (OUT / name).write_text("\n".join(sorted(items)) + "\n", encoding="utf-8")
        print(f"{name}: {len(items)} entries")


if __name__ == "__main__":
    main()
