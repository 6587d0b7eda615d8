"""Cold build vs warm rebuild of the demo's task images (goal: warm ≤ 10% of cold).

Cold: the demo's env and instance images are removed first (the base image stays: it is built once
per machine). Warm: the same build again, every layer cached. Prints the figures and the ratio.

    python benchmarks/bench_env_build.py [WORKDIR]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _remove_images(tags: list[str]) -> None:
    if tags:
        subprocess.run(["docker", "rmi", "-f", *tags], capture_output=True)


def main(work: Path) -> dict[str, float]:
    from agentmt.environments.base import ensure_base_image
    from agentmt.environments.stages import build_envs, tasks_from_prs
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    info = build_demo(work / "demo")
    if not (work / "prs" / "manifest.json").exists():
        mine_git(info.repo_path, work / "prs", metadata_dir=info.metadata_dir)
    tasks_from_prs(work / "prs", work / "tasks")
    ensure_base_image("bookworm")
    # a first build tells which images belong to the demo; remove them all for a cold start
    build_envs(work / "tasks", work / "built0", repo=info.repo_path)
    built = list(read_tasks(work / "built0"))
    _remove_images(sorted({t.validation["image"]["tag"] for t in built}))
    _remove_images(sorted({t.validation["image"]["env_tag"] for t in built}))
    start = time.monotonic()
    build_envs(work / "tasks", work / "built-cold", repo=info.repo_path)
    cold = time.monotonic() - start
    start = time.monotonic()
    build_envs(work / "tasks", work / "built-warm", repo=info.repo_path)
    warm = time.monotonic() - start
    res = {"tasks": len(built), "cold_s": round(cold, 2), "warm_s": round(warm, 2),
           "warm_over_cold": round(warm / cold, 4)}
    print(f"env build on {res['tasks']} demo tasks: cold {cold:.1f}s, warm {warm:.2f}s, "
          f"warm/cold = {100 * warm / cold:.1f}% (goal <= 10%)")
    return res


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="agentmt-bench-env-") as tmp:
            main(Path(tmp))
