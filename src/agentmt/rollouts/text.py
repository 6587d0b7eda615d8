"""A trajectory as mid-training text (spec §3.4): the XML-tool system prompt, then the conversation
templated with a tokenizer's chat template. Shared by the D_env renderer (`agentmt.envdata`) and the
trajectory import, which counts imported rows by the length of this text."""

from __future__ import annotations

from typing import Any

from agentmt.types import Message


def xml_tool_system_prompt() -> str:
    """The agent's XML-format system prompt with its tool descriptions: the prompt the model sees
    at inference in the XML action format, so MT, SFT and inference share one contract."""
    from agentmt.agents import load_agent_config
    from agentmt.agents.formats import render_tools_text

    return load_agent_config().xml_system_template.replace("{tools}", render_tools_text())


def as_dicts(messages: list[Message] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m.to_dict() if isinstance(m, Message) else dict(m) for m in messages]


def with_system_prompt(messages, prompt: str | None = None) -> list[dict[str, Any]]:
    """OpenAI messages with the first system message replaced by `prompt` (inserted when absent)."""
    prompt = prompt if prompt is not None else xml_tool_system_prompt()
    msgs = as_dicts(messages)
    rest = msgs[1:] if msgs and msgs[0].get("role") == "system" else msgs
    return [{"role": "system", "content": prompt}, *rest]


def make_mt_text(messages, tokenizer, prompt: str | None = None) -> str:
    """The MT text of one trajectory (spec §3.4), templated with `tokenizer`'s chat template."""
    from agentmt.training.chat import render_text

    return render_text(with_system_prompt(messages, prompt), tokenizer)
