"""Run one training stage with the Trainer: load, resume from the newest checkpoint, train, save final.

Shared by MT stages and SFT. A stage whose final checkpoint exists is skipped; one with
`checkpoint-N` folders resumes from the newest (optimizer, scheduler, RNG and data position included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.errors import InputError
from agentmt.io import Manifest
from agentmt.training.checkpoint import (
    MetadataCallback,
    build_final_checkpoint,
    final_dir,
    latest_checkpoint,
    make_metadata,
)
from agentmt.training.config import TrainCommon
from agentmt.training.trainer import (
    AgentmtTrainer,
    ListDataset,
    LossLogCallback,
    make_batch_plan,
    make_training_args,
)

ORDER_FILE = "order.json"


def world_size() -> int:
    """Data-parallel size: processes / those sharing one sample (context, sequence, tensor parallel)."""
    from accelerate import PartialState

    from agentmt import settings

    return max(1, PartialState().num_processes // settings.sequence_parallel_degree())


def check_order(stage_dir: Path, order: list[Any]) -> None:
    """Record the stage's sample order; on resume, refuse data that changed since the run started."""
    path = stage_dir / ORDER_FILE
    if path.exists():
        # Compare through JSON so tuples and lists written earlier compare equal.
        if json.loads(path.read_text()) != json.loads(json.dumps(order)):
            raise InputError(f"the data or seed changed since {stage_dir} was started: use a new output_dir")
        return
    io.write_json(path, order)


def run_stage(
    *,
    name: str,
    cfg: TrainCommon,
    stage_dir: Path,
    model_path: str,
    tokenizer,
    items: list[dict[str, Any]],
    collator,
    manifest: Manifest,
    schedule_span: tuple[int, int] | None = None,
) -> Path:
    """Train `items` (already in order) from `model_path`; return the final checkpoint folder."""
    import torch
    from transformers import AutoModelForCausalLM

    stage_dir.mkdir(parents=True, exist_ok=True)
    plan = make_batch_plan(cfg, len(items), world_size())
    args = make_training_args(cfg, stage_dir, plan)
    manifest.extra["batch_plan"] = plan
    metadata = make_metadata(
        name, cfg.model_dump(), base_model=model_path, batch_plan=plan, data_manifest=manifest.to_dict()
    )
    kwargs = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32, **kwargs)
    # No KV cache in training: besides being useless, a cache disables transformers' packed-sequence
    # detection from position_ids, which is what keeps documents from attending to each other.
    model.config.use_cache = False
    trainer = AgentmtTrainer(
        model=model,
        args=args,
        train_dataset=ListDataset(items),
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[LossLogCallback(), MetadataCallback(metadata)],
        schedule_span=schedule_span,
    )
    trainer.train(resume_from_checkpoint=latest_checkpoint(stage_dir))
    out = build_final_checkpoint(trainer, stage_dir, metadata)
    manifest.counts["optimizer_steps"] = trainer.state.global_step
    manifest.write(stage_dir)
    return out


__all__ = ["check_order", "final_dir", "run_stage"]
