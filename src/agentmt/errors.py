"""Error hierarchy. User mistakes are ValueError subclasses whose message says what to change."""

from __future__ import annotations


class AgentmtError(Exception):
    """Base of every error agentmt raises on purpose."""


class UserError(AgentmtError, ValueError):
    """The user asked for something that cannot work; the message says what to fix."""


class ConfigError(UserError):
    """A configuration file, built-in name or key=value override is invalid."""


class InputError(UserError):
    """An input path, repository, ref or dataset is missing or malformed."""


class EndpointError(AgentmtError):
    """A model endpoint could not be reached or answered badly."""


class RecordDropped(AgentmtError):
    """Raised inside per-record processing: the record is dropped, counted under `reason`."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
