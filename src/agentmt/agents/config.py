"""`AgentConfig`: prompts and limits of one agent run, defaults here; YAML presets override them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentmt.config import make_config
from agentmt.models.config import ModelConfig

# The default prompts (SWE-bench style); a preset or -c system_template=... replaces them.
SYSTEM_TEMPLATE = """\
You are a software engineer working inside a Linux sandbox. You solve tasks in a code
repository by calling the tools you are given, one or more per turn. Each tool result comes
back to you; use it to decide what to do next. When the task is solved, call `submit`."""
XML_SYSTEM_TEMPLATE = """\
You are a software engineer working inside a Linux sandbox. You solve tasks in a code
repository by calling tools. To call a tool, write exactly this format, and nothing after it:

<function=TOOL_NAME>
<parameter=PARAM_NAME>value</parameter>
</function>

For example, to list the repository:

<function=bash>
<parameter=command>ls /testbed</parameter>
</function>

The tool's output comes back to you in the next message. Call one tool per message.
When the task is solved, call `submit`. The tools:

{tools}"""
INSTANCE_TEMPLATE = """\
<uploaded_files>
{workdir}
</uploaded_files>
The repository {repo} is checked out in {workdir}. Consider this issue:

<issue_description>
{problem_statement}
</issue_description>

Change the non-test files in {workdir} so that the issue is resolved; the tests are already
taken care of. Steps that help:
1. Find and read the code relevant to the issue.
2. Write a small script that reproduces the problem and run it with `bash`.
3. Edit the source to fix it, then rerun your script to confirm the fix.
4. Think about edge cases, then call `submit`."""
FORMAT_ERROR_TEMPLATE = """\
Your last message did not hold a valid tool call ({error}). Call exactly one of the tools,
in the required format."""


class AgentConfig(BaseModel):
    """Everything the loop needs besides the task, the container and the model."""

    model_config = ConfigDict(extra="forbid")

    system_template: str = SYSTEM_TEMPLATE
    """System prompt (Jinja-free: `{name}` fields from the task, see `instance_template`)."""
    xml_system_template: str = XML_SYSTEM_TEMPLATE
    """System prompt for the `xml` format; `{tools}` is replaced by the tool descriptions."""
    instance_template: str = INSTANCE_TEMPLATE
    """First user turn; fields: problem_statement, repo, instance_id, base_commit, workdir."""
    format_error_template: str = FORMAT_ERROR_TEMPLATE
    """Observation sent back when the model's output could not be parsed; `{error}` says why."""
    action_format: Literal["auto", "tool_calls", "xml"] = "auto"
    """Native OpenAI `tool_calls`, XML function-calling text (models without a tool template), or `auto`:
    the model's `action_format` attribute when it has one (embedded: xml), else tool_calls."""
    step_limit: int = Field(100, ge=1)
    """Model calls before the run ends as limits_exceeded."""
    context_limit_tokens: int = Field(128_000, ge=1)
    """Conversation size (model's tokenizer, else server usage) before the run ends as context_exceeded."""
    wall_limit_s: float = Field(3600.0, gt=0)
    """Wall-clock seconds for the whole run before it ends as timeout."""
    token_budget: int | None = Field(None, ge=1)
    """Prompt + completion tokens over all steps before limits_exceeded; None: no budget."""
    cost_limit: float | None = Field(None, gt=0)
    """Cost (from the two prices below) before limits_exceeded; None: no limit."""
    cost_per_million_prompt_tokens: float = 0.0
    """Price of prompt tokens, for `cost_limit`."""
    cost_per_million_completion_tokens: float = 0.0
    """Price of completion tokens, for `cost_limit`."""
    max_format_errors: int = Field(3, ge=1)
    """Consecutive unparsable outputs before the run ends as format_error."""
    command_timeout_s: int = Field(120, ge=1)
    """Per-command timeout inside the container; the command is killed and the agent told."""
    output_head_chars: int = Field(8000, ge=0)
    """Characters kept from the start of a long command output."""
    output_tail_chars: int = Field(8000, ge=0)
    """Characters kept from the end of a long command output (the middle is cut and counted)."""
    workdir: str = "/testbed"
    """Repository folder inside the container."""
    model: ModelConfig = Field(default_factory=ModelConfig)
    """Sampling and timeouts of the model (`make_model(spec, config=agent_config)` reads it)."""


def load_agent_config(*specs: str) -> AgentConfig:
    """The built-in `agent` config, then `specs` (files, built-in names, key=value) over it."""
    return make_config(AgentConfig, "agent", *specs)
