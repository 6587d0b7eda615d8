"""The demo's data, read from package data: the first commit's files and the history of issues and PRs.

`data/initial_files.json` maps each path to its content; `data/history.json` lists the `IssueSpec` /
`PRSpec` items in time order. Each object names its spec class in `"type"` and gives only the fields
that differ from the class defaults; arrays are tuples, `{"base64": ...}` is bytes (binary and
non-UTF-8 files). `build.py` replays them with the git CLI.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from functools import cache
from importlib import resources
from typing import Any

from agentmt.sources.demo import spec

TYPES = {c.__name__: c for c in (spec.Write, spec.Edit, spec.Delete, spec.Rename, spec.CommitStep,
                                  spec.LineComment, spec.ReviewStep, spec.TalkStep, spec.MergeMainStep,
                                  spec.NestedPRStep, spec.PRSpec, spec.IssueSpec)}


def _read(name: str) -> Any:
    return json.loads(resources.files("agentmt.sources.demo").joinpath("data", name).read_text(encoding="utf-8"))


def decode(value: Any) -> Any:
    """JSON value -> spec value: typed objects to their class, arrays to tuples, base64 to bytes."""
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        if "base64" in value:
            return base64.b64decode(value["base64"])
        fields = {k: decode(v) for k, v in value.items() if k != "type"}
        return TYPES[value["type"]](**fields)
    return value


def encode(value: Any) -> Any:
    """The inverse of `decode` (how the data files were written)."""
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if dataclasses.is_dataclass(value):
        out = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.default is dataclasses.MISSING or v != f.default:
                out[f.name] = encode(v)
        return out
    return value


@cache
def initial_files() -> dict[str, str | bytes]:
    """Path -> content of the first commit."""
    return {path: decode(content) for path, content in _read("initial_files.json").items()}


@cache
def load_history() -> tuple[spec.HistoryItem, ...]:
    """Every issue and PR of the demo, in the order they happen."""
    return decode(_read("history.json"))
