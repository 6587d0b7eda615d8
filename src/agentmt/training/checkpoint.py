"""HF-format checkpoints with metadata, and resume points.

Disk: at most `save_total_limit` resumable `checkpoint-N` folders exist while a stage runs (the
Trainer rotates them); the final checkpoint is written once, by `save_model` (no end-of-training
checkpoint beside it), and the resumable ones are deleted after it unless `keep_checkpoints`.

Every checkpoint folder (resumable `checkpoint-N` and the final one) holds what `transformers
serve` and vLLM load directly (config, safetensors, tokenizer, chat template) plus
`agentmt_training.json`: resolved config, data manifests, batch plan, package versions. A final
checkpoint gets its completion marker last, so its presence means the stage finished.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from agentmt import io

METADATA = "agentmt_training.json"
FINAL = "final"
FINAL_MARKER = "agentmt-done.json"


def make_metadata(stage: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Metadata stored beside the weights: how this checkpoint was made."""
    import torch
    import transformers

    from agentmt import __version__

    return {
        "stage": stage,
        "agentmt_version": __version__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "config": config,
        **extra,
    }


def latest_checkpoint(stage_dir: Path) -> str | None:
    """The newest complete `checkpoint-N` folder of a stage, to resume from (None: start fresh)."""
    if not stage_dir.exists():
        return None
    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    # The Trainer writes `checkpoint-N` in place (weights, optimizer, RNG, then trainer_state.json
    # last): a run killed mid-save leaves a folder without a readable state, which transformers'
    # get_last_checkpoint would pick and then refuse ("Can't find a valid checkpoint") on every rerun.
    # Resume from the newest complete one; delete torn ones, which rotation would otherwise keep.
    found = []
    for ckpt in stage_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*"):
        step = ckpt.name.rpartition("-")[2]
        if not ckpt.is_dir() or not step.isdigit():
            continue
        try:
            json.loads((ckpt / "trainer_state.json").read_text())  # transformers.trainer.TRAINER_STATE_NAME
        except (OSError, ValueError):
            shutil.rmtree(ckpt, ignore_errors=True)
            continue
        found.append((int(step), ckpt))
    return str(max(found)[1]) if found else None


def final_dir(stage_dir: Path) -> Path:
    return stage_dir / FINAL


def is_final(stage_dir: Path) -> bool:
    return (final_dir(stage_dir) / FINAL_MARKER).exists()


class NoFinalSaveCallback(TrainerCallback):
    """Skips the resumable checkpoint the Trainer saves at the last step: the final checkpoint follows at
    once, and a finished stage is never resumed, so it would only be a second copy of the weights."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_save = False
        return control


def remove_checkpoints(stage_dir: Path) -> list[str]:
    """Delete a finished stage's resumable `checkpoint-N` folders (after its final marker exists)."""
    assert is_final(stage_dir), stage_dir
    removed = []
    for ckpt in sorted(stage_dir.glob("checkpoint-*")):
        shutil.rmtree(ckpt, ignore_errors=True)
        removed.append(ckpt.name)
    return removed


class MetadataCallback(TrainerCallback):
    """Writes the metadata file into every resumable checkpoint the Trainer saves."""

    def __init__(self, metadata: dict[str, Any]):
        self.metadata = metadata

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.exists():
                io.write_json(ckpt / METADATA, {**self.metadata, "global_step": state.global_step})


def build_final_checkpoint(trainer, stage_dir: Path, metadata: dict[str, Any]) -> Path:
    """Save the trained model as an HF checkpoint with tokenizer, chat template and metadata."""
    out = final_dir(stage_dir)
    tmp = out.with_name(out.name + ".tmp")
    # Every rank calls save_model (FSDP/DeepSpeed gather the weights collectively), only rank 0 touches
    # the folders, and the barriers keep a rank from deleting what rank 0 writes or reading it early.
    if trainer.is_world_process_zero():
        shutil.rmtree(tmp, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    trainer.save_model(str(tmp))  # weights + config + processing_class (tokenizer, chat template)
    if trainer.is_world_process_zero():
        io.write_json(tmp / METADATA, {**metadata, "global_step": trainer.state.global_step})
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
        io.write_json(out / FINAL_MARKER, {"global_step": trainer.state.global_step})
    trainer.accelerator.wait_for_everyone()
    return out


def read_metadata(ckpt: Path) -> dict[str, Any]:
    return json.loads((Path(ckpt) / METADATA).read_text())
