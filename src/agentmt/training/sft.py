"""SFT (spec §4.3): trajectories rendered with the chat template, loss on assistant tokens only.

The loss is normalised per trained token across the whole accumulated batch: the Trainer counts
the label tokens of all micro-batches of a step (`num_items_in_batch`) and the model divides the
summed token losses by that count, so a long conversation weighs by its tokens, not by its sample.
Epochs are laid out one after another in the recorded order, each with its own seeded shuffle.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from agentmt.config import make_config
from agentmt.errors import InputError, RecordDropped
from agentmt.io import Manifest
from agentmt.training.chat import render_conversation
from agentmt.training.checkpoint import final_dir, is_final
from agentmt.training.config import SFTConfig
from agentmt.training.data import MixDoc, build_mixture, doc_messages
from agentmt.training.stage import check_order, run_stage
from agentmt.training.trainer import make_chat_collator


def make_sft_items(cfg: SFTConfig, tokenizer, manifest: Manifest) -> tuple[list[dict[str, Any]], list[str]]:
    """Rendered conversations in training order (all epochs), and their ids; drops counted with reasons."""
    base_docs = build_mixture(cfg.data, cfg.seed, manifest, root=cfg.data_root)
    docs = []
    for e in range(math.ceil(cfg.epochs)):
        epoch = [MixDoc(f"{d.id}@{e}", d.kind, d.row) for d in base_docs]
        random.Random(cfg.seed * 1000 + e).shuffle(epoch)
        docs += epoch[: round(len(epoch) * min(1.0, cfg.epochs - e))]
    items, order, cache = [], [], {}
    for d in docs:
        # Render each row once, whatever its copies and epochs. Keyed by the row object, not the doc
        # id: two sources (e.g. rollouts of two models) may hold different conversations under one id.
        key = id(d.row)
        if key not in cache:
            try:
                cache[key] = render_conversation(doc_messages(d), tokenizer, max_len=cfg.seq_len)
            except RecordDropped as e:
                cache[key] = e.reason
        sample = cache[key]
        if isinstance(sample, str):
            manifest.drop(sample)
            continue
        manifest.counts["truncated"] += int(sample.truncated)
        manifest.counts["assistant_tokens"] += sum(sample.assistant_mask)
        manifest.counts["tokens"] += len(sample.input_ids)
        items.append({"input_ids": sample.input_ids, "assistant_mask": sample.assistant_mask})
        order.append(d.id)
    manifest.counts["samples"] = len(items)
    if not items:
        raise InputError(f"no SFT sample left from {[s.path for s in cfg.data]} (drops: {dict(manifest.drops)})")
    return items, order


def run_sft(*specs: str) -> Path:
    """Train SFT (resuming an interrupted run); return the final checkpoint folder."""
    from transformers import AutoTokenizer

    from agentmt.models.checkpoint import resolve_model

    cfg = make_config(SFTConfig, *specs)
    stage_dir = Path(cfg.output_dir)
    if is_final(stage_dir):
        return final_dir(stage_dir)
    model_path = resolve_model(cfg.model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    manifest = Manifest(stage="train_sft", config=cfg.model_dump(), inputs=[s.path for s in cfg.data])
    items, order = make_sft_items(cfg, tokenizer, manifest)
    stage_dir.mkdir(parents=True, exist_ok=True)
    check_order(stage_dir, order)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return run_stage(
        name="sft",
        cfg=cfg,
        stage_dir=stage_dir,
        model_path=model_path,
        tokenizer=tokenizer,
        items=items,
        collator=make_chat_collator(pad),
        manifest=manifest,
    )
