"""Ray with 2 workers vs 2 local processes: the same `ctx render` stage on the same input.

Input as in bench_runner.py (demo PRs copied into distinct PRs, gen format, no LLM, curation off).
The local cluster (`ray.init(num_cpus=2)`) is started before timing and its start-up printed apart.
The first run is cold on both sides (fresh workers import agentmt and load the tokenizer); later
runs show Ray's warm, reused workers against a process pool spawned per stage run. Prints both
ratios Ray / local processes and checks both wrote the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench_runner import make_input, through_runner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    import ray

    from agentmt.executors import ProcessExecutor
    from agentmt.executors.ray import RayExecutor

    root = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        prs = make_input(root, args.copies, args.shards)
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        print(f"local Ray cluster started in {time.perf_counter() - t:.1f}s (not counted)")
        local, remote = [], []
        for r in range(args.repeat):
            t = time.perf_counter()
            n_local = through_runner(prs, root / f"local{r}", ProcessExecutor(2))
            local.append(time.perf_counter() - t)
            t = time.perf_counter()
            n_ray = through_runner(prs, root / f"ray{r}", RayExecutor(jobs=2))
            remote.append(time.perf_counter() - t)
        assert n_local == n_ray
        a = {p.name: p.read_bytes() for p in (root / "local0").glob("*.parquet")}
        b = {p.name: p.read_bytes() for p in (root / "ray0").glob("*.parquet")}
        assert a == b, "Ray and local processes wrote different shards"
        # First run: both start and import in fresh workers. Later runs: Ray reuses its warm workers
        # (tokenizer loaded), the local pool is spawned afresh for every stage run.
        print(f"{n_ray} documents in {args.shards} shards")
        print(f"first run: 2 local processes {local[0]:.2f}s, Ray 2 workers {remote[0]:.2f}s -> "
              f"Ray / local {remote[0] / local[0]:.3f}x")
        if args.repeat > 1:
            print(f"later runs (best): 2 local processes {min(local[1:]):.2f}s, Ray 2 workers "
                  f"{min(remote[1:]):.2f}s -> Ray / local {min(remote[1:]) / min(local[1:]):.3f}x (same bytes)")
    finally:
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
