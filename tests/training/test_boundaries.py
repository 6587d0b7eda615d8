"""Packed documents never see each other: the collator states boundaries for every attention kernel.

Leak test: in a pack holding documents A then B, the gradient of B's loss with respect to A's token
embeddings is exactly zero (masked scores get softmax weight exactly 0, so no gradient flows back).
Run on a 2-layer Llama built from its config (no hub), for every implementation this machine has.
"""

from __future__ import annotations

import pytest
import torch

from agentmt.errors import ConfigError
from agentmt.training.boundaries import check_packing_supported, flash_kwargs, make_pack_collator
from agentmt.training.packing import IGNORE, iter_packs

A = list(range(10, 27))  # 17 tokens
B = list(range(40, 51))  # 11 tokens


def _tiny_model(impl: str, device: str = "cpu", dtype=torch.float32):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, attn_implementation=impl, use_cache=False,
    )
    return LlamaForCausalLM(config).to(device=device, dtype=dtype)


def _pack_features(seq_len: int) -> list[dict]:
    """Two packs: [A+EOS | B+EOS | pad] and a second copy, so batching (B=2) is exercised too."""
    (pack,) = iter_packs([("a", A), ("b", B)], seq_len, eos_id=2, pad_id=0)
    f = {"input_ids": pack.input_ids, "position_ids": pack.position_ids, "labels": pack.labels, "sample_index": 0}
    return [f, {**f, "sample_index": 1}]


def _grad_on_a(model, batch: dict, device: str, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of B's loss (labels kept on B's tokens only) w.r.t. the input embeddings: (rows of A, rows of B)."""
    batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items() if k != "sample_index"}
    ids, labels = batch.pop("input_ids"), batch.pop("labels")
    # Token k of pack p sits at p * seq_len + k whether the batch is (2, L) or flattened to (1, 2L).
    k = torch.arange(ids.numel(), device=device) % seq_len
    n_a, n_b = len(A) + 1, len(B) + 1
    in_a, in_b = k < n_a, (k >= n_a) & (k < n_a + n_b)
    labels = torch.where(in_b.reshape(ids.shape), labels, IGNORE)
    emb = model.get_input_embeddings()(ids).detach().requires_grad_(True)
    model(inputs_embeds=emb, labels=labels, **batch).loss.backward()
    g = emb.grad.reshape(-1, emb.shape[-1]).float()
    return g[in_a], g[in_b]


def _check_no_leak(impl: str, device: str, dtype) -> None:
    seq_len = len(A) + len(B) + 2 + 4  # 4 pad tokens: a third block
    feats = _pack_features(seq_len)
    model = _tiny_model(impl, device, dtype)
    a_grad, b_grad = _grad_on_a(model, make_pack_collator(impl)(feats), device, seq_len)
    assert a_grad.abs().max().item() == 0.0, f"{impl}: B's loss reaches A's embeddings"
    assert b_grad.abs().max().item() > 0.0, f"{impl}: B's own tokens got no gradient (the test measures nothing)"
    # Control: the same pack as one causal block (no boundaries stated, positions not restarted) leaks.
    ids = torch.tensor([f["input_ids"] for f in feats])
    leaky = {"input_ids": ids, "labels": torch.tensor([f["labels"] for f in feats]),
             "position_ids": torch.arange(seq_len).expand(2, -1)}
    a_leak, _ = _grad_on_a(model, leaky, device, seq_len)
    assert a_leak.abs().max().item() > 0.0


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_no_gradient_from_b_to_a(impl):
    _check_no_leak(impl, "cpu", torch.float32)


@pytest.mark.gpu
@pytest.mark.parametrize("impl", ["flash_attention_2", "sdpa"])
def test_no_gradient_from_b_to_a_on_gpu(impl):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    if impl == "flash_attention_2":
        pytest.importorskip("flash_attn")
    _check_no_leak(impl, "cuda", torch.bfloat16)


def test_mask_is_block_diagonal_and_causal():
    feats = _pack_features(len(A) + len(B) + 2 + 4)
    mask = make_pack_collator("sdpa")(feats)["attention_mask"]
    assert mask.shape == (2, 1, 34, 34) and mask.dtype == torch.bool
    m = mask[0, 0]
    a, b = len(A) + 1, len(B) + 1
    assert m[:a, :a].equal(torch.ones(a, a, dtype=torch.bool).tril())
    assert m[a : a + b, a : a + b].equal(torch.ones(b, b, dtype=torch.bool).tril())
    assert not m[a:, :a].any() and not m[a + b :, a : a + b].any()  # B sees nothing of A; pad nothing of B
    eager = make_pack_collator("eager")(feats)["attention_mask"]
    assert eager.dtype == torch.float32 and eager[0, 0][~m].eq(torch.finfo(torch.float32).min).all()
    assert eager[0, 0][m].eq(0).all()


def test_flash_kwargs_match_transformers_flattening_collator():
    """Our varlen kwargs for a batch of packs equal what transformers' own collator gives for its pieces."""
    from transformers import DataCollatorWithFlattening

    feats = _pack_features(len(A) + len(B) + 2 + 4)
    ours = make_pack_collator("flash_attention_2")(feats)
    pieces = [{"input_ids": p} for _ in range(2) for p in (A + [2], B + [2], [0] * 4)]
    ref = DataCollatorWithFlattening(return_flash_attn_kwargs=True)(pieces)
    assert ours["cu_seq_lens_q"].tolist() == ref["cu_seq_lens_q"].tolist() == [0, 18, 30, 34, 52, 64, 68]
    assert ours["cu_seq_lens_q"].dtype == ref["cu_seq_lens_q"].dtype == torch.int32
    assert ours["max_length_q"] == ref["max_length_q"] == 18
    assert ours["position_ids"].equal(ref["position_ids"])
    assert ours["input_ids"].shape == (1, 68)
    assert flash_kwargs(ours["position_ids"])["cu_seq_lens_k"].tolist() == ours["cu_seq_lens_k"].tolist()


def test_refuses_setups_that_lose_boundaries(monkeypatch):
    with pytest.raises(ConfigError, match="attn_implementation 'flex_attention'"):
        check_packing_supported("flex_attention")
    assert check_packing_supported(None) == "sdpa"
    monkeypatch.setenv("PARALLELISM_CONFIG_CP_SIZE", "8")
    with pytest.raises(ConfigError, match="context parallelism"):
        make_pack_collator("sdpa")
    monkeypatch.setenv("PARALLELISM_CONFIG_CP_SIZE", "1")
    monkeypatch.setenv("PARALLELISM_CONFIG_SP_SIZE", "8")
    with pytest.raises(ConfigError, match="sequence parallelism"):
        make_pack_collator("flash_attention_2")


def test_mt_refuses_context_parallel_packing_in_one_line(tmp_path):
    """Through the CLI: a launch handing packed MT to context parallelism stops, in one line, before any work."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PARALLELISM_CONFIG_CP_SIZE": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "agentmt.cli.main", "train", "mt", "train_mt_demo", "-c", f"output_dir={tmp_path / 'out'}"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "context parallelism (parallelism_config_cp_size=2) drops the packed-document mask" in proc.stderr
    assert not (tmp_path / "out").exists()
