"""What a registry costs per task image: push time, bytes stored, and the pull time of a daemon that has
none of the images (a second, empty dockerd), over the demo's validated tasks.

Bytes are the registry's unique blobs (compressed layers and configs; what its storage folder holds, less
a few hundred bytes of links per image), divided by the number of tasks: task images of one repository share
their base and env layers, so the figure falls as tasks per repository grow. Pulls go through
`ensure_image`, as a rollout unit on a fresh node does; the first also brings the shared layers.

    python benchmarks/bench_registry.py [VALIDATED_TASKS]   (default: builds the demo's bug-fix tasks)
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _tasks(work: Path, given: str | None):
    from agentmt.environments.tasks import read_tasks

    if given:
        return list(read_tasks(given))
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.sources.demo import build_demo

    bugfix = build_demo(work / "demo").bugfix_prs
    return list(read_tasks(build_demo_tasks(work, "runs=1", only_prs=bugfix)["tasks"]))


def main(work: Path, given: str | None = None) -> dict:
    import localnodes
    from bench_nodes import push_and_cold_pull

    tasks = _tasks(work, given)
    figures: dict = {"tasks": len(tasks)}
    with localnodes.registry() as registry, localnodes.second_dockerd() as fresh:
        push_s, pull_s, stored = push_and_cold_pull(tasks, registry, fresh)
    figures["first_task_bytes"] = stored[0]  # base + env + instance layers
    blobs_total = stored[-1]
    figures.update(push_s=[round(s, 2) for s in push_s], pull_s=[round(s, 2) for s in pull_s],
                   registry_bytes=blobs_total, bytes_per_task=blobs_total // len(tasks),
                   # what one more task of an already-pushed repository adds (its instance layers)
                   added_bytes_per_task=(blobs_total - figures["first_task_bytes"]) // max(1, len(tasks) - 1),
                   pull_mean_s=round(statistics.mean(pull_s), 2),
                   pull_mean_after_first_s=round(statistics.mean(pull_s[1:]), 2) if len(pull_s) > 1 else None)
    print(f"{len(tasks)} demo task images; registry {figures['registry_bytes'] / 1e6:.1f} MB of unique blobs = "
          f"{figures['bytes_per_task'] / 1e6:.1f} MB per task image (the first {figures['first_task_bytes'] / 1e6:.1f} MB "
          f"with base and env layers, each further task of the repository {figures['added_bytes_per_task'] / 1e6:.2f} MB)")
    print(f"push: mean {statistics.mean(push_s):.1f} s; pull by digest into an empty daemon: mean "
          f"{figures['pull_mean_s']:.1f} s per task (first {pull_s[0]:.1f} s with the shared layers, then "
          f"{figures['pull_mean_after_first_s']} s each)")
    return figures


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(main(Path(tmp), sys.argv[1] if len(sys.argv) > 1 else None)))
