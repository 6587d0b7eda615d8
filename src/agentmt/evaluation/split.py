"""A deterministic held-out split of validated tasks: `OUT/train` and `OUT/heldout`, disjoint.

The held-out tasks are evaluation-only: rollouts that become D_env (and so training) read
`OUT/train`, `agentmt eval` reads `OUT/heldout`. A task's side depends only on (seed, instance_id)
— a SHA-256 rank — so the same tasks always fall on the same side, whatever order they come in,
and adding tasks never moves an existing one across unless the held-out count grows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentmt import io
from agentmt.errors import InputError
from agentmt.types import TaskInstance

TRAIN, HELDOUT = "train", "heldout"


class SplitConfig(BaseModel):
    """Settings of `agentmt tasks split` (the `split` section of the eval configs)."""

    fraction: float = Field(0.3, gt=0, lt=1)
    """Share of the tasks held out for evaluation (rounded, at least 1, and at least 1 left to train on)."""
    seed: int = 0
    """Seed of the ranking; another seed draws another held-out set."""


def _rank(seed: int, instance_id: str) -> str:
    return hashlib.sha256(f"{seed}\0{instance_id}".encode()).hexdigest()


def make_split(tasks: list[TaskInstance], cfg: SplitConfig) -> tuple[list[TaskInstance], list[TaskInstance]]:
    """(train, heldout) in input order; heldout holds the round(fraction * n) lowest-ranked tasks."""
    ids = [t.instance_id for t in tasks]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"task {dup} appears twice: split a task file with unique instance ids")
    if len(tasks) < 2:
        raise InputError(f"{len(tasks)} task(s): a held-out split needs at least 2 (one per side)")
    n_held = min(max(1, round(cfg.fraction * len(tasks))), len(tasks) - 1)
    held = set(sorted(ids, key=lambda i: _rank(cfg.seed, i))[:n_held])
    return [t for t in tasks if t.instance_id not in held], [t for t in tasks if t.instance_id in held]


def split_tasks(tasks_path: str | Path, out_dir: str | Path, *specs: str) -> dict[str, Any]:
    """Write OUT/train and OUT/heldout (tasks.jsonl + tasks.parquet + manifest each); returns the ids."""
    from agentmt.config import make_config
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl, write_tasks_parquet

    cfg = make_config(SplitConfig, *specs)
    tasks = list(read_tasks(tasks_path))
    train, held = make_split(tasks, cfg)
    out = Path(out_dir)
    result: dict[str, Any] = {}
    for side, part in ((TRAIN, train), (HELDOUT, held)):
        folder = out / side
        folder.mkdir(parents=True, exist_ok=True)
        write_tasks_parquet(part, folder / "tasks.parquet")
        write_tasks_jsonl(part, folder / "tasks.jsonl")
        m = io.Manifest(stage=f"tasks split ({side})", config=cfg.model_dump(), inputs=[str(tasks_path)],
                        shards=["tasks.parquet"])
        m.counts.update(tasks_in=len(tasks), tasks_out=len(part))
        m.extra["instance_ids"] = [t.instance_id for t in part]
        m.write(folder)
        result[side] = [t.instance_id for t in part]
    return result
