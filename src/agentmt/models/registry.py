"""`make_model(spec)`: agent models by name — embedded | gold | scripted:FILE | http(s) URL.

Implementations satisfy `agentmt.Model` without inheriting from it; `MODELS` maps each spec
prefix to its constructor. Every model has `.name`, `.server`, `.sampling`, `.query()` and `.close()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentmt.errors import ConfigError, InputError
from agentmt.types import TaskInstance


class ModelConfig(BaseModel):
    """How an agent model samples and how patiently it is waited for."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.7, ge=0)
    """Sampling temperature (0: greedy)."""
    top_p: float = Field(0.95, gt=0, le=1)
    """Nucleus sampling mass."""
    max_tokens: int = Field(1024, ge=1)
    """Completion tokens per step."""
    seed: int | None = None
    """Sampling seed sent to the server (recorded with the trajectory)."""
    model: str | None = None
    """Model id sent to a URL endpoint (None: omit, for servers pinned to one model)."""
    api_key: str | None = None
    """Bearer token for a URL endpoint (None: AGENTMT_LLM_API_KEY / OPENAI_API_KEY)."""
    timeout_s: float = Field(300.0, gt=0)
    """Seconds one request may take before it is retried."""
    retries: int = Field(2, ge=0)
    """Retries of a failed request (429, 5xx, timeouts, connection errors) before model_error."""
    threads: int | None = Field(None, ge=1)
    """CPU threads of the embedded server (None: torch's default)."""
    startup_timeout_s: float = Field(300.0, gt=0)
    """Seconds the embedded server may take to load."""

    def sampling(self) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}
        if self.seed is not None:
            out["seed"] = self.seed
        return out


def _embedded(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.models.embedded import EmbeddedModel

    return EmbeddedModel(arg or None, sampling=cfg.sampling(), threads=cfg.threads,
                         startup_timeout_s=cfg.startup_timeout_s, timeout_s=cfg.timeout_s, retries=cfg.retries)


def _gold(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.models.gold import GoldModel

    if task is None:
        raise InputError("the gold model replays a task's patch: pass the task (make_model('gold', task=...))")
    return GoldModel(task)


def _scripted(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.models.scripted import ScriptedModel, load_actions

    if not arg:
        raise ConfigError("write the scripted model as scripted:FILE (a YAML/JSON list of actions)")
    return ScriptedModel(load_actions(arg), name=f"scripted:{arg}")


def _url(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt import settings
    from agentmt.models.remote import OpenAIModel

    return OpenAIModel(arg, cfg.model or settings.llm_model(), sampling=cfg.sampling(),
                       api_key=cfg.api_key or settings.openai_api_key(), timeout=cfg.timeout_s, retries=cfg.retries)


MODELS: dict[str, Callable[[str, TaskInstance | None, ModelConfig], Any]] = {
    "embedded": _embedded, "gold": _gold, "scripted": _scripted, "url": _url,
}


def make_model(spec: str, *, task: TaskInstance | None = None, config: ModelConfig | dict | None = None):
    """The model named by `spec`: embedded[:CHECKPOINT] | gold | scripted:FILE | http(s)://host/v1."""
    if isinstance(config, dict) or config is None:
        try:
            config = ModelConfig.model_validate(config or {})
        except ValueError as e:
            raise ConfigError(f"model config: {e.errors()[0]['msg']}") from e  # type: ignore[attr-defined]
    if spec.startswith(("http://", "https://")):
        return MODELS["url"](spec, task, config)
    kind, _, arg = spec.partition(":")
    if kind not in MODELS or kind == "url":
        raise ConfigError(f"unknown model {spec!r}: use embedded, gold, scripted:FILE or an http(s):// base URL")
    return MODELS[kind](arg, task, config)
