"""SFT (spec §4.3): trajectories rendered with the chat template, loss on assistant tokens only.

The loss is normalised per trained token across the whole accumulated batch: the Trainer counts
the label tokens of all micro-batches of a step (`num_items_in_batch`) and the model divides the
summed token losses by that count, so a long conversation weighs by its tokens, not by its sample.
Epochs are laid out one after another by the training-data stage (prepare.py), each with its own
seeded shuffle; every conversation is rendered and tokenized once, whatever its epochs and copies.

Why the transformers Trainer and not TRL's SFTTrainer: TRL's assistant-only loss needs chat
templates with `{% generation %}` markers, which the Qwen2.5-Base and SmolLM2 templates lack, and
our conversations are rendered (tool calls as XML, the mask derived from the template) before
training anyway, so SFTTrainer would add a dependency and nothing the Trainer does not already do.
"""

from __future__ import annotations

from pathlib import Path

from agentmt.config import make_config
from agentmt.errors import InputError
from agentmt.training.checkpoint import final_dir, is_final, remove_checkpoints
from agentmt.training.config import SFTConfig
from agentmt.training.prepare import SAMPLE_COLUMNS, PreparedData, build_training_data
from agentmt.training.stage import make_stage_manifest, train_stage
from agentmt.training.trainer import ArrowDataset, make_chat_collator


def build_sft_data(cfg: SFTConfig, tokenizer_path: str) -> PreparedData:
    """The SFT samples in training order (all epochs), built or reused; drops counted with reasons."""
    data = build_training_data(
        kind="sft", name="sft", stage_dir=Path(cfg.output_dir), sources=cfg.data, root=cfg.data_root,
        epochs=cfg.epochs, seq_len=cfg.seq_len, seed=cfg.seed, tokenizer_path=tokenizer_path,
    )
    if not data.num_samples:
        raise InputError(f"no SFT sample left from {[s.path for s in cfg.data]} (drops: {data.manifest['drops']})")
    return data


def run_sft(*specs: str) -> Path:
    """Train SFT (resuming an interrupted run); return the final checkpoint folder."""
    from transformers import AutoTokenizer

    from agentmt.models.checkpoint import resolve_model

    cfg = make_config(SFTConfig, *specs)
    stage_dir = Path(cfg.output_dir)
    if is_final(stage_dir):
        if not cfg.keep_checkpoints:
            remove_checkpoints(stage_dir)
        return final_dir(stage_dir)
    model_path = resolve_model(cfg.model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    data = build_sft_data(cfg, model_path)
    manifest = make_stage_manifest("train_sft", cfg, data, [s.path for s in cfg.data])
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return train_stage(
        name="sft",
        cfg=cfg,
        stage_dir=stage_dir,
        model_path=model_path,
        tokenizer=tokenizer,
        dataset=ArrowDataset(data.shards, SAMPLE_COLUMNS),
        collator=make_chat_collator(pad),
        manifest=manifest,
    )
