"""swebench 5.x task repositories (`tasks/<instance_id>/` with task.yaml, tests.json, gold.patch,
test.patch, eval.sh, Dockerfile), read through the installed `swebench.task.repo`; each instance
becomes a row of the Dockerfile-and-eval-script shape (`dockerrows`), marked `task_repo`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agentmt.errors import InputError

NAME = "swebench-task-repo"


def is_task_repo(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "tasks").is_dir()


def read_task_repo(path: str | Path) -> Iterator[dict]:
    """The instances of a task repository as rows (each with its `dockerfile` and `task_repo`)."""
    try:
        from swebench.task.repo import load_dockerfiles, load_task_repo
    except ImportError as e:  # swebench < 5 has no task repositories
        raise InputError(f"reading {path} needs swebench>=5 (swebench.task.repo): {e}") from e
    dockerfiles = load_dockerfiles(path)
    for instance in load_task_repo(path):
        yield {**instance, "dockerfile": dockerfiles.get(instance["instance_id"], ""),
               "task_repo": str(Path(path).resolve())}
