"""`make_model(spec)`: agent models by name — embedded | gold | scripted:FILE | http(s) URL.

Implementations satisfy `agentmt.Model` without inheriting from it; `MODELS` maps each spec
prefix to its constructor. Every model has `.name`, `.server`, `.sampling`, `.query()` and `.close()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentmt.errors import ConfigError, InputError
from agentmt.models.config import ModelConfig
from agentmt.types import TaskInstance


def _embedded(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.models.embedded import EmbeddedModel

    return EmbeddedModel(arg or None, sampling=cfg.sampling(), threads=cfg.threads, base_url=cfg.base_url,
                         startup_timeout_s=cfg.startup_timeout_s, timeout_s=cfg.timeout_s, retries=cfg.retries,
                         bind_host=cfg.bind_host, advertise_host=cfg.advertise_host)


def _gold(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.agents.gold import GoldModel

    if task is None:
        raise InputError("the gold model replays a task's patch: pass the task (make_model('gold', task=...))")
    return GoldModel(task)


def _scripted(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt.agents.scripted import ScriptedModel, load_actions

    if not arg:
        raise ConfigError("write the scripted model as scripted:FILE (a YAML/JSON list of actions)")
    return ScriptedModel(load_actions(arg), name=f"scripted:{arg}")


def _url(arg: str, task: TaskInstance | None, cfg: ModelConfig):
    from agentmt import settings
    from agentmt.models.remote import OpenAIModel

    return OpenAIModel(arg, cfg.model or settings.llm_model(), sampling=cfg.sampling(),
                       api_key=cfg.api_key or settings.openai_api_key(), timeout=cfg.timeout_s, retries=cfg.retries,
                       tokenizer=cfg.tokenizer)


MODELS: dict[str, Callable[[str, TaskInstance | None, ModelConfig], Any]] = {
    "embedded": _embedded, "gold": _gold, "scripted": _scripted, "url": _url,
}


def make_model(spec: str, *, task: TaskInstance | None = None, config=None):
    """The model named by `spec`: embedded[:CHECKPOINT] | gold | scripted:FILE | http(s)://host/v1.

    `config`: a ModelConfig, its dict, an AgentConfig (its `.model` is used) or None (defaults).
    """
    config = getattr(config, "model", config)
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
