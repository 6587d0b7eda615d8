"""Packing: exact lengths, EOS between documents, the split rule, and no attention across documents."""

from __future__ import annotations

import pytest

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


@pytest.mark.slow
def test_no_attention_across_documents(embedded_checkpoint, tokenizer):
    """Document B's logits are the same with or without document A packed before it (real model, SDPA)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(embedded_checkpoint, attn_implementation="sdpa").eval()
    a = tokenizer("def add(a, b):\n    return a + b\n", add_special_tokens=False)["input_ids"]
    b = tokenizer("The quick brown fox jumps over the lazy dog.", add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    (pack,) = iter_packs([("a", a), ("b", b)], len(a) + len(b) + 2, eos, eos)
    # use_cache=False as in training: a KV cache turns off packed-sequence detection.
    with torch.no_grad():
        packed = model(
            input_ids=torch.tensor([pack.input_ids]), position_ids=torch.tensor([pack.position_ids]), use_cache=False
        ).logits[0, len(a) + 1 :]
        alone = model(input_ids=torch.tensor([b + [eos]])).logits[0]
        # Control: without restarting positions, A leaks into B (the test can tell the difference).
        leaky = model(input_ids=torch.tensor([pack.input_ids]), use_cache=False).logits[0, len(a) + 1 :]
    torch.testing.assert_close(packed, alone, atol=1e-4, rtol=1e-4)
    assert (leaky - alone).abs().max() > 1e-2
