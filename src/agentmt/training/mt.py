"""Mid-training (spec §4.2): packed causal-LM on every token, stages in sequence.

Stage k starts from stage k-1's final checkpoint. Each stage's packs are laid out by the
training-data stage (prepare.py) before training, into STAGE_DIR/data: tokenized once, reused on
every rerun, read memory-mapped. The global batch of `global_batch_size` packed sequences maps to
global_batch_size × seq_len tokens per optimizer step.
"""

from __future__ import annotations

from pathlib import Path

from agentmt.config import make_config
from agentmt.errors import InputError
from agentmt.training.boundaries import make_pack_collator
from agentmt.training.checkpoint import final_dir, is_final, remove_checkpoints
from agentmt.training.config import MTConfig, StageConfig
from agentmt.training.prepare import PACK_COLUMNS, PreparedData, build_training_data
from agentmt.training.stage import make_stage_manifest, train_stage, world_size
from agentmt.training.trainer import ArrowDataset, make_batch_plan


def build_stage_data(stage: StageConfig, cfg: MTConfig, seed: int, tokenizer_path: str) -> PreparedData:
    """The packed shards of one MT stage (built, or reused when finished with the same fingerprint)."""
    data = build_training_data(
        kind="mt", name=f"mt:{stage.name}", stage_dir=Path(cfg.output_dir) / stage.name, sources=stage.sources,
        root=cfg.data_root, epochs=stage.epochs, seq_len=cfg.seq_len, seed=seed, tokenizer_path=tokenizer_path,
    )
    if not data.num_samples:
        raise InputError(
            f"MT stage {stage.name!r} has no document from {[s.path for s in stage.sources]} "
            f"(drops: {data.manifest['drops']}): give it a source that exists"
        )
    return data


def run_mt(*specs: str) -> Path:
    """Run every MT stage (skipping finished ones, resuming interrupted ones); return the last final checkpoint."""
    from transformers import AutoTokenizer

    from agentmt.models.checkpoint import resolve_model

    cfg = make_config(MTConfig, *specs)
    collator = make_pack_collator(cfg.attn_implementation)  # refuses setups that lose document boundaries
    out = Path(cfg.output_dir)
    model_path = resolve_model(cfg.model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    datas = [build_stage_data(stage, cfg, cfg.seed + i, model_path) for i, stage in enumerate(cfg.stages)]
    # One schedule across stages needs every stage's step count up front.
    steps = [make_batch_plan(cfg, d.num_samples, world_size())["max_steps"] for d in datas]
    for i, (stage, data) in enumerate(zip(cfg.stages, datas)):
        stage_dir = out / stage.name
        if is_final(stage_dir):
            if not cfg.keep_checkpoints:
                remove_checkpoints(stage_dir)  # left behind when a run died between final and clean-up
            model_path = str(final_dir(stage_dir))
            continue
        manifest = make_stage_manifest(f"train_mt:{stage.name}", cfg, data, [s.path for s in stage.sources])
        manifest.extra["tokens_per_optimizer_step"] = cfg.global_batch_size * cfg.seq_len
        span = (sum(steps[:i]), sum(steps)) if cfg.schedule == "continue" else None
        model_path = str(
            train_stage(
                name=f"mt:{stage.name}",
                cfg=cfg,
                stage_dir=stage_dir,
                model_path=model_path,
                tokenizer=tokenizer,
                dataset=ArrowDataset(data.shards, PACK_COLUMNS),
                collator=collator,
                manifest=manifest,
                schedule_span=span,
            )
        )
    return Path(model_path)
