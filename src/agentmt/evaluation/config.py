"""`EvalConfig`: the rollout settings of an evaluation plus what only evaluation reads.

An evaluation is rollouts (agentmt.rollouts) on held-out tasks: every `RolloutConfig` key means
the same here and the built-in `eval` preset sets the paper's protocol (SWE-agent-style loop at
temperature 0, 100 steps, 128k context, 4 runs; spec §4.4). `eval_demo` sizes it for `make demo`.
"""

from __future__ import annotations

from pydantic import Field

from agentmt.rollouts.config import RolloutConfig


class EvalConfig(RolloutConfig):
    """`agentmt eval` settings: RolloutConfig's, then the report's."""

    model_name_or_path: str = ""
    """The predictions' `model_name_or_path`; empty: the model spec as given (a checkpoint's path)."""
    leakage_threshold: float = Field(0.10, ge=0, le=1)
    """Decontamination (spec App. D): an instance whose 13-gram leakage into any training document
    reaches this is flagged (τ = 0.10)."""
    ngram: int = Field(13, ge=1)
    """n of the leakage n-grams."""
    train_data: list[str] = Field(default_factory=list)
    """Training data to check the tasks against: D_ctx shard folders, D_env trajectory or task folders."""


def load_eval_config(*specs: str) -> EvalConfig:
    """The built-in `eval` preset, then `specs` over it."""
    from agentmt.config import make_config

    return make_config(EvalConfig, "eval", *specs)
