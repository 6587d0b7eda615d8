"""`OpenAIModel`: an agent model behind any OpenAI-compatible chat endpoint (vLLM, SGLang, transformers serve).

Per step it records prompt/completion tokens from the server's `usage` and the call's wall time;
retries, timeouts and one-line `EndpointError`s come from `ChatClient`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agentmt.models.client import ChatClient
from agentmt.types import FunctionCall, Message, StepStats, ToolCall


def message_to_wire(m: Message) -> dict[str, Any]:
    """OpenAI request shape; content is never null (some chat templates concatenate it as a string)."""
    out: dict[str, Any] = {"role": m.role, "content": m.content or ""}
    if m.tool_calls:
        out["tool_calls"] = [c.to_dict() for c in m.tool_calls]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    return out


def message_from_wire(data: dict[str, Any]) -> Message:
    """A response's `choices[0].message` as a Message; arguments kept as the JSON text the model wrote."""
    calls = []
    for i, c in enumerate(data.get("tool_calls") or []):
        fn = c.get("function") or {}
        args = fn.get("arguments", "")
        args = args if isinstance(args, str) else json.dumps(args)  # some servers send an object
        calls.append(ToolCall(c.get("id") or f"call_{i}", FunctionCall(str(fn.get("name", "")), args)))
    reasoning = data.get("reasoning_content") or data.get("reasoning")
    return Message("assistant", data.get("content") or "", calls, reasoning_content=reasoning or None)


class OpenAIModel:
    """Chat with tools against `base_url`; `sampling` is sent with every request (seed included)."""

    def __init__(self, base_url: str, model: str | None = None, *, sampling: dict[str, Any] | None = None,
                 api_key: str | None = None, timeout: float = 120.0, retries: int = 3, backoff: float = 1.0,
                 tokenizer: str | None = None):
        self.client = ChatClient(base_url, model, api_key=api_key, timeout=timeout, retries=retries,
                                 backoff=backoff)
        self.name = model or base_url
        self.server = base_url
        self.sampling = dict(sampling or {})
        self._counter = None
        if tokenizer:
            from agentmt.models.tokens import ChatTokenCounter

            self._counter = ChatTokenCounter(tokenizer)
        self._tools: list[dict[str, Any]] | None = None  # the last request's tools: the template may render them

    def count_tokens(self, messages: list[Message]) -> int | None:
        """Prompt tokens with the model's own tokenizer when one was given; None: the loop estimates."""
        return self._counter(messages, self._tools) if self._counter else None

    def query(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> tuple[Message, StepStats]:
        self._tools = tools
        t0 = time.monotonic()
        data, usage = self.client.chat([message_to_wire(m) for m in messages], tools=tools, **self.sampling)
        stats = StepStats(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                          completion_tokens=int(usage.get("completion_tokens") or 0),
                          model_time_s=time.monotonic() - t0)
        return message_from_wire(data), stats

    def close(self) -> None:
        self.client.close()
