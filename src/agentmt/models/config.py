"""`ModelConfig`: sampling and patience of an agent model (also `AgentConfig.model`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
    api_key: str | None = Field(None, repr=False)
    """Bearer token for a URL endpoint (None: AGENTMT_LLM_API_KEY / OPENAI_API_KEY); registered as a secret,
    so agentmt.secrets.redact removes it from every manifest, trajectory config and message."""
    timeout_s: float = Field(300.0, gt=0)
    """Seconds one request may take before it is retried."""
    retries: int = Field(2, ge=0)
    """Retries of a failed request (429, 5xx, timeouts, connection errors) before model_error."""
    threads: int | None = Field(None, ge=1)
    """CPU threads of the embedded server (None: torch's default)."""
    startup_timeout_s: float = Field(300.0, gt=0)
    """Seconds the embedded server may take to load."""
    tokenizer: str | None = None
    """URL models: an HF tokenizer (folder or name) to count the context with, as the issue asks; None:
    the server's last `usage` plus ~4 characters a token for newer turns (documented approximation)."""
    base_url: str | None = None
    """embedded only: an already running server of the same checkpoint to use instead of starting one
    (so many rollouts share one server and still get the XML format and the local tokenizer)."""
    bind_host: str = "127.0.0.1"
    """embedded only: the address its server binds (127.0.0.1: this machine only; 0.0.0.0: every node)."""
    advertise_host: str | None = None
    """embedded only: the host in the URL units get (None: the bind address, or this machine's hostname
    when binding 0.0.0.0)."""

    @model_validator(mode="after")
    def _register_key(self):
        from agentmt.secrets import register, register_from

        register(self.api_key)
        register_from(self.base_url or "")
        return self

    def sampling(self) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}
        if self.seed is not None:
            out["seed"] = self.seed
        return out
