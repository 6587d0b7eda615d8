"""Mid-training (spec §4.2): packed causal-LM on every token, stages in sequence.

Stage k starts from stage k-1's final checkpoint. Each stage's packs are built from its seeded
mixture before training (so the order is recorded and checked on resume), and the global batch of
`global_batch_size` packed sequences maps to global_batch_size × seq_len tokens per optimizer step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentmt.config import make_config
from agentmt.errors import InputError
from agentmt.io import Manifest
from agentmt.training.checkpoint import final_dir, is_final
from agentmt.training.config import MTConfig, StageConfig
from agentmt.training.data import build_mixture, doc_text
from agentmt.training.packing import PackStats, iter_packs
from agentmt.training.stage import check_order, run_stage, world_size
from agentmt.training.trainer import collate_packs, make_batch_plan


def make_stage_packs(
    stage: StageConfig, cfg: MTConfig, seed: int, tokenizer, manifest: Manifest
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Packed training items of one stage and their recorded order (pieces of each pack)."""
    docs = build_mixture(stage.sources, seed, manifest, epochs=stage.epochs, root=cfg.data_root)
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    tokens = ((d.id, tokenizer(doc_text(d, tokenizer), add_special_tokens=False)["input_ids"]) for d in docs)
    stats = PackStats()
    items, order = [], []
    for p in iter_packs(tokens, cfg.seq_len, eos, pad, stats):
        items.append({"input_ids": p.input_ids, "position_ids": p.position_ids, "labels": p.labels})
        order.append(p.pieces)
    if not items:
        raise InputError(
            f"MT stage {stage.name!r} has no document from {[s.path for s in stage.sources]} "
            f"(drops: {dict(manifest.drops)}): give it a source that exists"
        )
    manifest.counts.update(
        packs=stats.num_packs, split_docs=stats.num_split_docs, doc_tokens=stats.num_tokens, pad_tokens=stats.num_pad
    )
    manifest.extra["packing_efficiency"] = stats.efficiency
    manifest.extra["tokens_per_optimizer_step"] = cfg.global_batch_size * cfg.seq_len
    return items, order


def run_mt(*specs: str) -> Path:
    """Run every MT stage (skipping finished ones, resuming interrupted ones); return the last final checkpoint."""
    from transformers import AutoTokenizer

    from agentmt.models.checkpoint import resolve_model

    cfg = make_config(MTConfig, *specs)
    out = Path(cfg.output_dir)
    model_path = resolve_model(cfg.model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    plans = []
    for i, stage in enumerate(cfg.stages):
        manifest = Manifest(stage=f"train_mt:{stage.name}", config=cfg.model_dump(), inputs=[s.path for s in stage.sources])
        items, order = make_stage_packs(stage, cfg, cfg.seed + i, tokenizer, manifest)
        plans.append((stage, items, order, manifest))
    # One schedule across stages needs every stage's step count up front.
    steps = [make_batch_plan(cfg, len(items), world_size())["max_steps"] for _, items, _, _ in plans]
    for i, (stage, items, order, manifest) in enumerate(plans):
        stage_dir = out / stage.name
        if is_final(stage_dir):
            model_path = str(final_dir(stage_dir))
            continue
        stage_dir.mkdir(parents=True, exist_ok=True)
        check_order(stage_dir, order)
        span = (sum(steps[:i]), sum(steps)) if cfg.schedule == "continue" else None
        model_path = str(
            run_stage(
                name=f"mt:{stage.name}",
                cfg=cfg,
                stage_dir=stage_dir,
                model_path=model_path,
                tokenizer=tokenizer,
                items=items,
                collator=collate_packs,
                manifest=manifest,
                schedule_span=span,
            )
        )
    return Path(model_path)
