"""Training tokens/s of agentmt's Trainer-based MT step against a plain torch loop. Goal: >= 0.95x.

Same model, packed data, sequence length, micro batch and optimizer (AdamW, clipping, cosine) in one
process; runs alternate (plain, trainer, plain, trainer) to spread machine noise, and the first step of
each run (allocations, warm-up) is excluded. Usage:
  python benchmarks/bench_train_throughput.py [--model embedded] [--seq-len 256] [--steps 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import torch

from agentmt.models.checkpoint import resolve_model
from agentmt.training.config import MTConfig
from agentmt.training.packing import iter_packs
from agentmt.training.trainer import AgentmtTrainer, ListDataset, collate_packs, make_batch_plan, make_training_args


def make_items(tok, seq_len: int, n: int) -> list[dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "training"))
    from trainhelp import ctx_rows

    rows = ctx_rows("py", 400) + ctx_rows("gen", 400)
    docs = ((r["id"], tok(r["text"], add_special_tokens=False)["input_ids"]) for r in rows)
    packs = iter_packs(docs, seq_len, tok.eos_token_id, tok.eos_token_id)
    items = [{"input_ids": p.input_ids, "position_ids": p.position_ids, "labels": p.labels} for p in packs]
    assert len(items) >= n, "corpus too small for the requested steps"
    return items[:n]


def run_plain(model_path, items, cfg: MTConfig, steps: int) -> float:
    from transformers import AutoModelForCausalLM, get_cosine_schedule_with_warmup

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.config.use_cache = False
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, betas=(cfg.adam_beta1, cfg.adam_beta2),
                            weight_decay=cfg.weight_decay)
    sched = get_cosine_schedule_with_warmup(opt, math.ceil(cfg.warmup_ratio * steps), steps)
    mb = cfg.micro_batch_size
    batches = [collate_packs([{**x, "sample_index": 0} for x in items[i : i + mb]]) for i in range(0, len(items), mb)]
    accum = cfg.global_batch_size // mb
    times = []
    for s in range(steps):
        t = time.perf_counter()
        group = batches[s * accum : (s + 1) * accum]
        n_items = sum(int((b["labels"][:, 1:] != -100).sum()) for b in group)
        for b in group:
            b = {k: v for k, v in b.items() if k != "sample_index"}
            (model(**b, num_items_in_batch=n_items).loss).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t)
    return sum(times[1:]) / (steps - 1)


def run_trainer(model_path, tok, items, cfg: MTConfig, steps: int) -> float:
    from transformers import AutoModelForCausalLM, TrainerCallback

    class Timer(TrainerCallback):
        def __init__(self):
            self.times = []

        def on_step_begin(self, args, state, control, **kw):
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self.t)

    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.config.use_cache = False
    timer = Timer()
    with tempfile.TemporaryDirectory() as out:
        plan = make_batch_plan(cfg, len(items), 1)
        args = make_training_args(cfg, Path(out), plan)
        trainer = AgentmtTrainer(model=model, args=args, train_dataset=ListDataset(items), data_collator=collate_packs,
                                 processing_class=tok, callbacks=[timer])
        trainer.train()
    return sum(timer.times[1:]) / (len(timer.times) - 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--micro-batch", type=int, default=1)
    ap.add_argument("--accum", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
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
    plain, trainer = [], []
    for _ in range(a.rounds):
        plain.append(run_plain(path, items, cfg, a.steps))
        trainer.append(run_trainer(path, tok, items, cfg, a.steps))
    p, t = min(plain), min(trainer)  # the least-disturbed run of each
    print(f"plain loop: {tokens_per_step / p:.1f} tokens/s ({p:.2f} s/step, runs {[round(x, 2) for x in plain]})")
    print(f"agentmt Trainer: {tokens_per_step / t:.1f} tokens/s ({t:.2f} s/step, runs {[round(x, 2) for x in trainer]})")
    print(f"throughput ratio (Trainer / plain): {p / t:.3f}  [seq_len={a.seq_len}, tokens/step={tokens_per_step}]")


if __name__ == "__main__":
    main()
