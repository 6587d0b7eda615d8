"""Trajectory shards: typed nested Arrow columns (`io.write_records`), readable by agentmt and `datasets`.

Guarantees: `write_trajectories` writes one Parquet shard atomically whose top-level columns are
the record's fields (`resolved`, `source`, `exit_status`, `messages`, ... — what training filters
on); `read_trajectories` gives back equal `Trajectory` records. `node_info` names the machine and
container runtime a unit ran on, for the record's `node` field.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from agentmt import io
from agentmt.secrets import redact_text
from agentmt.types import Trajectory


def write_trajectories(path: str | Path, trajectories: Iterable[Trajectory]) -> int:
    return io.write_records(path, list(trajectories), Trajectory)


def read_trajectories(in_dir: str | Path) -> Iterator[Trajectory]:
    yield from io.read_records(in_dir, Trajectory)


def node_info() -> dict[str, str]:
    """This process's machine: host name, the Docker endpoint its containers use (DOCKER_HOST, "" = the
    default socket; a tcp:// password redacted) and, inside a Ray worker, the Ray node id."""
    info = {"host": socket.gethostname(), "docker_host": redact_text(os.environ.get("DOCKER_HOST", ""))}
    ray = sys.modules.get("ray")  # never imported here: a thread-run unit has no Ray node
    if ray is not None and ray.is_initialized():
        info["ray_node_id"] = ray.get_runtime_context().get_node_id()
    return info
