"""Per-rollout models for the stage: each (task, attempt) gets its own seeded model object.

`embedded` is served once for the whole stage (`serve_embedded`, entered by the runner only when
some rollout must run); every rollout then talks to that server with its own seed. Requests to a
served endpoint (embedded or a URL) wait for one of its `model_slots` (`EndpointSlots`: the cap holds
across threads and processes). In-process (thread) runs also share the server's tokenizer for exact
context counts; on Ray only the picklable part travels (URL, name, format) and the server's usage
counts the context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from agentmt.rollouts.config import RolloutConfig
from agentmt.rollouts.items import WorkItem
from agentmt.rollouts.run import SlotModel


class ServedModel:
    """One rollout's client of the stage's embedded server."""

    def __init__(self, remote, name: str, action_format: str | None, counter=None):
        self._remote, self._counter = remote, counter
        self.name, self.server, self.sampling = name, remote.server, remote.sampling
        self.action_format = action_format

    def query(self, messages, tools):
        return self._remote.query(messages, tools)

    def count_tokens(self, messages) -> int | None:
        return self._counter(messages) if self._counter else None

    def close(self) -> None:
        self._remote.close()


@contextlib.contextmanager
def serve_embedded(cfg: RolloutConfig, in_process: bool) -> Iterator[dict[str, Any]]:
    """Start the stage's model server when the model is `embedded[:CHECKPOINT]`; yields shared state."""
    from agentmt.agents.registry import make_model

    shared: dict[str, Any] = {}
    if cfg.model.split(":", 1)[0] != "embedded":
        yield shared
        return
    embedded = make_model(cfg.model, config=cfg.sampling)
    try:
        shared.update(server=embedded.start(), model_name=embedded.name,
                      action_format=getattr(embedded, "action_format", None))
        if in_process:
            shared["_count_tokens"] = embedded.count_tokens
        yield shared
    finally:
        embedded.close()


def build_model(item: WorkItem, cfg: RolloutConfig, shared: dict[str, Any]):
    """The model of one rollout: gold for a replay, else the configured one with seed = seed + attempt."""
    from agentmt.agents.registry import make_model
    from agentmt.models.slots import EndpointSlots

    settings = {**cfg.sampling, "seed": cfg.seed + item.run_index}
    if item.replay:
        model = make_model("gold", task=item.task)
    elif "server" in shared:
        model = ServedModel(make_model(shared["server"], config=settings), shared["model_name"],
                            shared.get("action_format"), shared.get("_count_tokens"))
    else:
        model = make_model(cfg.model, task=item.task, config=settings)
    endpoint = None if item.replay else shared.get("server") or (cfg.model if "://" in cfg.model else None)
    return SlotModel(model, EndpointSlots(endpoint, cfg.model_slots)) if endpoint else model
