"""Render a conversation with the model's chat template, and its assistant-only loss mask, together.

Tool calls: Qwen2.5-Base and SmolLM2 templates have no tool-call rendering, so (like the paper's
released converter, spec §3.4) assistant tool calls become XML function-calling text inside the
assistant content — `<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>` —
reasoning becomes `<think>…</think>`, and `tool` results become `user` turns. The same text form is
what the evaluation agent parses, so MT, SFT and inference agree.

Mask: derived from the template itself. For each assistant turn we render the conversation up to
it with the generation prompt and up to and including it; the characters between the two renders
are that turn's output. Tokens starting inside such a span are trained (the turn's end token
included, so the model learns to stop); everything else (system, user, tool, role headers) is
masked. No template-specific string matching, so any chat template that renders prefixes
consistently works; one that doesn't fails loudly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agentmt.errors import InputError, RecordDropped


@dataclass(slots=True)
class ChatSample:
    """Token ids of a rendered conversation and the 0/1 mask of tokens trained on."""

    input_ids: list[int]
    assistant_mask: list[int]
    text: str
    truncated: bool = False


def _text(content: Any) -> str:
    # OpenAI content may be a list of parts; only text parts are rendered.
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def format_tool_call(call: dict[str, Any]) -> str:
    """One OpenAI tool call as XML function-calling text (arguments that aren't a JSON object stay raw)."""
    fn = call.get("function", call)
    name = fn.get("name", "")
    raw = fn.get("arguments", "")
    if isinstance(raw, str):
        try:
            args = json.loads(raw)
        except json.JSONDecodeError:
            args = None
    else:
        args = raw or {}
    if not isinstance(args, dict):
        args = {"arguments": raw}
    from agentmt.agents.formats import render_xml_call  # the agent parses exactly this text back

    return render_xml_call(name, args)


def make_template_messages(messages: list[Any]) -> list[dict[str, str]]:
    """OpenAI messages (tool_calls, reasoning_content, tool role) → plain role/content turns any template accepts.

    Accepts OpenAI dicts, `types.Message` records and rows read back from typed Arrow columns (every
    field present: `content: None`, `tool_calls: []`, `reasoning_content: None`)."""
    out: list[dict[str, str]] = []
    for m in messages:
        if not isinstance(m, dict):  # a `types.Message` record: same fields as the OpenAI dict
            m = m.to_dict()
        role = m.get("role", "")
        content = _text(m.get("content"))
        if role == "assistant":
            parts = []
            if m.get("reasoning_content"):
                parts.append(f"<think>\n{m['reasoning_content']}\n</think>")
            if content:
                parts.append(content)
            parts += [format_tool_call(c) for c in m.get("tool_calls") or []]
            out.append({"role": "assistant", "content": "\n".join(parts)})
        elif role == "tool":
            out.append({"role": "user", "content": content})
        elif role in ("system", "user"):
            out.append({"role": role, "content": content})
        else:
            raise InputError(f"message role {role!r} is not system/user/assistant/tool: fix the trajectory rows")
    return out


def _render(tokenizer, msgs: list[dict[str, str]], gen: bool) -> str:
    if not msgs:
        return ""
    return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen)


def render_text(messages: list[dict[str, Any]], tokenizer) -> str:
    """The full templated text of a conversation (the MT view of a trajectory: no mask)."""
    return _render(tokenizer, make_template_messages(messages), False)


def render_conversation(messages: list[dict[str, Any]], tokenizer, *, max_len: int | None = None) -> ChatSample:
    """Template a conversation and mark its assistant tokens; truncate to `max_len` tokens.

    Raises RecordDropped when there is no assistant turn, or when truncation leaves none of its tokens.
    """
    msgs = make_template_messages(messages)
    full = _render(tokenizer, msgs, False)
    spans: list[tuple[int, int]] = []
    for i, m in enumerate(msgs):
        if m["role"] != "assistant":
            continue
        before = _render(tokenizer, msgs[:i], True)
        upto = _render(tokenizer, msgs[: i + 1], False)
        if not (upto.startswith(before) and full.startswith(upto)):
            raise InputError("the chat template does not render conversation prefixes consistently; use another template")
        # Trailing whitespace after the turn's end token belongs to the template, not to the model's output.
        spans.append((len(before), len(upto.rstrip())))
    if not spans:
        raise RecordDropped("no_assistant_turn")
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    mask, j = [], 0
    for start, _ in offsets:
        while j < len(spans) and start >= spans[j][1]:
            j += 1
        mask.append(int(j < len(spans) and spans[j][0] <= start < spans[j][1]))
    truncated = max_len is not None and len(ids) > max_len
    if truncated:
        ids, mask = ids[:max_len], mask[:max_len]
        if not any(mask):
            raise RecordDropped("no_assistant_tokens_after_truncation")
    return ChatSample(list(ids), mask, full, truncated)
