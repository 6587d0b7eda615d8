"""agentmt: turn real software history into training data and models for code agents.

Importing this package is cheap: heavy dependencies (torch, transformers, docker, githubkit)
are imported inside the functions that need them. The three Protocols below are the agent's
seams; implementations do not inherit from them and are looked up by name
(`agentmt.agents.registry.MODELS`, `agentmt.agents.AGENTS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: importing agentmt must stay free of side effects
    from agentmt.types import Message, StepStats, TaskInstance

__version__ = "0.1.0"

__all__ = ["Agent", "Environment", "Model", "__version__"]


@runtime_checkable
class Model(Protocol):
    """A chat model: one `query` per agent step."""

    name: str
    """What produced the actions (checkpoint path, served model id, "gold", "scripted:FILE")."""
    server: str
    """Base URL of the model server; "" for in-process models."""
    sampling: dict[str, Any]
    """Sampling parameters sent with every request (temperature, top_p, max_tokens, seed)."""

    def query(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> tuple[Message, StepStats]:
        """The assistant's next message; `tools` are OpenAI tool schemas, None in the XML text format."""
        ...


@runtime_checkable
class Environment(Protocol):
    """A running task sandbox (in practice `environments.runtime.DockerEnvironment`)."""

    def execute(self, command: str, *, timeout_s: int | None = None, workdir: str | None = None) -> tuple[str, int]:
        """Run a bash command inside the sandbox; (output, exit code), 124 on timeout."""
        ...

    def write_file(self, path: str, text: str) -> None:
        """Write a text file inside the sandbox."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Agent(Protocol):
    """Runs one task in one environment with one model."""

    def run(self, task: TaskInstance, env: Environment, model: Model) -> Any:
        """Act until an exit condition; returns the run's result (an `AgentResult`)."""
        ...
