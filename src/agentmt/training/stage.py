"""Train one training stage with the Trainer: load, resume from the newest checkpoint, train, save final.

Shared by MT stages and SFT. A stage whose final checkpoint exists is skipped; one with
`checkpoint-N` folders resumes from the newest (optimizer, scheduler, RNG and data position included).
The samples come from the stage's training-data shards, built by the one stage runner (`prepare.py`
calls `runner.run_stage`), whose fingerprint guards a resume against changed data. The optimisation
loop is not a runner unit: every rank of a launch runs it together, resuming from Trainer checkpoints.
"""

from __future__ import annotations

from pathlib import Path

from agentmt.io import Manifest
from agentmt.training.checkpoint import (
    MetadataCallback,
    NoFinalSaveCallback,
    build_final_checkpoint,
    final_dir,
    latest_checkpoint,
    make_metadata,
    remove_checkpoints,
)
from agentmt.training.config import TrainCommon
from agentmt.training.prepare import PreparedData
from agentmt.training.trainer import (
    AgentmtTrainer,
    LossLogCallback,
    make_batch_plan,
    make_training_args,
)


def world_size() -> int:
    """Data-parallel size: processes / those sharing one sample (context, sequence, tensor parallel)."""
    from agentmt import settings
    from agentmt.training.trainer import process_state

    return max(1, process_state().num_processes // settings.sequence_parallel_degree())


def load_dtype(cfg: TrainCommon):
    """The dtype weights load in: bf16 on CUDA with bf16 support under `auto`, else what `dtype` says."""
    import torch

    if cfg.dtype == "auto":
        cuda_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if cuda_bf16 else torch.float32
    return getattr(torch, cfg.dtype)


def make_stage_manifest(stage: str, cfg: TrainCommon, data: PreparedData, inputs: list[str]) -> Manifest:
    """The training stage's manifest: its config plus the counts, drops and identity of its data stage."""
    manifest = Manifest(stage=stage, config=cfg.model_dump(), inputs=inputs)
    manifest.counts.update(data.manifest["counts"])
    manifest.drops.update(data.manifest["drops"])
    manifest.extra.update({k: v for k, v in data.manifest["extra"].items() if k != "fingerprint"})
    manifest.extra["data"] = {"dir": str(data.data_dir), "fingerprint": data.fingerprint}
    return manifest


def train_stage(
    *,
    name: str,
    cfg: TrainCommon,
    stage_dir: Path,
    model_path: str,
    tokenizer,
    dataset,
    collator,
    manifest: Manifest,
    schedule_span: tuple[int, int] | None = None,
) -> Path:
    """Train `dataset` (already in order) from `model_path`; return the final checkpoint folder."""
    from transformers import AutoModelForCausalLM

    stage_dir.mkdir(parents=True, exist_ok=True)
    plan = make_batch_plan(cfg, len(dataset), world_size())
    args = make_training_args(cfg, stage_dir, plan)
    manifest.extra["batch_plan"] = plan
    metadata = make_metadata(
        name, cfg.model_dump(), base_model=model_path, batch_plan=plan, data_manifest=manifest.to_dict()
    )
    kwargs = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
    dtype = load_dtype(cfg)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype, **kwargs)
    manifest.extra["dtype"] = str(dtype).removeprefix("torch.")
    # No KV cache in training: besides being useless, a cache disables transformers' packed-sequence
    # detection from position_ids, which is what keeps documents from attending to each other.
    model.config.use_cache = False
    trainer = AgentmtTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[LossLogCallback(), MetadataCallback(metadata), NoFinalSaveCallback()],
        schedule_span=schedule_span,
    )
    trainer.train(resume_from_checkpoint=latest_checkpoint(stage_dir))
    out = build_final_checkpoint(trainer, stage_dir, metadata)
    if trainer.is_world_process_zero() and not cfg.keep_checkpoints:
        manifest.extra["removed_checkpoints"] = remove_checkpoints(stage_dir)
    manifest.counts["optimizer_steps"] = trainer.state.global_step
    manifest.write(stage_dir)
    return out


__all__ = ["final_dir", "load_dtype", "make_stage_manifest", "train_stage"]
