"""Error hierarchy: every exception agentmt raises on purpose derives from `AgentmtError`.

User mistakes are `UserError` (also a ValueError) whose message says what to change; the CLI prints
them as one line with exit status 2. Other `AgentmtError`s (a failed git command, the Docker daemon
gone, a model endpoint down) are one line with exit status 1; anything else is an internal error.
"""

from __future__ import annotations


class AgentmtError(Exception):
    """Base of every error agentmt raises on purpose."""


class UserError(AgentmtError, ValueError):
    """The user asked for something that cannot work; the message says what to fix."""


class ConfigError(UserError):
    """A configuration file, built-in name or key=value override is invalid."""


class InputError(UserError):
    """An input path, repository, ref or dataset is missing or malformed."""


class StageConflictError(UserError):
    """An output folder holds work made with another fingerprint (config, inputs or version)."""


class EndpointError(AgentmtError):
    """A model endpoint could not be reached or answered badly."""


class GitError(AgentmtError):
    """A git command failed on objects of one record (corrupt or missing objects)."""


class InfrastructureError(AgentmtError):
    """The Docker daemon, disk or memory failed (not the task's or the agent's fault)."""


class RecordDropped(AgentmtError):
    """Raised inside per-record processing: the record is dropped, counted under `reason`."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
