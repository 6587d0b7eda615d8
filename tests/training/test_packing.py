"""Packing: exact lengths, EOS between documents, the split rule, and no attention across documents."""

from __future__ import annotations

import pytest

from agentmt.training.boundaries import make_pack_collator
from agentmt.training.packing import IGNORE, PackStats, iter_packs


def test_packs_lay_documents_end_to_end_and_split_at_boundaries():
    docs = [("a", [10, 11, 12]), ("b", [20, 21, 22, 23, 24, 25, 26, 27, 28]), ("c", [30])]
    stats = PackStats()
    packs = list(iter_packs(docs, seq_len=6, eos_id=2, pad_id=0, stats=stats))
    # a+EOS (4) | b+EOS (10) | c+EOS (2) = 16 tokens -> 3 packs of 6, 2 pad tokens in the last.
    assert [p.input_ids for p in packs] == [
        [10, 11, 12, 2, 20, 21],
        [22, 23, 24, 25, 26, 27],
        [28, 2, 30, 2, 0, 0],
    ]
    # Each piece restarts its positions; the piece start is never a target.
    assert packs[0].position_ids == [0, 1, 2, 3, 0, 1]
    assert packs[0].labels == [IGNORE, 11, 12, 2, IGNORE, 21]
    assert packs[1].position_ids == [0, 1, 2, 3, 4, 5]
    assert packs[2].position_ids == [0, 1, 0, 1, 0, 1]
    assert packs[2].labels == [IGNORE, 2, IGNORE, 2, IGNORE, IGNORE]
    assert [p.pieces for p in packs] == [[("a", 0, 4), ("b", 0, 2)], [("b", 2, 8)], [("b", 8, 10), ("c", 0, 2)]]
    assert (stats.num_docs, stats.num_packs, stats.num_split_docs, stats.num_pad) == (3, 3, 1, 2)
    assert stats.efficiency == pytest.approx(16 / 18)
    # Nothing truncated: every document token appears exactly once.
    flat = [t for p in packs for t in p.input_ids[: len(p.input_ids) - p.num_pad]]
    assert flat == [10, 11, 12, 2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 2, 30, 2]


def fp32_tolerance(config, logits) -> float:
    """Rounding noise expected between two fp32 evaluations of the same logits by different kernels.

    Packed and unpacked inputs take different SDPA/matmul code paths (another blocking, another
    summation order), so they agree only up to accumulated rounding: each of the L layers adds to
    the residual stream the result of dot products at most n = max(hidden, intermediate) long, whose
    rounding error grows like sqrt(n)·eps relative to the values summed (a random walk), and the L
    layers' errors add the same way. Scaled by the largest logit this gives the bound below; it is a
    property of the model's shape and of fp32, not of one CPU.
    """
    import math

    import torch

    n = max(config.hidden_size, config.intermediate_size)
    return math.sqrt(config.num_hidden_layers * n) * torch.finfo(torch.float32).eps * logits.abs().max().item()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_no_attention_across_documents(embedded_checkpoint, tokenizer):
    """Document B's logits are the same with or without document A packed before it (real model, SDPA,
    the training collator's mask)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        embedded_checkpoint, attn_implementation="sdpa", dtype=torch.float32
    ).eval()
    a = tokenizer("def add(a, b):\n    return a + b\n", add_special_tokens=False)["input_ids"]
    b = tokenizer("The quick brown fox jumps over the lazy dog.", add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    (pack,) = iter_packs([("a", a), ("b", b)], len(a) + len(b) + 2, eos, eos)
    ids, pos = torch.tensor([pack.input_ids]), torch.tensor([pack.position_ids])
    feature = {"input_ids": pack.input_ids, "position_ids": pack.position_ids, "labels": pack.labels, "sample_index": 0}
    mask = make_pack_collator("sdpa")([feature])["attention_mask"]  # what training passes
    with torch.no_grad():
        packed = model(input_ids=ids, position_ids=pos, attention_mask=mask, use_cache=False).logits[0, len(a) + 1 :]
        alone = model(input_ids=torch.tensor([b + [eos]])).logits[0]
        # Controls: A leaks into B when positions don't restart (one causal block), and when they do
        # restart but an all-ones attention_mask overrides the block-diagonal one.
        leak_positions = model(input_ids=ids, use_cache=False).logits[0, len(a) + 1 :]
        leak_mask = model(
            input_ids=ids, position_ids=pos, attention_mask=torch.ones_like(ids), use_cache=False
        ).logits[0, len(a) + 1 :]
    tol = fp32_tolerance(model.config, alone)
    diff = (packed - alone).abs().max().item()
    assert diff <= tol, f"packed B differs from B alone by {diff:.3g} > fp32 noise bound {tol:.3g}"
    # The bound must stay far below what a real leak looks like, or the test could not tell them apart.
    for leaky in (leak_positions, leak_mask):
        assert (leaky - alone).abs().max().item() > 1000 * tol
