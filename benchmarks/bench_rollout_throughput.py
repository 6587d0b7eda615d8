"""Rollout throughput with 1, 2 and 4 parallel task containers, against linear scaling.

Each rollout is a gold replay through the real agent loop and tools (create the patch file,
`git apply`, submit) plus grading in a fresh container with the hidden tests: the container-bound
part of a rollout, without a model's think time. The same 8 work items (the demo's first 4
validated tasks, twice, under distinct ids) run at each width; the figure is
speedup(n) = throughput(n) / throughput(1), printed next to linear (n) as efficiency = speedup / n.

    python benchmarks/bench_rollout_throughput.py [VALIDATED_TASKS]   (default: builds the demo's tasks)
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

WIDTHS = (1, 2, 4)
NUM_ITEMS = 8


def _tasks(work: Path, given: str | None):
    from agentmt.environments.tasks import read_tasks

    if given:
        return list(read_tasks(given))
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.sources.demo import build_demo

    bugfix = build_demo(work / "demo").bugfix_prs
    return list(read_tasks(build_demo_tasks(work, "runs=1", only_prs=bugfix[:4])["tasks"]))


def main(work: Path, given: str | None = None) -> dict[int, float]:
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.rollouts.stage import run_rollouts

    base = _tasks(work, given)[:4]
    items = []
    for copy_index in range(NUM_ITEMS // len(base) + 1):
        for t in base:
            c = copy.deepcopy(t)
            c.instance_id = f"{t.instance_id}-copy{copy_index}"
            items.append(c)
    write_tasks_jsonl(items[:NUM_ITEMS], work / "bench-tasks.jsonl")
    run_rollouts(work / "bench-tasks.jsonl", work / "warmup", "model=gold", "containers=2")  # page cache, imports
    seconds = {}
    for n in WIDTHS:
        start = time.monotonic()
        m = run_rollouts(work / "bench-tasks.jsonl", work / f"out-{n}", "model=gold", f"containers={n}")
        seconds[n] = time.monotonic() - start
        assert m.counts["resolved"] == NUM_ITEMS, m.extra
    print(f"{NUM_ITEMS} gold-replay rollouts (agent loop + grading) per width, on this machine:")
    for n in WIDTHS:
        speedup = seconds[1] / seconds[n]
        print(f"  containers={n}: {seconds[n]:6.1f} s, {NUM_ITEMS / seconds[n]:.3f} rollouts/s, "
              f"speedup {speedup:.2f}x vs linear {n}x (efficiency {speedup / n:.0%})")
    return seconds


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(Path(tmp), sys.argv[1] if len(sys.argv) > 1 else None)
