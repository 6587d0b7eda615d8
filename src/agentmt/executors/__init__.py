"""Executors run a stage's units: in this process, in local processes (`-j N`) or on Ray.

An executor has one method, `map(fn, args_list)`, yielding `(index, fn(*args_list[index]))` as units
finish (any order); the runner puts results back in unit order, so outputs never depend on which
executor ran them. An exception in a unit stops the stage; finished units keep their markers.
"""

from __future__ import annotations

import os

from agentmt.errors import ConfigError
from agentmt.executors.local import InProcessExecutor, ProcessExecutor

EXECUTORS = ("local", "ray")


def make_executor(kind: str = "local", jobs: int = 1, address: str | None = None):
    """`local` with jobs=1 runs in this process, jobs>1 in that many processes; `ray` connects to
    `address` (else $RAY_ADDRESS, else starts a local cluster) and runs `jobs` units at a time."""
    if jobs < 1:
        raise ConfigError(f"-j/--jobs must be at least 1, got {jobs}")
    if kind == "local":
        return InProcessExecutor() if jobs == 1 else ProcessExecutor(jobs)
    if kind == "ray":
        from agentmt.executors.ray import RayExecutor

        return RayExecutor(address=address or os.environ.get("RAY_ADDRESS") or None, jobs=jobs)
    raise ConfigError(f"executor {kind!r} is unknown: use one of {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "InProcessExecutor", "ProcessExecutor", "make_executor"]
