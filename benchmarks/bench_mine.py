"""Benchmark: `agentmt mine git` (library call) vs `git log -m --first-parent -p` on one history.

Prints wall and CPU ratios (goal: gen profile ≤ 1.5x the plain git log) and PRs/s for both
profiles. Mining does more than the reference: diffs of every PR commit (not one diff per merge),
full file contents at snapshot and head (cat-file), and JSON + zstd Parquet records ~7x the size
of git log's text, so the ratio bounds the overhead rather than measuring like for like.

    python benchmarks/bench_mine.py [REPO]   # without REPO, builds one with make_history.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def cpu() -> float:
    """CPU seconds of this process and its finished children (git included)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def time_git_log(repo: Path) -> tuple[float, float]:
    """Wall and CPU time of the reference: every first-parent commit's patch, read through a pipe."""
    c, t = cpu(), time.perf_counter()
    proc = subprocess.Popen(["git", "-C", str(repo), "log", "-m", "--first-parent", "-p", "--no-color"],
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    while proc.stdout.read(1 << 16):
        pass
    assert proc.wait() == 0
    return time.perf_counter() - t, cpu() - c


def time_mine(repo: Path, out: Path, profile: str) -> tuple[float, float, dict]:
    from agentmt.sources.mine import mine_git

    c, t = cpu(), time.perf_counter()
    m = mine_git(repo, out, f"filters.profile={profile}", "progress=false")
    return time.perf_counter() - t, cpu() - c, dict(m.counts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            repo = Path(sys.argv[1])
        else:
            from make_history import make_history

            repo = Path(tmp) / "history"
            print("history:", make_history(repo))
        import pyarrow.parquet  # noqa: F401

        import agentmt.sources.mine  # noqa: F401  (import time is not mining time)

        git_s, git_cpu = min(time_git_log(repo) for _ in range(3))
        print(f"git log -m --first-parent -p: {git_s:.2f}s wall, {git_cpu:.2f}s CPU")
        for profile in ("gen", "py"):
            runs = [time_mine(repo, Path(tmp) / f"out-{profile}-{i}", profile) for i in range(3)]
            secs, cpu_s, counts = min(runs, key=lambda r: r[0])
            seen = counts.get("prs_seen", 0)
            print(f"mine {profile}: {secs:.2f}s wall, {cpu_s:.2f}s CPU; {seen} PRs seen, "
                  f"{counts.get('prs_kept', 0)} kept, {seen / secs:.0f} PRs/s "
                  f"({counts.get('mainline_commits', 0)} mainline + {counts.get('commits_seen', 0)} PR commits); "
                  f"ratio vs git log: {secs / git_s:.2f}x wall, {cpu_s / git_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
