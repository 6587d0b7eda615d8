"""GPU check (never in CI): bf16 MT and SFT steps of a Qwen2.5-0.5B-architecture model built from its config.

Prints, per step kind, tokens/s on this GPU and the peak memory next to docs/scale.md's formula at the
same sequence length: 16 B/parameter of model and AdamW states (one GPU, nothing sharded) plus
activations with checkpointing, L·S·h·2 B (layer inputs) + S·h·34 B (one layer's recompute) +
S·V·10 B (bf16 logits, fp32 upcast, fp32 gradient). `--cpu`: the same code on a 2-layer model, CPU, fp32.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time

import torch


def build_model(cpu: bool, attn: str):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if cpu:
        cfg = Qwen2Config(vocab_size=1024, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096)
    else:  # Qwen2.5-0.5B's shape (its config.json), random weights: no hub
        cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                          num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                          rope_theta=1e6, tie_word_embeddings=True, rms_norm_eps=1e-6)
    cfg._attn_implementation = attn
    cfg.use_cache = False
    torch.manual_seed(0)
    dtype = torch.float32 if cpu else torch.bfloat16
    model = Qwen2ForCausalLM(cfg).to(device="cpu" if cpu else "cuda", dtype=dtype)
    model.activation_checkpointing_enable()
    model.train()
    return model


def formula_gb(model, seq_len: int) -> float:
    c = model.config
    n = sum(p.numel() for p in model.parameters())
    act = c.num_hidden_layers * seq_len * c.hidden_size * 2 + seq_len * c.hidden_size * 34 + seq_len * c.vocab_size * 10
    return (16 * n + act) / 1e9


def mt_batches(vocab: int, seq_len: int, n: int):
    """Packs of random documents (64..seq_len/2 tokens), laid out by the training packer."""
    from agentmt.training.packing import iter_packs

    rng = random.Random(0)
    docs = ((str(i), [rng.randrange(3, vocab) for _ in range(rng.randint(64, seq_len // 2))]) for i in range(10**6))
    packs = iter_packs(docs, seq_len, eos_id=2, pad_id=0)
    for _ in range(n):
        p = next(packs)
        yield {"input_ids": p.input_ids, "position_ids": p.position_ids, "labels": p.labels, "sample_index": 0}


def sft_batches(vocab: int, seq_len: int, n: int):
    """One conversation per step: random ids, the second half marked as assistant tokens."""
    rng = random.Random(1)
    for _ in range(n):
        ids = [rng.randrange(3, vocab) for _ in range(seq_len)]
        yield {"input_ids": ids, "assistant_mask": [0] * (seq_len // 2) + [1] * (seq_len - seq_len // 2), "sample_index": 0}


def run(kind: str, model, collate, feats, device: str) -> dict:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.1)
    times, tokens, losses = [], 0, []
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for i, f in enumerate(feats):
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in collate([f]).items() if k != "sample_index"}
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if device == "cuda":
            torch.cuda.synchronize()
        losses.append(round(loss.item(), 4))
        if i:  # step 0 warms kernels and allocates optimizer state
            times.append(time.perf_counter() - t)
            tokens += batch["input_ids"].numel()
    peak = torch.cuda.max_memory_allocated() / 1e9 if device == "cuda" else None
    return {"kind": kind, "losses": losses, "tokens_per_s": round(tokens / sum(times)) if times else None,
            "peak_gb": round(peak, 2) if peak else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpu", action="store_true", help="tiny model on CPU, fp32: the same code path, no GPU")
    ap.add_argument("--seq-len", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    args = ap.parse_args()
    from agentmt.training.boundaries import make_pack_collator
    from agentmt.training.trainer import make_chat_collator

    device = "cpu" if args.cpu else "cuda"
    seq_len = args.seq_len or (256 if args.cpu else 16384)
    steps = args.steps or (3 if args.cpu else 6)
    impls = ["sdpa"]
    if not args.cpu:
        try:
            import flash_attn  # noqa: F401

            impls.insert(0, "flash_attention_2")
        except ImportError:
            print("flash_attn not importable: MT measured with sdpa only")
    for impl in impls:
        model = build_model(args.cpu, impl)
        vocab = model.config.vocab_size
        for kind, collate, feats in (
            ("mt", make_pack_collator(impl), mt_batches(vocab, seq_len, steps)),
            ("sft", make_chat_collator(0), sft_batches(vocab, seq_len, steps)),
        ):
            row = run(kind, model, collate, feats, device)
            row.update(attn=impl, seq_len=seq_len, formula_gb=round(formula_gb(model, seq_len), 2),
                       device=torch.cuda.get_device_name() if device == "cuda" else "cpu")
            print(json.dumps(row), flush=True)
            assert not any(math.isnan(x) for x in row["losses"]), "NaN loss"
        del model
        if device == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
