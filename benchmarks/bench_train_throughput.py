"""Training tokens/s of agentmt's Trainer-based MT step against a plain torch loop. Goal: >= 0.95x.

Same model, packed data, sequence length, micro batch and optimizer (AdamW, clipping, cosine) in one
process, the Trainer reading its packs memory-mapped from an Arrow shard as training does; steps
alternate (Trainer step k, then plain step k) so machine noise hits both alike. Usage:
  python benchmarks/bench_train_throughput.py [--model embedded] [--seq-len 256] [--accum 2] [--steps 6]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from agentmt.models.checkpoint import resolve_model
from agentmt.training.arrowfile import ArrowWriter
from agentmt.training.boundaries import make_pack_collator
from agentmt.training.config import MTConfig
from agentmt.training.packing import iter_packs
from agentmt.training.prepare import PACK_COLUMNS
from agentmt.training.trainer import (
    AgentmtTrainer,
    ArrowDataset,
    make_batch_plan,
    make_training_args,
)


def make_items(tok, seq_len: int, n: int) -> list[dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))
    from trainhelp import ctx_rows

    rows = ctx_rows("py", 400) + ctx_rows("gen", 400)
    docs = ((r["id"], tok(r["text"], add_special_tokens=False)["input_ids"]) for r in rows)
    packs = iter_packs(docs, seq_len, tok.eos_token_id, tok.eos_token_id)
    items = [{"input_ids": p.input_ids, "position_ids": p.position_ids, "labels": p.labels} for p in packs]
    assert len(items) >= n, "corpus too small for the requested steps"
    return items[:n]


class PlainLoop:
    """The reference: the same model, batches, AdamW, clipping and cosine schedule in a bare torch loop."""

    def __init__(self, model_path, items, cfg: MTConfig, steps: int):
        from transformers import AutoModelForCausalLM, get_cosine_schedule_with_warmup

        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
        self.model.config.use_cache = False
        self.model.train()
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=cfg.learning_rate, betas=(cfg.adam_beta1, cfg.adam_beta2),
            weight_decay=cfg.weight_decay,
        )
        self.sched = get_cosine_schedule_with_warmup(self.opt, math.ceil(cfg.warmup_ratio * steps), steps)
        mb, self.accum, self.cfg = cfg.micro_batch_size, cfg.global_batch_size // cfg.micro_batch_size, cfg
        collate = make_pack_collator(cfg.attn_implementation)
        self.batches = [collate([{**x, "sample_index": 0} for x in items[i : i + mb]]) for i in range(0, len(items), mb)]
        self.step_index = 0

    def step(self) -> float:
        t = time.perf_counter()
        group = self.batches[self.step_index * self.accum : (self.step_index + 1) * self.accum]
        n_items = sum(int((b["labels"] != -100).sum()) for b in group)
        for b in group:
            b = {k: v for k, v in b.items() if k != "sample_index"}
            self.model(**b, num_items_in_batch=n_items).loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.max_grad_norm)
        self.opt.step()
        self.sched.step()
        self.opt.zero_grad(set_to_none=True)
        self.step_index += 1
        return time.perf_counter() - t


def run_interleaved(model_path, tok, items, cfg: MTConfig, steps: int) -> tuple[list[float], list[float]]:
    """Trainer step k, then plain step k, alternating in one process so machine load hits both alike."""
    from transformers import AutoModelForCausalLM, TrainerCallback

    plain = PlainLoop(model_path, items, cfg, steps)
    times: dict[str, list[float]] = {"trainer": [], "plain": []}

    class Interleave(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times["trainer"].append(time.perf_counter() - self.t)
            times["plain"].append(plain.step())

    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.config.use_cache = False
    with tempfile.TemporaryDirectory() as out:
        args = make_training_args(cfg, Path(out), make_batch_plan(cfg, len(items), 1))
        # The Trainer reads the packs as training does: memory-mapped from a training-data shard.
        with ArrowWriter(Path(out) / "packs-00000.arrow", PACK_COLUMNS) as w:
            for item in items:
                w.write(item)
        dataset = ArrowDataset([Path(out) / "packs-00000.arrow"], PACK_COLUMNS)
        trainer = AgentmtTrainer(model=model, args=args, train_dataset=dataset, data_collator=make_pack_collator(cfg.attn_implementation),
                                 processing_class=tok, callbacks=[Interleave()])
        trainer.train()
    return times["trainer"], times["plain"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--micro-batch", type=int, default=1)
    ap.add_argument("--accum", type=int, default=2)
    ap.add_argument("--steps", type=int, default=6)
    a = ap.parse_args()
    from transformers import AutoTokenizer

    path = resolve_model(a.model)
    tok = AutoTokenizer.from_pretrained(path)
    cfg = MTConfig(
        model=path, seq_len=a.seq_len, micro_batch_size=a.micro_batch, global_batch_size=a.micro_batch * a.accum,
        max_steps=a.steps, save_steps=10**9, logging_steps=10**9, precision="auto", gradient_checkpointing=False,
        stages=[],
    )
    items = make_items(tok, a.seq_len, a.steps * cfg.global_batch_size)
    tokens_per_step = cfg.global_batch_size * a.seq_len
    trainer, plain = run_interleaved(path, tok, items, cfg, a.steps)
    # The first step of each (allocation, warm-up) is excluded; medians resist the shared machine's bursts.
    t, p = statistics.median(trainer[1:]), statistics.median(plain[1:])
    print(f"plain loop: {tokens_per_step / p:.1f} tokens/s (median {p:.2f} s/step, steps {[round(x, 2) for x in plain]})")
    print(f"agentmt Trainer: {tokens_per_step / t:.1f} tokens/s (median {t:.2f} s/step, steps {[round(x, 2) for x in trainer]})")
    print(f"throughput ratio (Trainer / plain): {p / t:.3f}  [seq_len={a.seq_len}, tokens/step={tokens_per_step}]")

if __name__ == "__main__":
    main()
