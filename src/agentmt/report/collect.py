"""Find what a run folder holds: every stage output (a folder with `manifest.json`), the loss logs
of training stages, the trajectories of rollout stages and the reports of eval stages.

Guarantees: reading never fails on a partial run folder; a manifest or log that cannot be read is
listed in `RunData.unreadable` (the report says so) instead of raising.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmt.io import MANIFEST

# Folders never searched for stage outputs: completion markers, checkpoints and model weights.
_SKIP = {".done", ".git", "final", "data", "repo", "predictions", "reports"}
_MAX_DEPTH = 4  # stage outputs sit at most a few levels down (mt/<stage>/, eval/runs/)


@dataclass(slots=True)
class StageOutput:
    """One stage's output folder and its manifest."""

    path: Path
    rel: str  # path relative to the run folder, the name the report shows
    manifest: dict[str, Any]

    @property
    def stage(self) -> str:
        return str(self.manifest.get("stage", "?"))


@dataclass(slots=True)
class RunData:
    root: Path
    stages: list[StageOutput] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "rel: why"
    # `agentmt run`'s per-stage rows (timings.json), plus a "running" row for each stage that started
    # and has none yet (the report stage itself): the one source of pipeline stage counts and times
    pipeline_name: str | None = None
    pipeline: list[dict[str, Any]] = field(default_factory=list)

    def of(self, *prefixes: str) -> list[StageOutput]:
        """The stage outputs whose stage name starts with one of `prefixes`."""
        return [s for s in self.stages if s.stage.startswith(prefixes)]

    def pipeline_row(self, stage: StageOutput) -> tuple[dict[str, Any], bool] | None:
        """The pipeline stage whose folder `stage` is (row, True) or lies in (row, False), else None."""
        for row in self.pipeline:
            name = str(row.get("stage", ""))
            if stage.rel == name:
                return row, True
            if name and stage.rel.startswith(name + "/"):
                return row, False
        return None


def collect(root: str | Path, exclude: str | Path | None = None) -> RunData:
    """Every stage output under `root` (itself included, `exclude` and below left out), by relative path."""
    root = Path(root)
    data = RunData(root=root)
    skip = Path(exclude).resolve() if exclude else None
    for folder in _walk(root, 0, skip):
        rel = str(folder.relative_to(root)) or "."
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise TypeError("not a JSON object")
        except (OSError, ValueError, TypeError) as e:  # a half-written or foreign manifest: say so, go on
            data.unreadable.append(f"{rel}/{MANIFEST}: {str(e)[:160]}")
            continue
        data.stages.append(StageOutput(path=folder, rel=rel, manifest=manifest))
    data.stages.sort(key=lambda s: s.rel)
    data.pipeline_name, data.pipeline = read_pipeline(root)
    return data


def read_pipeline(root: Path) -> tuple[str | None, list[dict[str, Any]]]:
    """timings.json's name and stage rows, and a "running" row per started stage it lacks (None, [] if absent)."""
    try:
        timings = json.loads((root / "timings.json").read_text(encoding="utf-8"))
        rows = [r for r in timings.get("stages", []) if isinstance(r, dict)]
    except (OSError, ValueError, AttributeError):
        return None, []
    known = {r.get("stage") for r in rows}
    for marker in sorted((root / ".pipeline").glob("*.json")):  # `agentmt run`'s per-stage markers
        try:
            state = json.loads(marker.read_text(encoding="utf-8")).get("state")
        except (OSError, ValueError, AttributeError):
            continue
        if marker.stem not in known and state == "started":
            rows.append({"stage": marker.stem, "kind": "?", "status": "running", "summary": "running now"})
    return str(timings.get("pipeline", "?")), rows


def _walk(folder: Path, depth: int, skip: Path | None):
    if skip is not None and folder.resolve() == skip:
        return
    if (folder / MANIFEST).is_file():
        yield folder
    if depth >= _MAX_DEPTH:
        return
    try:
        children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return
    for child in children:
        if child.name not in _SKIP and not child.name.startswith((".", "checkpoint-")):
            yield from _walk(child, depth + 1, skip)


def read_loss(stage_dir: Path) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of a training stage's `loss.jsonl` (bad lines skipped) and a note when absent/bad."""
    path = stage_dir / "loss.jsonl"
    if not path.is_file():
        return [], "no loss.jsonl"
    rows, bad = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
            if isinstance(row, dict) and "step" in row and "loss" in row:
                rows.append(row)
        except ValueError:
            bad += 1  # the last line of a log whose writer was killed
    # The log is append-only: a run resumed from a checkpoint redoes (and logs again) the steps after
    # it, so per step the last row is the one the final weights came from (training.read_step_log).
    rows = sorted({row["step"]: row for row in rows}.values(), key=lambda row: row["step"])
    return rows, (f"{bad} unreadable line(s)" if bad else None)


def read_trajectories(stage: StageOutput) -> tuple[list[Any], str | None]:
    """The Trajectory records of a rollout stage output, or [] and why not."""
    from agentmt.errors import InputError
    from agentmt.io import read_records
    from agentmt.types import Trajectory

    try:
        return list(read_records(stage.path, Trajectory)), None
    except (InputError, OSError, ValueError, TypeError) as e:
        return [], " ".join(str(e).split())[:200]


def read_eval_report(stage: StageOutput) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """An eval output's `report.json` and `results.jsonl` rows (None / [] when absent or unreadable)."""
    report = None
    try:
        report = json.loads((stage.path / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    results = []
    path = stage.path / "results.jsonl"
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                results.append(json.loads(line))
            except ValueError:
                continue
    return report, results


def read_stage_tasks(stage: StageOutput) -> tuple[list[Any], str | None]:
    """The task records of an env build/validate output (kept ones and `failed/`), or [] and why not."""
    from agentmt.environments.explain import stage_tasks
    from agentmt.errors import InputError

    try:
        tasks = stage_tasks(stage.path)
    except (InputError, OSError, ValueError, TypeError, KeyError) as e:
        return [], " ".join(str(e).split())[:200]
    return tasks, None if tasks else "no task records (tasks.jsonl, failed/tasks.jsonl)"
