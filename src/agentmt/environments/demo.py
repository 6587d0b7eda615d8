"""The demo's executable tasks end to end: demo repo → mined PRs → task candidates → images → validation.

`build_demo_tasks(out_dir)` is what `make demo` runs (via `agentmt env build` / `validate` or this
function); every step writes its own folder under `out_dir`, and each is reused by a rerun.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agentmt.io import read_manifest


def build_demo_tasks(out_dir: str | Path, *specs: str, only_prs: Iterable[int] | None = None) -> dict[str, Any]:
    """Build and validate the demo's tasks under `out_dir`; returns counts and per-task flake rates.

    `only_prs` restricts the candidates (e.g. to the demo's bug-fix PRs) to keep test time short.
    """
    from agentmt.environments.stages import build_envs, tasks_from_prs, validate_envs
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    out = Path(out_dir)
    info = build_demo(out / "demo")
    if not (out / "prs" / "manifest.json").exists():
        mine_git(info.repo_path, out / "prs", metadata_dir=info.metadata_dir)
    tasks_from_prs(out / "prs", out / "tasks")
    tasks_in = out / "tasks"
    if only_prs is not None:
        keep = {int(n) for n in only_prs}
        chosen = [t for t in read_tasks(tasks_in) if int(t.instance_id.rsplit("-", 1)[1]) in keep]
        write_tasks_jsonl(chosen, out / "tasks-selected.jsonl")
        tasks_in = out / "tasks-selected.jsonl"
    build_envs(tasks_in, out / "built", *specs, repo=info.repo_path)
    manifest = validate_envs(out / "built", out / "validated", *specs)
    built = read_manifest(out / "built")
    return {
        "demo": str(out / "demo"),
        "bugfix_prs": info.bugfix_prs,
        "expected_fail_to_pass": {int(k): v for k, v in info.fail_to_pass.items()},
        "candidates": read_manifest(out / "tasks")["counts"].get("tasks_out", 0),
        "built": built["counts"].get("tasks_out", 0),
        "validated": manifest.counts.get("tasks_out", 0),
        "drops": {**built["drops"], **dict(manifest.drops)},
        "flake_rates": manifest.extra.get("flake_rates", {}),
        "tasks": out / "validated",
    }
