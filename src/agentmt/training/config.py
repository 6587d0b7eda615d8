"""Training configs: mid-training (`MTConfig`) and SFT (`SFTConfig`).

Defaults are the paper's values (spec §4.2–4.3); the built-in presets `train_mt_paper_*`,
`train_sft_paper_*` and the CPU demos `train_mt_demo` / `train_sft_demo` override only what differs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveInt


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """One shard folder in a data mixture."""

    path: str
    """Stage output folder (Parquet/JSONL shards): a D_ctx folder (`text` rows) or a D_env folder (Trajectory rows)."""
    kind: Literal["ctx", "env"] = "ctx"
    """`ctx`: rows carry a `text` column; `env`: rows are Trajectory records rendered with the chat template."""
    repeat: NonNegativeFloat = 1.0
    """Upsampling factor: each row appears floor(repeat) times, plus once more with probability frac(repeat) (seeded)."""
    where: dict[str, Any] = Field(default_factory=dict)
    """Keep only rows whose scalar columns equal these values, e.g. `{resolved: true}` for D_env_pass."""
    optional: bool = False
    """Skip the source (counted in the manifest) when its folder does not exist, e.g. D_env before rollouts ran."""


class StageConfig(_Strict):
    """One mid-training stage: a mixture trained for `epochs` passes."""

    name: str
    """Stage name; its outputs go to OUTPUT_DIR/<name>."""
    sources: list[SourceConfig]
    """The shard folders mixed (and shuffled together) in this stage."""
    epochs: NonNegativeFloat = 1.0
    """Passes over the mixture (paper: 1 epoch, every sample consumed once)."""


class TrainCommon(_Strict):
    """Optimiser, batch and checkpoint settings shared by MT and SFT."""

    model: str = "embedded"
    """Starting checkpoint: `embedded` (SmolLM2-135M-Instruct) or an HF checkpoint folder / hub name."""
    data_root: str = "."
    """Folder that relative source paths are resolved against (lets `-c data_root=OUT` retarget a preset)."""
    output_dir: str = "train-out"
    """Where checkpoints, logs and the final HF checkpoint go."""
    seq_len: int = Field(32768, ge=2)
    """MT: length of each packed sequence. SFT: truncation length of one conversation."""
    global_batch_size: PositiveInt = 1024
    """Samples per optimizer step over all devices (MT: packed sequences; SFT: conversations)."""
    micro_batch_size: PositiveInt = 1
    """Samples per device per forward pass; gradient accumulation = global / (micro × devices)."""
    learning_rate: float = 8e-5
    """Peak learning rate."""
    warmup_ratio: float = 0.05
    """Fraction of the optimizer steps spent in linear warmup."""
    lr_scheduler: str = "cosine"
    """transformers scheduler name applied after warmup (paper: cosine)."""
    weight_decay: float = 0.1
    """AdamW weight decay (not stated in the paper; 0.1 is the Qwen2.5-style default)."""
    adam_beta1: float = 0.9
    """AdamW beta1."""
    adam_beta2: float = 0.95
    """AdamW beta2 (0.95: the usual large-model pretraining value; not stated in the paper)."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm."""
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    """`auto`: bf16 where the device supports it (CUDA with bf16), otherwise fp32."""
    dtype: Literal["auto", "bfloat16", "float32"] = "auto"
    """Dtype the weights are loaded (and trained, and saved) in. `auto`: bfloat16 on CUDA devices with bf16
    support (half the memory of fp32), float32 elsewhere (CPU kernels are slow and inexact in bf16)."""
    attn_implementation: str | None = None
    """transformers attention kernel: None (SDPA), `eager`, or `flash_attention_2`/`_3` on GPU. MT's packed
    documents get a block-diagonal causal mask (SDPA, eager) or varlen boundaries (flash); others are refused."""
    gradient_checkpointing: bool = True
    """Recompute activations in the backward pass to fit long sequences."""
    max_steps: int = -1
    """Cap on optimizer steps (per stage for MT; -1: derived from epochs and data size)."""
    save_steps: PositiveInt = 500
    """Save a resumable checkpoint every N optimizer steps."""
    save_total_limit: int = Field(1, ge=1)
    """Resumable checkpoints (weights + optimizer state) kept per stage while it runs; older ones are deleted."""
    keep_checkpoints: bool = False
    """Keep the resumable checkpoints once the stage's final checkpoint is written (default: delete them, the
    final checkpoint is the stage's one copy of the weights)."""
    logging_steps: PositiveInt = 1
    """Log loss and learning rate every N optimizer steps (written to loss.jsonl)."""
    seed: int = 0
    """Seeds the data order (mixture shuffle, upsampling) and the trainer."""


class MTConfig(TrainCommon):
    """Mid-training: packed causal-LM on all tokens, stages in sequence."""

    stages: list[StageConfig]
    """Stages run in order; each starts from the previous stage's final checkpoint."""
    schedule: Literal["restart", "continue"] = "restart"
    """`restart`: warmup + cosine per stage; `continue`: one warmup + cosine across all stages (not stated in the paper)."""
    split_long_docs: Literal["continue"] = "continue"
    """Documents are laid end to end (EOS after each) and cut at pack boundaries; the cut piece continues in the
    next pack with position ids restarting at 0. Nothing is truncated; splits are counted."""


class SFTConfig(TrainCommon):
    """SFT on D_env_pass conversations, loss on assistant tokens only."""

    data: list[SourceConfig]
    """Trajectory folders (kind `env`), usually with `where: {resolved: true}`."""
    epochs: NonNegativeFloat = 5.0
    """Passes over the data (paper: 5)."""
    global_batch_size: PositiveInt = 128
    """Conversations per optimizer step (paper: 128)."""
    learning_rate: float = 1e-5
    """Peak learning rate (paper: 1e-5)."""
    warmup_ratio: float = 0.1
    """Warmup fraction (paper: 0.10)."""
    seq_len: int = Field(131072, ge=2)
    """Conversations longer than this are truncated from the end; those left with no assistant token are dropped."""
