"""Benchmark: `agentmt mine git` (library call) vs `git log -m --first-parent -p` on one history.

Prints, for the gen and py profiles, wall and CPU time (CPU split into Python and git processes),
PRs/s and the ratios to the reference on both wall and CPU (issue goal: gen <= 1.5x). Each figure is
the best of 3 runs (wall and CPU minimised separately; the machine is shared, so CPU is the steadier).

What the reference does NOT do and mining does, so the ratio bounds overhead rather than comparing
like for like: (1) a diff of every PR branch commit (the reference diffs each mainline commit once;
in the default history 4,217 branch commits vs 1,774 mainline ones); (2) full file contents of every touched file at
the PR's snapshot and at its head (git cat-file, ~21 MB for the gen profile); (3) building records,
JSON-encoding them and writing zstd Parquet shards (~34 MB of JSON, ~7x the reference's text);
(4) the first-parent walk plus branch topology (which commits each PR brought in).

    python benchmarks/bench_mine.py [REPO]   # without REPO, builds one with make_history.py
    python benchmarks/make_history.py /tmp/h --maint 0.25 && python benchmarks/bench_mine.py /tmp/h
                                             # a quarter of the PRs merged into a maintenance branch
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the git processes)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime, b.ru_utime + b.ru_stime


def cpu_since(start: tuple[float, float]) -> tuple[float, float]:
    now = cpu()
    return now[0] - start[0], now[1] - start[1]


def time_git_log(repo: Path) -> tuple[float, float]:
    """Wall and CPU time of the reference: every first-parent commit's patch, read through a pipe."""
    c, t = cpu(), time.perf_counter()
    proc = subprocess.Popen(["git", "-C", str(repo), "log", "-m", "--first-parent", "-p", "--no-color"],
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    while proc.stdout.read(1 << 16):
        pass
    assert proc.wait() == 0
    return time.perf_counter() - t, sum(cpu_since(c))


def time_mine(repo: Path, out: Path, profile: str) -> tuple[float, tuple[float, float], dict]:
    """Wall time, (Python CPU, git CPU) and counts of one mining run."""
    from agentmt.sources.mine import mine_git

    c, t = cpu(), time.perf_counter()
    m = mine_git(repo, out, f"filters.profile={profile}", "progress=false", "repo_name=bench/history")
    return time.perf_counter() - t, cpu_since(c), dict(m.counts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from make_history import repo_from_argv

        repo = repo_from_argv(tmp)
        import pyarrow.parquet  # noqa: F401

        import agentmt.sources.mine  # noqa: F401  (import time is not mining time)

        refs = [time_git_log(repo) for _ in range(3)]
        git_s, git_cpu = min(r[0] for r in refs), min(r[1] for r in refs)
        print(f"reference git log -m --first-parent -p: {git_s:.2f}s wall, {git_cpu:.2f}s CPU")
        for profile in ("gen", "py"):
            runs = [time_mine(repo, Path(tmp) / f"out-{profile}-{i}", profile) for i in range(3)]
            secs = min(r[0] for r in runs)
            py_s, git_c = min((r[1] for r in runs), key=sum)
            counts = runs[0][2]
            seen = counts.get("prs_seen", 0)
            print(f"mine {profile}: {secs:.2f}s wall, {py_s + git_c:.2f}s CPU ({py_s:.2f} Python + {git_c:.2f} git); "
                  f"{seen} PRs seen, {counts.get('prs_kept', 0)} kept, {seen / secs:.0f} PRs/s wall, "
                  f"{seen / (py_s + git_c):.0f} PRs/CPU-s ({counts.get('mainline_commits', 0)} mainline + "
                  f"{counts.get('commits_seen', 0)} PR commits)")
            print(f"  ratio vs reference: {secs / git_s:.2f}x wall, {(py_s + git_c) / git_cpu:.2f}x CPU "
                  f"(git processes alone: {git_c / git_cpu:.2f}x)")
        print("The reference does not: diff each PR branch commit, read full file contents at snapshot and "
              "head, or encode and write records (see this file's docstring).")


if __name__ == "__main__":
    main()
