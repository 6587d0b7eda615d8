"""The transformers Trainer as MT and SFT use it: recorded sample order, logged loss, batch mapping.

We subclass only to (1) record which samples each optimizer step consumed (so a resumed run can be
checked for samples seen twice or skipped), and (2) offer one warmup+cosine schedule spanning
several MT stages. The training loop, accumulation, clipping, checkpoints and resume are the
Trainer's own.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback, TrainingArguments

from agentmt.errors import ConfigError
from agentmt.training.config import TrainCommon

SAMPLE_LOG = "samples-rank{rank}.jsonl"
LOSS_LOG = "loss.jsonl"
LAUNCH_LOG = "launch.json"  # how the stage ran: distributed type, processes, backend


class ListDataset(torch.utils.data.Dataset):
    """Samples held in memory, already in training order (benchmarks; training reads `ArrowDataset`)."""

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**self.items[i], "sample_index": i}


class ArrowDataset(torch.utils.data.Dataset):
    """Samples of the training-data stage's shards, in training order, read memory-mapped (prepare.py)."""

    def __init__(self, shards: list[Path], columns: tuple[str, ...]):
        from agentmt.training.arrowfile import ArrowRows

        self.rows = ArrowRows(shards)
        self.columns = columns

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**{c: self.rows.get(i, c).tolist() for c in self.columns}, "sample_index": i}


def process_state():
    """accelerate's process state, made as the Trainer makes it (CPU processes where there is no CUDA).

    Created first with accelerate's default (cpu=False), a CPU launch's processes would each see a
    world of one; with cpu=True they join one gloo group.
    """
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def make_chat_collator(pad_id: int):
    """Right-pad conversations; labels are the token ids where the assistant mask is 1, else -100."""

    def collate(features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        n = max(len(f["input_ids"]) for f in features)
        ids, att, lab = [], [], []
        for f in features:
            pad = n - len(f["input_ids"])
            ids.append(f["input_ids"] + [pad_id] * pad)
            att.append([1] * len(f["input_ids"]) + [0] * pad)
            lab.append([t if m else -100 for t, m in zip(f["input_ids"], f["assistant_mask"])] + [-100] * pad)
        return {
            "input_ids": torch.tensor(ids),
            "attention_mask": torch.tensor(att),
            "labels": torch.tensor(lab),
            "sample_index": torch.tensor([f["sample_index"] for f in features]),
        }

    return collate


def make_batch_plan(cfg: TrainCommon, num_samples: int, world_size: int) -> dict[str, int]:
    """Gradient accumulation and step count that give `global_batch_size` samples per optimizer step."""
    per_pass = cfg.micro_batch_size * world_size
    if cfg.global_batch_size % per_pass:
        raise ConfigError(
            f"global_batch_size {cfg.global_batch_size} is not a multiple of micro_batch_size × devices ({per_pass}): "
            "change one of them"
        )
    accum = cfg.global_batch_size // per_pass
    steps = math.ceil(math.ceil(num_samples / per_pass) / accum)
    if cfg.max_steps > 0:
        steps = min(steps, cfg.max_steps) if num_samples else cfg.max_steps
    return {"gradient_accumulation_steps": accum, "max_steps": steps, "world_size": world_size}


def make_training_args(cfg: TrainCommon, out_dir: Path, plan: dict[str, int]) -> TrainingArguments:
    cuda = torch.cuda.is_available()
    bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and cuda and torch.cuda.is_bf16_supported())
    return TrainingArguments(
        output_dir=str(out_dir),
        per_device_train_batch_size=cfg.micro_batch_size,
        gradient_accumulation_steps=plan["gradient_accumulation_steps"],
        max_steps=plan["max_steps"],
        learning_rate=cfg.learning_rate,
        warmup_steps=cfg.warmup_ratio,  # a float below 1 is a ratio of the steps
        lr_scheduler_type=cfg.lr_scheduler,
        weight_decay=cfg.weight_decay,
        adam_beta1=cfg.adam_beta1,
        adam_beta2=cfg.adam_beta2,
        max_grad_norm=cfg.max_grad_norm,
        bf16=bf16,
        activation_checkpointing=cfg.gradient_checkpointing,
        logging_steps=cfg.logging_steps,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        seed=cfg.seed,
        data_seed=cfg.seed,
        train_sampling_strategy="sequential",  # our order is the recorded, seeded one
        remove_unused_columns=False,
        dataloader_num_workers=0,
        report_to="none",
        use_cpu=not cuda,
        disable_tqdm=True,
    )


def make_span_lr_factor(offset: int, total: int, warmup: int):
    """LR multiplier of a stage whose step 0 is step `offset` of one `total`-step linear-warmup + cosine schedule."""

    def factor(step: int) -> float:
        s = step + offset
        if s < warmup:
            return (s + 1) / max(1, warmup)
        progress = (s - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


class AgentmtTrainer(Trainer):
    """Trainer that logs each step's sample indices and can run a schedule spanning several stages."""

    def __init__(self, *args, schedule_span: tuple[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # (offset, total): this stage's step 0 is step `offset` of one `total`-step warmup+cosine.
        self.schedule_span = schedule_span
        self.run_id = time.time_ns()  # tells a resumed run's step log lines from the killed run's
        if self.is_world_process_zero():
            Path(self.args.output_dir).mkdir(parents=True, exist_ok=True)
            state = self.accelerator.state
            (Path(self.args.output_dir) / LAUNCH_LOG).write_text(json.dumps({
                "distributed_type": str(state.distributed_type).rsplit(".", 1)[-1],
                "num_processes": state.num_processes, "backend": state.backend,
                "fsdp_version": getattr(getattr(state, "fsdp_plugin", None), "fsdp_version", None),
            }) + "\n")

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        idx = inputs.pop("sample_index")
        if model.training:
            path = Path(self.args.output_dir) / SAMPLE_LOG.format(rank=self.args.process_index)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"run": self.run_id, "step": self.state.global_step + 1, "samples": idx.tolist()}) + "\n")
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.schedule_span is None or self.lr_scheduler is not None:
            return super().create_scheduler(num_training_steps, optimizer)
        offset, total = self.schedule_span
        factor = make_span_lr_factor(offset, total, self.args.get_warmup_steps(total))
        self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer or self.optimizer, factor)
        self._created_lr_scheduler = True
        return self.lr_scheduler


class LossLogCallback(TrainerCallback):
    """Appends {step, loss, learning_rate, grad_norm} lines to OUTPUT/loss.jsonl (main process only)."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs and "loss" in logs:
            row = {"step": state.global_step, **{k: logs[k] for k in ("loss", "learning_rate", "grad_norm") if k in logs}}
            with open(Path(args.output_dir) / LOSS_LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")


def read_step_log(path: Path) -> dict[int, Any]:
    """Per step, what the last run to reach it logged: a resumed run redoes the steps after its checkpoint.

    Sample logs give {step: [sample indices of all its micro-batches]}; loss logs give {step: row}.
    """
    out: dict[int, Any] = {}
    run_of: dict[int, Any] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        row = json.loads(line)
        step = row["step"]
        if "samples" not in row:
            out[step] = row
            continue
        if run_of.get(step) != row["run"]:
            run_of[step] = row["run"]
            out[step] = []
        out[step].extend(row["samples"])
    return dict(sorted(out.items()))
