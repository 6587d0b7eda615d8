"""Driver peak RSS of `agentmt rollout` at 100, 1,000 and 5,000 scripted rollouts (issue 18).

What grows with the number of trajectories is what the driver keeps of them, so each size runs
the real stage (runner, markers, shards, manifest) in a fresh process with a scripted model
(3 bash calls, then submit) against an in-memory environment: every call answers a fixed 6 KB
observation at once, so a rollout costs no container and 5,000 fit in minutes on 2 shared cores
(a container start costs ~1 s of CPU here). Grading is off (it needs the task's image). The figure
is the child's `ru_maxrss` after `run_rollouts` returns, beside the size of the written shards.

    python benchmarks/rollout_driver_rss.py [SIZES...]       (default: 100 1000 5000)
    PYTHONPATH=/tmp/before/src python benchmarks/rollout_driver_rss.py   (another checkout's code)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (100, 1000, 5000)
TASKS = 100  # k = n / TASKS attempts each (k <= 64)
OBSERVATION = 6000  # characters of every tool answer (below the agent's 8,000-character head)


class MemoryEnvironment:
    """A task environment answering every command at once with a fixed observation (benchmark only)."""

    def __init__(self, image, config=None, **_):
        self.image = image

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def execute(self, command, *, timeout_s=None, workdir=None):
        # the agent's tools run as `python3 tools.py ARG` and read back {"output", "returncode"}
        return json.dumps({"output": "x" * OBSERVATION, "returncode": 0}), 0

    def write_file(self, path, text):
        pass

    def close(self):
        pass


def _write_tasks(path: Path) -> None:
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.types import TaskInstance

    tasks = [TaskInstance(instance_id=f"bench__rss-{i:04d}", repo="bench/rss", base_commit="0" * 40, patch="",
                          test_patch="", problem_statement="Fix the bug.", FAIL_TO_PASS=["t.py::test_a"],
                          validation={"image": {"tag": "agentmt-bench:none", "id": "sha256:" + "0" * 64}})
             for i in range(TASKS)]
    write_tasks_jsonl(tasks, path)


def measure(n: int, work: Path) -> dict[str, float]:
    """Run n rollouts in this process; returns peak RSS (MiB), seconds and shard bytes."""
    import agentmt.environments.runtime as runtime
    from agentmt.rollouts.stage import run_rollouts

    runtime.DockerEnvironment = MemoryEnvironment  # run_item imports it at call time
    _write_tasks(work / "tasks.jsonl")
    script = work / "script.json"
    script.write_text(json.dumps([{"bash": "cat big.txt"}] * 3 + [{"submit": True}]))
    start = time.monotonic()
    m = run_rollouts(work / "tasks.jsonl", work / "out", f"model=scripted:{script}", f"k={n // TASKS}",
                     "grade=false", "containers=8")
    seconds = time.monotonic() - start
    assert m.counts["trajectories"] == n, m.counts
    shard_bytes = sum(p.stat().st_size for p in (work / "out").glob("*.parquet"))
    return {"n": n, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "seconds": round(seconds, 1), "shard_mib": shard_bytes / 2**20}


def main(sizes: list[int]) -> None:
    print(f"{'rollouts':>9} {'driver peak RSS':>16} {'shards':>10} {'time':>8}")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="agentmt-rss-") as tmp:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), tmp], check=True,
                                 capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{n:>9} {r['peak_rss_mib']:>12.0f} MiB {r['shard_mib']:>6.1f} MiB {r['seconds']:>6.0f} s",
              flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or list(SIZES))
