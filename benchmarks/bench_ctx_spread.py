"""Benchmark: `ctx render` with curation on (py, no LLM), in one process vs on N local worker processes,
over a mined corpus; the kept sets must be identical (document ids and bytes).

Printed per setting: wall seconds, documents kept, drops by reason, and the clustering pass's
candidates (documents sharing an exact hash or an LSH band key with another); then whether the kept
sets are identical and the speed-up. A fixed pseudonym salt makes the bytes comparable.

    agentmt mine git /work/.mirror/pytest-dev+pytest/repo --out PRS -c ref=5.0.0 -c shard_size=100
    python benchmarks/bench_ctx_spread.py PRS [--jobs 2] [--work DIR] [-c KEY=VALUE ...]

pytest is itself a SWE-bench Verified repository, so every PR of it is dropped by name and by content
unless `-c decontam_repos=[] -c curation.decontam_content=false` (instance-level decontamination,
by number, base commit and patch, stays on).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from pathlib import Path


def render(prs: Path, out: Path, jobs: int, config: list[str]):
    from agentmt import io
    from agentmt.corpus.render import render_ctx
    from agentmt.executors import make_executor

    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    m = render_ctx(prs, out, "py", "progress=false", "curation.pseudonym_salt=bench", *config, no_llm=True,
                   executor=make_executor("local", jobs=jobs))
    wall = time.perf_counter() - t
    kept = [(r["id"], hashlib.sha256(r["text"].encode()).hexdigest()) for r in io.read_rows(out)]
    candidates = io.done_info(out / ".curate" / "cluster", "drops.parquet")["info"]["counts"]["dedup_candidates"]
    return wall, m, kept, candidates


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("prs", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("-c", "--config", action="append", default=[], help="ctx config key=value (repeatable)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-ctx-spread-"))
    from agentmt.progress import drops_text

    results = {}
    for jobs in (1, args.jobs):
        wall, m, kept, candidates = render(args.prs, work / f"j{jobs}", jobs, args.config)
        results[jobs] = (wall, kept)
        print(f"-j {jobs}: {wall:7.1f} s  {m.counts.get('input', 0)} PRs in {len(m.shards)} shards -> {len(kept)} documents "
              f"kept; {candidates} dedup candidates; dropped: {drops_text(m.drops)}", flush=True)
    (t1, k1), (tn, kn) = results[1], results[args.jobs]
    print(f"kept sets identical (ids and bytes): {k1 == kn}; speed-up -j {args.jobs} / -j 1: {t1 / tn:.2f}x")


if __name__ == "__main__":
    main()
