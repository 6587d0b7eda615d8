"""Tool schemas and the two action formats: OpenAI `tool_calls` and XML function-calling text.

`parse_xml_calls` is pure: text in, calls out, `ActionParseError` (saying what is wrong) for
malformed or partial calls. `render_xml_call` is its inverse, so a trajectory stored with
`tool_calls` can be shown to an XML-format model (and rendered for mid-training) unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from agentmt.types import Message

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "bash",
        "description": "Run a bash command in the repository folder (a fresh shell each call: `cd` does not "
                       "persist). Long outputs are clipped in the middle; commands are killed after a timeout.",
        "parameters": {"type": "object", "properties": {
            "command": {"type": "string", "description": "The bash command to run."}},
            "required": ["command"]}}},
    {"type": "function", "function": {
        "name": "str_replace_editor",
        "description": "View, create and edit files. `view` shows a file with line numbers (or a folder two "
                       "levels deep); `create` writes a new file; `str_replace` replaces `old_str`, which must "
                       "match exactly once; `insert` adds `new_str` after line `insert_line`; `undo_edit` "
                       "reverts the last edit of `path`. Paths are absolute.",
        "parameters": {"type": "object", "properties": {
            "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "undo_edit"],
                        "description": "The command to run."},
            "path": {"type": "string", "description": "Absolute path to a file or folder."},
            "file_text": {"type": "string", "description": "Content of the file to `create`."},
            "old_str": {"type": "string", "description": "Exact text to replace (`str_replace`)."},
            "new_str": {"type": "string", "description": "Replacement (`str_replace`) or text to `insert`."},
            "insert_line": {"type": "integer", "description": "Line after which to `insert` (0: the top)."},
            "view_range": {"type": "array", "items": {"type": "integer"},
                           "description": "[first, last] lines to `view`; last -1 means to the end."}},
            "required": ["command", "path"]}}},
    {"type": "function", "function": {
        "name": "submit",
        "description": "Submit the current changes to the repository as the final answer; ends the task.",
        "parameters": {"type": "object", "properties": {}, "required": []}}},
]

TOOL_NAMES = {t["function"]["name"]: t["function"] for t in TOOLS}

_FUNCTION = re.compile(r"<function=([A-Za-z_][\w.-]*)>")
_PARAMETER = re.compile(r"<parameter=([A-Za-z_][\w.-]*)>")


class ActionParseError(ValueError):
    """The model's output is not a well-formed call; the message says what to fix (sent back to it)."""


@dataclass(slots=True)
class ParsedCall:
    name: str
    arguments: dict[str, Any]


def _strip_one_newline(value: str) -> str:
    # `<parameter=x>\nvalue\n</parameter>` is the layout models are taught; the framing newlines are not data
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


def parse_xml_calls(text: str) -> tuple[str, list[ParsedCall]]:
    """(thought before the first call, calls in order); no `<function=` at all gives no calls.

    A final `</function>` may be missing (servers strip it as a stop string), a `</parameter>` may not.
    Parameter values are raw text (may contain `<function=`); types are coerced later by schema.
    """
    first = _FUNCTION.search(text)
    if first is None:
        if "<function" in text:
            raise ActionParseError("found `<function` but not `<function=NAME>`")
        return text.strip(), []
    thought, calls, pos = text[: first.start()].strip(), [], first.start()
    while True:
        m = _FUNCTION.match(text, pos)
        if m is None:
            break
        name, args, pos = m.group(1), {}, m.end()
        while True:
            rest = text[pos:]
            stripped = rest.lstrip()
            pos += len(rest) - len(stripped)
            if stripped.startswith("</function>"):
                pos += len("</function>")
                break
            if not stripped:  # end of text: accept the missing </function>
                break
            p = _PARAMETER.match(text, pos)
            if p is None:
                raise ActionParseError(f"unexpected text inside <function={name}>: {stripped[:40]!r}")
            close = text.find("</parameter>", p.end())
            if close < 0:
                raise ActionParseError(f"<parameter={p.group(1)}> of <function={name}> is not closed")
            if p.group(1) in args:
                raise ActionParseError(f"parameter {p.group(1)!r} given twice in <function={name}>")
            args[p.group(1)] = _strip_one_newline(text[p.end(): close])
            pos = close + len("</parameter>")
        calls.append(ParsedCall(name, args))
        nxt = _FUNCTION.search(text, pos)
        if nxt is None:
            break
        pos = nxt.start()
    return thought, calls


def render_xml_call(name: str, arguments: dict[str, Any]) -> str:
    """The XML text of one call (lists/ints as JSON), parseable back by `parse_xml_calls`."""
    parts = [f"<function={name}>"]
    for key, value in arguments.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f"<parameter={key}>\n{text}\n</parameter>")
    parts.append("</function>")
    return "\n".join(parts)


def render_tools_text(tools: list[dict[str, Any]] = TOOLS) -> str:
    """Tool descriptions for the XML-format system prompt."""
    blocks = []
    for t in tools:
        fn = t["function"]
        lines = [f"---- BEGIN FUNCTION: {fn['name']} ----", f"Description: {fn['description']}", "Parameters:"]
        required = set(fn["parameters"].get("required", []))
        for pname, p in fn["parameters"].get("properties", {}).items():
            need = "required" if pname in required else "optional"
            lines.append(f"  ({pname}) {p.get('type', 'string')}, {need}: {p.get('description', '')}")
        if len(lines) == 3:
            lines.append("  (none)")
        lines.append(f"---- END FUNCTION: {fn['name']} ----")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def coerce_arguments(name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """Validate a call against its schema: JSON text decoded, ints/lists coerced from XML strings."""
    fn = TOOL_NAMES.get(name)
    if fn is None:
        raise ActionParseError(f"unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as e:
            raise ActionParseError(f"arguments of {name} are not valid JSON ({e.msg})") from None
    if not isinstance(arguments, dict):
        raise ActionParseError(f"arguments of {name} must be an object")
    props = fn["parameters"]["properties"]
    out = {}
    for key, value in arguments.items():
        if key not in props:
            raise ActionParseError(f"{name} has no parameter {key!r}")
        out[key] = _coerce(name, key, props[key].get("type"), value)
    missing = [k for k in fn["parameters"].get("required", []) if k not in out]
    if missing:
        raise ActionParseError(f"{name} needs parameter(s) {', '.join(missing)}")
    return out


def _coerce(name: str, key: str, kind: str | None, value: Any) -> Any:
    if kind == "integer" and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ActionParseError(f"{name}.{key} must be an integer, got {value!r}") from None
    if kind == "array" and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ActionParseError(f"{name}.{key} must be a JSON list like [1, 20], got {value!r}") from None
    return value


def render_for_model(messages: list[Message], action_format: str) -> list[Message]:
    """The conversation as the model sees it: unchanged for `tool_calls`; for `xml`, calls become
    function-call text inside the assistant turn and tool results become user turns."""
    if action_format != "xml":
        return messages
    out = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = [render_xml_call(c.function.name, _loads(c.function.arguments)) for c in m.tool_calls]
            # joined as training/chat.py joins them, so the history a model sees is what it was trained on
            out.append(Message("assistant", "\n".join([m.content or "", *calls]).strip()))
        elif m.role == "tool":
            out.append(Message("user", m.content))
        else:
            out.append(m)
    return out


def _loads(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {"arguments": text}
    return value if isinstance(value, dict) else {"arguments": text}
