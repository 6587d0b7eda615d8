"""Document boundaries of packed sequences, stated explicitly for the attention kernel in use.

A pack's pieces are the runs of its position ids that restart at 0 (packing.py guarantees one run per
document piece, and one for the padding). The collator turns them into what each kernel reads:
- `sdpa`: a boolean block-diagonal causal mask (batch, 1, L, L), True where a query may attend;
- `eager`: the same mask as an additive float (0 or the float32 minimum), which eager adds to its scores;
- `flash_attention_2/3`: the batch flattened to (1, B·L) with varlen kwargs `cu_seq_lens_q/k`,
  `max_length_q/k` (the names transformers' `DataCollatorWithFlattening(return_flash_attn_kwargs=True)` uses).
Nothing is left for transformers to infer from position ids. `check_packing_supported` refuses the setups
that would drop those boundaries without an error.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from agentmt.errors import ConfigError

MASK_IMPLEMENTATIONS = ("sdpa", "eager")
FLASH_IMPLEMENTATIONS = ("flash_attention_2", "flash_attention_3")
PACKED_IMPLEMENTATIONS = MASK_IMPLEMENTATIONS + FLASH_IMPLEMENTATIONS
DEFAULT_IMPLEMENTATION = "sdpa"  # what transformers picks when the config names none


def segment_ids(position_ids: torch.Tensor) -> torch.Tensor:
    """(B, L) piece index of every token: a new piece starts wherever the position id is 0."""
    return torch.cumsum((position_ids == 0).long(), dim=-1)


def block_causal_mask(position_ids: torch.Tensor) -> torch.Tensor:
    """(B, 1, L, L) boolean mask: query i sees key j iff j <= i and both lie in the same piece."""
    seg = segment_ids(position_ids)
    n = position_ids.shape[-1]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    same = seg[:, :, None] == seg[:, None, :]
    return (same & causal)[:, None]


def flash_kwargs(position_ids: torch.Tensor) -> dict[str, Any]:
    """Varlen boundaries of the flattened batch: cumulative piece lengths (int32) and the longest piece."""
    flat = position_ids.reshape(-1)
    starts = torch.nonzero(flat == 0).flatten()
    cu = torch.cat([starts, torch.tensor([flat.numel()])]).to(torch.int32)
    longest = int((cu[1:] - cu[:-1]).max())
    return {"cu_seq_lens_q": cu, "cu_seq_lens_k": cu, "max_length_q": longest, "max_length_k": longest}


def check_packing_supported(attn_implementation: str | None) -> str:
    """The attention implementation packed training uses; ConfigError for one that would lose the boundaries."""
    impl = attn_implementation or DEFAULT_IMPLEMENTATION
    if impl not in PACKED_IMPLEMENTATIONS:
        raise ConfigError(
            f"attn_implementation {impl!r} cannot take the packed documents' boundaries: "
            f"set attn_implementation to one of {', '.join(PACKED_IMPLEMENTATIONS)}"
        )
    cp = int(os.environ.get("PARALLELISM_CONFIG_CP_SIZE") or 1)
    if cp > 1:
        # transformers' Trainer hands torch context parallelism is_causal=True instead of any mask
        # (and refuses non-causal ones): packed documents would attend to each other.
        raise ConfigError(
            f"context parallelism (parallelism_config_cp_size={cp}) drops the packed-document mask: "
            "run MT with parallelism_config_cp_size 1 (32k packs fit without it)"
        )
    sp = int(os.environ.get("PARALLELISM_CONFIG_SP_SIZE") or 1)
    if sp > 1:
        # DeepSpeed's Ulysses adapter shards every batch tensor along the sequence; the varlen
        # boundaries of the whole pack are not carried through it, so nothing guarantees them.
        raise ConfigError(
            f"sequence parallelism (parallelism_config_sp_size={sp}) does not carry the packed-document "
            "boundaries: run MT with parallelism_config_sp_size 1 (32k packs fit without it)"
        )
    return impl


def make_pack_collator(attn_implementation: str | None):
    """Collate packs (input_ids, position_ids, labels, sample_index) with boundaries for `attn_implementation`."""
    impl = check_packing_supported(attn_implementation)

    def collate(features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = {
            k: torch.tensor([f[k] for f in features], dtype=torch.long)
            for k in ("input_ids", "position_ids", "labels", "sample_index")
        }
        pos = batch["position_ids"]
        if impl in FLASH_IMPLEMENTATIONS:
            for k in ("input_ids", "position_ids", "labels"):
                batch[k] = batch[k].reshape(1, -1)
            batch.update(flash_kwargs(pos))
            return batch
        mask = block_causal_mask(pos)
        if impl == "eager":
            mask = torch.zeros(mask.shape).masked_fill(~mask, torch.finfo(torch.float32).min)
        batch["attention_mask"] = mask
        return batch

    return collate
