"""Benchmark: which git access to mine with — the git CLI, pygit2 (libgit2) or dulwich (pure Python).

All three produce the same work: the unified patch of every first-parent commit against its first
parent (what `git log -m --first-parent -p` prints), read in full. Prints seconds and the ratio to
the git CLI. pygit2 and dulwich are not agentmt dependencies: `pip install pygit2 dulwich` to run.

    python benchmarks/bench_git_access.py [REPO]   # without REPO, builds one with make_history.py
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def with_git_cli(repo: Path) -> int:
    proc = subprocess.Popen(["git", "-C", str(repo), "log", "-m", "--first-parent", "-p", "--no-color",
                             "--format=commit %H"], stdout=subprocess.PIPE)
    total = 0
    while chunk := proc.stdout.read(1 << 16):
        total += len(chunk)
    assert proc.wait() == 0
    return total


def with_pygit2(repo: Path) -> int:
    import pygit2

    r = pygit2.Repository(str(repo))
    commit, total = r.revparse_single("HEAD"), 0
    while commit.parents:
        parent = commit.parents[0]
        total += len(r.diff(parent, commit, context_lines=3).patch or "")
        commit = parent
    return total


def with_dulwich(repo: Path) -> int:
    from dulwich.patch import write_tree_diff
    from dulwich.repo import Repo

    r = Repo(str(repo))
    commit, total = r[r.head()], 0
    while commit.parents:
        parent = r[commit.parents[0]]
        buf = io.BytesIO()
        write_tree_diff(buf, r.object_store, parent.tree, commit.tree)
        total += len(buf.getvalue())
        commit = parent
    return total


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from make_history import repo_from_argv

        repo = repo_from_argv(tmp)
        results = {}
        for name, fn in (("git CLI", with_git_cli), ("pygit2", with_pygit2), ("dulwich", with_dulwich)):
            try:
                runs = []
                for _ in range(3):
                    t = time.perf_counter()
                    size = fn(repo)
                    runs.append(time.perf_counter() - t)
                results[name] = min(runs)
                print(f"{name:8s} {min(runs):6.2f}s  ({size / 1e6:.1f} MB of patch text)")
            except ImportError as e:
                print(f"{name:8s} not installed ({e.name}); pip install it to compare")
        base = results["git CLI"]
        print("ratio to the git CLI: " + ", ".join(f"{k} {v / base:.1f}x" for k, v in results.items()))


if __name__ == "__main__":
    main()
