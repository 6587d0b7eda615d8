"""Trajectory shards: typed nested Arrow columns (`io.write_records`), readable by agentmt and `datasets`.

Guarantees: `write_trajectories` writes one Parquet shard atomically whose top-level columns are
the record's fields (`resolved`, `source`, `exit_status`, `messages`, ... — what training filters
on); `read_trajectories` gives back equal `Trajectory` records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from agentmt import io
from agentmt.types import Trajectory


def write_trajectories(path: str | Path, trajectories: Iterable[Trajectory]) -> int:
    return io.write_records(path, list(trajectories), Trajectory)


def read_trajectories(in_dir: str | Path) -> Iterator[Trajectory]:
    yield from io.read_records(in_dir, Trajectory)
