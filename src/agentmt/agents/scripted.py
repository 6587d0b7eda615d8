"""`ScriptedModel`: replays a fixed list of actions, deterministically, through the real loop and tools.

An action is `{"tool": NAME, "arguments": {...}, "thought": "..."}` (shorthands `{"bash": CMD}`,
`{"submit": true}`) or `{"raw": TEXT}`, sent verbatim (for malformed output). In the XML format
(`tools is None`) calls are written as XML function-call text, otherwise as OpenAI `tool_calls`.
A file (YAML or JSON) holds the list, or `{"actions": [...]}`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from agentmt.agents.formats import render_xml_call
from agentmt.errors import EndpointError, InputError
from agentmt.types import FunctionCall, Message, StepStats, ToolCall


def normalize_action(action: Any) -> dict[str, Any]:
    """The long form {"tool", "arguments", "thought"} or {"raw"} of one scripted action."""
    if isinstance(action, dict):
        if "raw" in action or "tool" in action:
            return {"thought": "", "arguments": {}, **action}
        if "bash" in action:
            return {"tool": "bash", "arguments": {"command": action["bash"]}, "thought": action.get("thought", "")}
        if "submit" in action:
            return {"tool": "submit", "arguments": {}, "thought": action.get("thought", "")}
    raise InputError(f"scripted action {action!r} is not {{tool, arguments}}, {{bash: CMD}}, {{submit: true}} "
                     "or {raw: TEXT}")


def load_actions(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"scripted model file {path} does not exist")
    data = yaml.safe_load(p.read_text())  # YAML is a superset of JSON
    if isinstance(data, dict):
        data = data.get("actions")
    if not isinstance(data, list):
        raise InputError(f"{path} must hold a list of actions (or a mapping with `actions:`)")
    return [normalize_action(a) for a in data]


class ScriptedModel:
    """Answers step i with action i; running past the end is a model error (the script was too short)."""

    def __init__(self, actions: list[Any], *, name: str = "scripted"):
        self.actions = [normalize_action(a) for a in actions]
        self.name = name
        self.server = ""
        self.sampling: dict[str, Any] = {}
        self.index = 0

    def _next_action(self, messages: list[Message]) -> dict[str, Any] | None:
        """Action `index` of the script (None past its end); a subclass may read the conversation."""
        return self.actions[self.index] if self.index < len(self.actions) else None

    def query(self, messages: list[Message], tools: list[dict[str, Any]] | None) -> tuple[Message, StepStats]:
        action = self._next_action(messages)
        if action is None:
            raise EndpointError(f"{self.name} has no action left after {self.index} steps")
        self.index += 1
        if "raw" in action:
            return Message("assistant", str(action["raw"])), StepStats()
        name, args, thought = action["tool"], action["arguments"], action["thought"]
        if tools is None:
            text = f"{thought}\n\n{render_xml_call(name, args)}" if thought else render_xml_call(name, args)
            return Message("assistant", text), StepStats()
        call = ToolCall(f"call_{self.index}", FunctionCall(name, json.dumps(args)))
        return Message("assistant", thought, [call]), StepStats()

    def close(self) -> None:
        pass
