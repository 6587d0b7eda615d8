"""Agent control flow: every way a run ends is an exception carrying its exit status.

The loop raises these and catches only `AgentExit` at its boundary, so each run ends with
exactly one recorded `exit_status` (SWE-agent/mini-swe-agent style: termination as payload).
"""

from __future__ import annotations

from agentmt.errors import AgentmtError

EXIT_STATUSES = ("submitted", "limits_exceeded", "format_error", "context_exceeded", "timeout",
                 "environment_error", "model_error")


class AgentExit(AgentmtError):
    """Ends the run; `exit_status` is what the trajectory records."""

    exit_status = ""

    def __init__(self, message: str = "", *, submission: str = ""):
        super().__init__(message or self.exit_status)
        self.submission = submission


class Submitted(AgentExit):
    """The agent called `submit`; `submission` is its diff (test files excluded)."""

    exit_status = "submitted"


class LimitsExceeded(AgentExit):
    """Step limit or token/cost budget reached."""

    exit_status = "limits_exceeded"


class FormatError(AgentExit):
    """Too many consecutive model outputs that held no valid tool call."""

    exit_status = "format_error"


class ContextExceeded(AgentExit):
    """The conversation no longer fits the context limit."""

    exit_status = "context_exceeded"


class WallTimeout(AgentExit):
    """The run's wall-clock limit passed."""

    exit_status = "timeout"


class EnvironmentFailed(AgentExit):
    """The container is gone or the daemon failed (exited, OOM-killed, removed)."""

    exit_status = "environment_error"


class ModelFailed(AgentExit):
    """The model server died, hung past its retries or kept answering errors."""

    exit_status = "model_error"
