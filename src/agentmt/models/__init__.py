"""Models: the embedded checkpoint and its server, the OpenAI-compatible client, and agent models by name."""

from __future__ import annotations


def make_model(spec: str, **kwargs):
    """See `agentmt.models.registry.make_model` (imported lazily: this package stays cheap to import)."""
    from agentmt.models.registry import make_model as _make

    return _make(spec, **kwargs)
