"""Extra disk per additional task image of the same repository (goal: ≤ 5% of the first task's image).

The first task's image costs its full size (base + env + instance layers); each further task of
the same repository and dependency set adds only its instance layer (/testbed + editable install).

    python benchmarks/bench_env_disk.py [WORKDIR]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def _size(tag: str) -> int:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Size}}", tag],
                         capture_output=True, text=True, check=True).stdout
    return int(json.loads(out))


def main(work: Path) -> dict[str, float]:
    from agentmt.environments.stages import build_envs, tasks_from_prs
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    info = build_demo(work / "demo")
    if not (work / "prs" / "manifest.json").exists():
        mine_git(info.repo_path, work / "prs", metadata_dir=info.metadata_dir)
    tasks_from_prs(work / "prs", work / "tasks")
    build_envs(work / "tasks", work / "built", repo=info.repo_path)
    tasks = list(read_tasks(work / "built"))
    first = tasks[0].validation["image"]
    first_size = _size(first["tag"])
    # a task image's own layers = its size minus the env image it is built on (shared, counted once)
    extra = [_size(t.validation["image"]["tag"]) - _size(t.validation["image"]["env_tag"])
             for t in tasks[1:] if t.validation["image"]["env_tag"] == first["env_tag"]]
    mean_extra = sum(extra) / len(extra)
    res = {"first_image_mb": round(first_size / 1e6, 1), "tasks_same_env": len(extra) + 1,
           "extra_per_task_mb": round(mean_extra / 1e6, 3), "ratio": round(mean_extra / first_size, 5)}
    print(f"first task image {res['first_image_mb']} MB; each further task of the same repository adds "
          f"{res['extra_per_task_mb']} MB = {100 * res['ratio']:.2f}% (goal <= 5%; {len(extra)} tasks measured)")
    return res


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="agentmt-bench-disk-") as tmp:
            main(Path(tmp))
