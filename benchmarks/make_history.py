"""Generate a synthetic repository history for benchmarks with `git fast-import` (seconds, not minutes).

The history mixes GitHub merge commits over multi-commit branches (some with a direct commit landing
on main meanwhile), squash merges "Title (#N)", direct commits, bot authors, docs and non-Python
files, so both mining profiles see every code path. With `--maint SHARE`, that share of the PRs
lands on a maintenance branch `1.x` instead (merged or squashed there), which is merged forward
into main ("Merge branch '1.x'") after every 10 of them: the PRs off the first-parent chain.

    python benchmarks/make_history.py OUT_DIR [--prs 1500] [--seed 0] [--maint 0.25]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path


class _Emitter:
    def __init__(self, sink):
        self.sink = sink

    def append(self, data: bytes) -> None:
        self.sink.write(data)


class HistoryWriter:
    """Builds a fast-import stream while tracking file contents per branch tip."""

    def __init__(self, rng: random.Random, sink):
        self.rng = rng
        self.out = _Emitter(sink)  # streamed into fast-import: memory stays flat for 10^5 commits
        self.mark = 0
        self.when = 1_600_000_000
        self.main: dict[str, list[str]] = {}
        self.main_mark = 0
        self.num_commits = 0

    def _data(self, text: str) -> None:
        raw = text.encode()
        self.out.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(self, ref: str, message: str, author: str, changes: dict[str, list[str] | None],
               parent: int, merge: int = 0) -> int:
        self.mark += 1
        self.when += self.rng.randint(60, 7200)
        self.num_commits += 1
        email = author.replace(" ", ".").lower() + "@example.com"
        self.out.append(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.append(f"author {author} <{email}> {self.when} +0000\n".encode())
        self.out.append(f"committer {author} <{email}> {self.when} +0000\n".encode())
        self._data(message)
        if parent:
            self.out.append(f"from :{parent}\n".encode())
        if merge:
            self.out.append(f"merge :{merge}\n".encode())
        for path, lines in sorted(changes.items()):
            if lines is None:
                self.out.append(f"D {path}\n".encode())
            else:
                self.out.append(f"M 100644 inline {path}\n".encode())
                self._data("".join(lines))
        return self.mark


def _new_file(rng: random.Random, path: str) -> list[str]:
    if path.endswith(".py"):
        return [f"def f{i}(x):\n    return x + {rng.randint(0, 99)}\n\n" for i in range(rng.randint(20, 60))]
    return [f"line {i} of {path}: {rng.random():.6f}\n" for i in range(rng.randint(10, 40))]


def _edit(rng: random.Random, lines: list[str]) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        if lines[i].startswith("def "):
            lines[i] = lines[i].replace("return", "return", 1).rstrip("\n") + "\n"
            lines.insert(i + 1, f"    # edited {rng.randint(0, 10**6)}\n")
        else:
            lines[i] = f"changed {rng.randint(0, 10**6)}\n"
    return lines


def make_history(out: Path, num_prs: int = 1500, seed: int = 0, maint: float = 0.0) -> dict[str, int]:
    """Create a bare-free normal repository at `out` (branch main); return counts. `maint` = 0 gives
    exactly the history of earlier versions (the default benchmark)."""
    rng = random.Random(seed)
    paths = ([f"pkg/mod{i:03d}.py" for i in range(300)] + [f"docs/page{i:02d}.md" for i in range(30)]
             + [f"web/app{i:02d}.js" for i in range(30)])
    # maintenance PRs touch only these, so a forward merge never conflicts with main's changes
    maint_paths = [f"pkg/compat{i:02d}.py" for i in range(40)] if maint else []
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(out)], check=True)
    proc = subprocess.Popen(["git", "-C", str(out), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    w = HistoryWriter(rng, proc.stdin)
    init = {p: _new_file(rng, p) for p in paths + maint_paths}
    w.main_mark = w.commit("refs/heads/main", "Initial commit\n", "Founder", init, 0)
    w.main.update(init)
    authors = [f"Dev {i}" for i in range(40)] + ["dependabot[bot]"]
    kinds = {"merge": 0, "squash": 0, "direct": 0, "maintenance": 0, "forward_merges": 0}
    branch_1x = _Maintenance(w, dict(init)) if maint else None
    for n in range(1, num_prs + 1):
        if branch_1x is not None and rng.random() < maint:
            branch_1x.land(n, rng.choice(authors), maint_paths, forward=True)
            kinds["maintenance"] += 1
            continue
        author = rng.choice(authors)
        k = rng.randint(2, 6)
        weights = [0.8, 0.12, 0.08]
        branch = dict(w.main)
        touched: dict[str, list[str]] = {}
        msgs = []
        mark = w.main_mark
        squash = rng.random() < 0.4
        for j in range(k):
            changes = {}
            for _ in range(rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0]):
                kind = rng.choices(["py", "md", "js"], weights)[0]
                pool = {"py": paths[:300], "md": paths[300:330], "js": paths[330:]}[kind]
                p = rng.choice(pool)
                changes[p] = _edit(rng, branch[p])
                branch[p] = changes[p]
            touched.update(changes)
            msg = f"Step {j + 1} of change {n}" + (f"\n\nFixes #{n + 5000}\n" if j == 0 and n % 3 == 0 else "\n")
            msgs.append(msg.splitlines()[0])
            if not squash:
                mark = w.commit(f"refs/heads/pr{n}", msg, author, changes, mark)
        title = f"Improve module behaviour, change {n}"
        if squash:
            body = "\n".join(f"* {m}" for m in msgs)
            w.main_mark = w.commit("refs/heads/main", f"{title} (#{n})\n\n{body}\n", author, touched, w.main_mark)
            w.main.update(touched)
            kinds["squash"] += 1
            continue
        if rng.random() < 0.3:  # main moves on meanwhile (on a file the branch did not touch)
            p = rng.choice([q for q in paths[:300] if q not in touched])
            w.main[p] = _edit(rng, w.main[p])
            w.main_mark = w.commit("refs/heads/main", f"Direct fix to {p}\n", "Maintainer", {p: w.main[p]},
                                   w.main_mark)
            kinds["direct"] += 1
        msg = f"Merge pull request #{n} from dev/branch-{n}\n\n{title}\n"
        w.main_mark = w.commit("refs/heads/main", msg, "Maintainer", touched, w.main_mark, merge=mark)
        w.main.update(touched)
        w.out.append(f"reset refs/heads/pr{n}\nfrom {'0' * 40}\n\n".encode())  # null sha: drop the ref
        kinds["merge"] += 1
    if branch_1x is not None:
        branch_1x.forward()
        kinds["forward_merges"] = branch_1x.forwards
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(out), "checkout", "-q", "-f", "main"], check=True)
    return {"commits": w.num_commits, "prs": kinds["merge"] + kinds["squash"] + kinds["maintenance"], **kinds}


class _Maintenance:
    """Branch 1.x: PRs merged or squashed into it, merged forward into main every 10 PRs."""

    def __init__(self, w: HistoryWriter, files: dict[str, list[str]]):
        self.w, self.files, self.pending, self.forwards, self.count = w, files, set(), 0, 0
        self.mark = w.main_mark
        w.out.append(f"reset refs/heads/1.x\nfrom :{self.mark}\n\n".encode())

    def land(self, n: int, author: str, pool: list[str], forward: bool) -> None:
        w, rng = self.w, self.w.rng
        touched: dict[str, list[str]] = {}
        mark = self.mark
        squash = rng.random() < 0.4
        for j in range(rng.randint(1, 3)):
            p = rng.choice(pool)
            touched[p] = _edit(rng, touched.get(p, self.files[p]))
            if not squash:
                mark = w.commit(f"refs/heads/pr{n}", f"Step {j + 1} of fix {n}\n", author, {p: touched[p]}, mark)
        title = f"Fix compatibility, change {n}"
        if squash:
            self.mark = w.commit("refs/heads/1.x", f"{title} (#{n})\n", author, touched, self.mark)
        else:
            self.mark = w.commit("refs/heads/1.x", f"Merge pull request #{n} from dev/fix-{n}\n\n{title}\n",
                                 "Maintainer", touched, self.mark, merge=mark)
            w.out.append(f"reset refs/heads/pr{n}\nfrom {'0' * 40}\n\n".encode())
        self.files.update(touched)
        self.pending.update(touched)
        self.count += 1
        if forward and self.count % 10 == 0:
            self.forward()

    def forward(self) -> None:
        """Merge 1.x into main: main's files plus 1.x's changes since the last forward merge."""
        if not self.pending:
            return
        w = self.w
        changes = {p: self.files[p] for p in sorted(self.pending)}
        w.main_mark = w.commit("refs/heads/main", "Merge branch '1.x'\n", "Maintainer", changes, w.main_mark,
                               merge=self.mark)
        w.main.update(changes)
        self.pending.clear()
        self.forwards += 1


def repo_from_argv(tmp: str | Path) -> Path:
    """The repository a benchmark measures: argv[1] when given, else a fresh history under `tmp`."""
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    repo = Path(tmp) / "history"
    print("history:", make_history(repo))
    return repo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--prs", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--maint", type=float, default=0.0, help="share of PRs landing on maintenance branch 1.x")
    args = ap.parse_args()
    t = time.perf_counter()
    counts = make_history(args.out, args.prs, args.seed, args.maint)
    print(f"{args.out}: {counts} in {time.perf_counter() - t:.1f}s")


if __name__ == "__main__":
    main()
