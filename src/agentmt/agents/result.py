"""`AgentResult`: what one agent run returns (the rollouts stage turns it into a `Trajectory`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentmt.types import Message, StepStats


@dataclass(slots=True)
class AgentResult:
    """One run: canonical messages, why it ended, the diff (also auto-taken on limits), accounting."""

    messages: list[Message]
    exit_status: str
    submission: str = ""
    steps: list[StepStats] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # model_s, tool_s, wall_s
    error: str = ""  # what ended a run that did not submit

    @property
    def num_tokens(self) -> int:
        return sum(s.prompt_tokens + s.completion_tokens for s in self.steps)
