"""The agent: a SWE-agent-style loop with bash, str_replace_editor and submit run inside the task container."""

from __future__ import annotations

from agentmt.agents.config import AgentConfig, load_agent_config
from agentmt.agents.exceptions import EXIT_STATUSES
from agentmt.agents.loop import AgentResult, DefaultAgent, run_agent

AGENTS = {"default": DefaultAgent}
"""Agent implementations by name (they satisfy `agentmt.Agent` without inheriting from it)."""

__all__ = ["AGENTS", "EXIT_STATUSES", "AgentConfig", "AgentResult", "DefaultAgent", "load_agent_config",
           "run_agent"]
