"""`RolloutConfig`: how `agentmt rollout` samples, bounds concurrency and grades (defaults: configs/rollout.yaml)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agentmt.environments.runtime import RuntimeConfig


class RolloutConfig(BaseModel):
    """Settings of `agentmt rollout`; `agent` is passed to the agent's own config unchanged."""

    k: int = Field(4, ge=1, le=64)
    """Rollouts per task (the paper: up to 4). A gold replay runs once per task whatever k says."""
    model: str = "embedded"
    """embedded | gold | scripted:FILE | an OpenAI-compatible base URL (http://host:port/v1)."""
    containers: int = Field(2, ge=1, le=256)
    """Task containers running at once (each rollout holds one agent container, then one grading container)."""
    model_slots: int = Field(1, ge=1, le=1024)
    """Rollouts that may wait on the model at once; concurrency is min(containers, model_slots) for
    served models (a CPU server answers one request at a time), containers for in-process ones."""
    seed: int = 0
    """Base seed; rollout i of a task samples with seed + i, so reruns are reproducible."""
    include_replays: bool = False
    """Allow gold replays in the same output as model rollouts (off: a replay run writes its own folder)."""
    grade: bool = True
    """Grade every trajectory with the task's hidden tests in a fresh container."""
    grading_timeout_s: int = Field(600, ge=1)
    """Time limit of the hidden test run."""
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    """Limits of the agent and grading containers."""
    sampling: dict[str, Any] = Field(default_factory=dict)
    """Model settings (agentmt.agents.registry.ModelConfig keys: temperature, top_p, max_tokens, timeout_s,
    ...), given as sampling.KEY=VALUE; the seed is set per rollout from `seed`."""
    agent: dict[str, Any] = Field(default_factory=dict)
    """Overrides for the agent's config (step_limit, max_tokens, temperature, ...), given as agent.KEY=VALUE."""
    executor: str = "local"
    """local | ray."""
    retry_statuses: list[str] = Field(default_factory=lambda: ["environment_error"])
    """Exit statuses left unmarked so the next run retries them (infrastructure, not the model); `eval`
    adds model_error (the model server failed to answer: HTTP 5xx, dead, timed out)."""


def load_rollout_config(*specs: str) -> RolloutConfig:
    from agentmt.config import make_config

    return make_config(RolloutConfig, *specs)
