"""External trajectory rows → `Trajectory` records (pure functions; no I/O).

Shapes recognised (facts from the public dataset cards; agentmt reads them, it ships none):
- `env_native`: daVinci-Dev's released D_env_pass (`env-native.jsonl`): `messages` in OpenAI form
  (`tool_calls`, `tool_call_id`, `reasoning_content`), optionally `success`. Only passing
  trajectories were released, so a row without `success` is taken as resolved.
- `swe_smith`: SWE-bench/SWE-smith-trajectories: `messages` (a list or its JSON text; content may be
  a list of text parts), `instance_id`, `resolved`, `model`, `traj_id`, `patch`.
- `swe_gym`: SWE-Gym/OpenHands-Sampled-Trajectories: `messages`, `instance_id`, `resolved`, `run_id`.
- `openhands`: nebius/SWE-rebench-openhands-trajectories: `trajectory` (the messages),
  `trajectory_id`, `instance_id`, `model_patch`, `exit_status`, `resolved` (0/1).
A row that cannot become a record raises `RecordDropped` with a reason the stage counts.
"""

from __future__ import annotations

import json
from typing import Any

from agentmt.errors import RecordDropped
from agentmt.types import FunctionCall, Message, ToolCall, Trajectory

FORMATS = ("env_native", "swe_smith", "swe_gym", "openhands")
ROLES = {"system", "user", "assistant", "tool"}


def detect_format(row: dict[str, Any]) -> str:
    """The shape of one row, from the keys it carries."""
    if "trajectory" in row and "trajectory_id" in row:
        return "openhands"
    if "traj_id" in row or ("patch" in row and "model" in row and "messages" in row):
        return "swe_smith"
    if "run_id" in row and "messages" in row:
        return "swe_gym"
    if "messages" in row:
        return "env_native"
    raise RecordDropped("unknown_shape", f"keys {sorted(row)[:8]}")


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise RecordDropped("bad_content", type(content).__name__)
    return content


def _tool_call(raw: Any, n: int) -> ToolCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
        raise RecordDropped("bad_tool_call", "no `function` object")
    fn = raw["function"]
    if not fn.get("name"):
        raise RecordDropped("bad_tool_call", "function without a name")
    args = fn.get("arguments", "")
    if not isinstance(args, str):  # some exports store the parsed object; keep the wire form (JSON text)
        args = json.dumps(args, ensure_ascii=False)
    return ToolCall(id=str(raw.get("id") or f"call_{n}"), function=FunctionCall(fn["name"], args),
                    type=raw.get("type") or "function")


def make_messages(raw: Any) -> list[Message]:
    """OpenAI-shaped messages (list or JSON text) → `Message`s; RecordDropped on a malformed one."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as e:
            raise RecordDropped("messages_not_json", str(e)) from e
    if not isinstance(raw, list) or not raw:
        raise RecordDropped("no_messages")
    out: list[Message] = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise RecordDropped("bad_role", f"message {i}: {m.get('role') if isinstance(m, dict) else m!r}")
        calls = [_tool_call(c, len(out) * 100 + j) for j, c in enumerate(m.get("tool_calls") or [])]
        out.append(Message(role=m["role"], content=_text(m.get("content")), tool_calls=calls,
                           tool_call_id=m.get("tool_call_id"), name=m.get("name"),
                           reasoning_content=m.get("reasoning_content") or None))
    if not any(m.role == "assistant" for m in out):
        raise RecordDropped("no_assistant_turn")
    return out


def _resolved(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise RecordDropped("bad_resolved", repr(value)[:40])


def make_imported(row: dict[str, Any], fmt: str, index: int, *, file_id: str) -> Trajectory:
    """One external row as a Trajectory with `source: import:<fmt>`; `index` makes ids unique per file."""
    if not isinstance(row, dict):
        raise RecordDropped("row_not_object")
    if fmt == "openhands":
        messages, resolved = make_messages(row.get("trajectory")), _resolved(row.get("resolved"))
        submission, run = row.get("model_patch") or "", row.get("trajectory_id")
    else:
        messages = make_messages(row.get("messages"))
        submission = row.get("patch") or row.get("model_patch") or ""
        run = row.get("traj_id") or row.get("run_id")
        # the released env_native subset is D_env_pass only: no `success` field means it passed
        resolved = _resolved(row.get("success", True)) if fmt == "env_native" else _resolved(row.get("resolved"))
    instance_id = str(row.get("instance_id") or f"{file_id}:{index}")
    return Trajectory(
        id=f"{instance_id}/import:{run or index}", instance_id=instance_id, run_index=index,
        model=str(row.get("model") or row.get("model_name") or ""), source=f"import:{fmt}",
        messages=messages, exit_status=str(row.get("exit_status") or ("submitted" if submission else "")),
        submission=submission, resolved=resolved,
    )
