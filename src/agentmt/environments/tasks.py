"""PR records → SWE-bench task candidates, and lossless SWE-bench / SWE-rebench task files.

Guarantees: `make_task(pr)` depends only on the PR record (and the clone, when given); the code
patch and the test patch are git's own diff from `snapshot_sha` to `head_sha` and touch disjoint files; a PR is a candidate only when it
changes both test and non-test files (otherwise `task_drop_reason` names why).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from agentmt.errors import InputError
from agentmt.testpaths import is_test_path  # re-exported: the one test-file rule lives below agents
from agentmt.types import FileSnapshot, PullRequest, TaskInstance

# SWE-bench stores list fields as JSON strings in some releases; these are decoded on read.
LIST_FIELDS = ("FAIL_TO_PASS", "PASS_TO_PASS")


def make_instance_id(repo: str, number: int) -> str:
    """SWE-bench style id: "owner__name-123"."""
    return f"{repo.replace('/', '__')}-{number}"


def make_file_diff(path: str, old: str | None, new: str | None) -> str:
    """One text file's diff (None = absent) exactly as `git diff` writes it, made by git itself
    (`--no-index` on the two contents), so form feeds, carriage returns and missing final newlines
    come out the way `git apply` reads them; "" when both sides are equal."""
    if old == new:
        return ""
    import tempfile

    from agentmt.sources.gitproc import git

    with tempfile.TemporaryDirectory(prefix="agentmt-diff-") as tmp:
        sides = []
        for name, text in (("a", old), ("b", new)):
            if text is None:
                sides.append("/dev/null")
                continue
            f = Path(tmp) / name / "f"
            f.parent.mkdir()
            f.write_bytes(text.encode("utf-8", "surrogateescape"))
            sides.append(f"{name}/f")
        args = ("diff", "--no-index", "--no-color", "--no-ext-diff", "--binary", *sides)
        out = git(tmp, "-c", "core.autocrlf=false", *args[:4], "--text", *args[4:], check=False)
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError:  # not UTF-8 (see make_repo_file_diff): a GIT binary patch, ASCII
            attrs = Path(tmp) / "attributes"
            attrs.write_text("* binary\n")
            out = git(tmp, "-c", "core.autocrlf=false", "-c", f"core.attributesFile={attrs}", *args, check=False)
            text = out.decode("ascii")
    return _rename_diff(text, path)


def _rename_diff(diff: str, path: str) -> str:
    """Put `path` into the header lines of a --no-index diff of a/f and b/f (hunks untouched)."""
    head, sep, body = diff.partition("\n@@")
    lines = []
    for line in head.split("\n"):
        if line.startswith("diff --git "):
            line = f"diff --git a/{path} b/{path}"
        elif line.startswith("--- ") and line != "--- /dev/null":
            line = f"--- a/{path}"
        elif line.startswith("+++ ") and line != "+++ /dev/null":
            line = f"+++ b/{path}"
        lines.append(line)
    return "\n".join(lines) + sep + body


def make_repo_file_diff(repo: str | Path, base: str, head: str, path: str) -> str:
    """One path's diff between two commits of `repo` by `git diff --binary`: modes, binary
    contents and every byte kept, as `git apply` reads it."""
    from agentmt.sources.gitproc import git

    args = ("diff", "--binary", "--full-index", "--no-color", "--no-ext-diff", "--no-renames", base, head, "--", path)
    out = git(repo, "-c", "core.autocrlf=false", *args)
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        # A text file that is not UTF-8 (latin-1 source): ask for a GIT binary patch, ASCII that
        # `git apply` reads byte for byte, since task records hold their patches as UTF-8 text.
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".gitattributes") as attrs:
            attrs.write("* binary\n")  # only `path` is diffed
            attrs.flush()
            out = git(repo, "-c", "core.autocrlf=false", "-c", f"core.attributesFile={attrs.name}", *args)
        return out.decode("ascii")


def make_patches(pr: PullRequest, repo: str | Path | None = None) -> tuple[str, str]:
    """(code patch, test patch) of the PR's snapshot→head change, made by git: from the clone `repo`
    when given (binary files and modes kept), else from the PR's file contents (binary files left out:
    `task_drop_reason` drops such PRs)."""
    before = {f.path: f for f in pr.relevant_files}
    after = {f.path: f for f in pr.head_files}
    if repo is not None and not _has_commits(repo, pr.snapshot_sha, pr.head_sha):
        repo = None  # a clone that lacks the PR's commits (another repository, a shallow copy)
    code, test = [], []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if repo is not None:
            diff = make_repo_file_diff(repo, pr.snapshot_sha, pr.head_sha, path)
        elif _is_binary(old) or _is_binary(new):
            continue
        else:
            diff = make_file_diff(path, old.content if old else None, new.content if new else None)
        if diff:
            (test if is_test_path(path) else code).append(diff)
    return "".join(code), "".join(test)


def _has_commits(repo: str | Path, *shas: str) -> bool:
    from agentmt.sources.gitproc import git

    out = git(repo, "cat-file", "--batch-check", input="".join(f"{s}^{{commit}}\n" for s in shas).encode(),
              check=False)
    return out.count(b" commit ") == len(shas)


def mined_repo(prs_dir: str | Path) -> Path | None:
    """The clone a PR folder was mined from (its manifest's `extra.repo`), when it still exists."""
    manifest = Path(prs_dir) / "manifest.json"
    if not manifest.exists():
        return None
    repo = json.loads(manifest.read_text()).get("extra", {}).get("repo")
    return Path(repo) if repo and Path(repo).exists() else None


def _is_binary(snap: FileSnapshot | None) -> bool:
    return bool(snap and snap.binary)


def task_drop_reason(pr: PullRequest, repo: str | Path | None = None) -> str | None:
    """Why a PR cannot become a task candidate, or None when it can. Binary changes need the clone
    (`repo`) to be kept; without it they are a drop."""
    if pr.state != "merged":
        return "not_merged"
    if repo is None and any(f.binary for f in pr.relevant_files + pr.head_files):
        return "binary_change"
    code, test = make_patches(pr, repo)
    if not test:
        return "no_test_change"
    if not code:
        return "no_code_change"
    return None


def make_problem_statement(pr: PullRequest) -> str:
    """The linked issue's title and body; the PR's own text when no issue is linked."""
    if pr.issue is not None:
        return f"{pr.issue.title}\n\n{pr.issue.body}".strip() + "\n"
    return f"{pr.title}\n\n{pr.body}".strip() + "\n"


def make_hints(pr: PullRequest) -> str:
    """Issue comments written before the PR was created (SWE-bench's hints_text)."""
    if pr.issue is None:
        return ""
    return "\n".join(c.body for c in pr.issue.comments if not pr.created_at or c.created_at <= pr.created_at)


def make_task(pr: PullRequest, repo: str | Path | None = None) -> TaskInstance:
    """A task candidate from a PR (call `task_drop_reason` first); F2P/P2P come from validation."""
    code, test = make_patches(pr, repo)
    return TaskInstance(
        instance_id=make_instance_id(pr.repo, pr.number),
        repo=pr.repo,
        base_commit=pr.snapshot_sha,
        patch=code,
        test_patch=test,
        problem_statement=make_problem_statement(pr),
        hints_text=make_hints(pr),
        created_at=pr.created_at or pr.merged_at,
        environment_setup_commit=pr.snapshot_sha,
        validation={"head_commit": pr.head_sha, "status": "candidate"},
    )


# ---------------------------------------------------------------------------------------------
# Task files: JSONL (one SWE-bench row per line) or Parquet (agentmt shards or SWE-bench exports)


def task_from_row(row: dict[str, Any]) -> TaskInstance:
    """A TaskInstance from a SWE-bench/SWE-rebench row (JSON or another tool's Parquet); unknown keys kept."""
    data = dict(row)
    for key in LIST_FIELDS:
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key] or "[]")
    for key in ("install", "validation"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key] or "{}")
    known = set(TaskInstance.__dataclass_fields__)
    extra = {k: v for k, v in data.items() if k not in known}
    task = TaskInstance.from_dict({k: v for k, v in data.items() if k in known})
    if extra:  # SWE-rebench columns (docker_image, meta, ...) survive a read/write round trip
        task.validation.setdefault("extra_fields", {}).update(extra)
    missing = [k for k in ("instance_id", "repo", "base_commit") if not getattr(task, k, None)]
    if missing:
        raise InputError(f"task row lacks {', '.join(missing)}: pass SWE-bench-format tasks")
    return task


def task_to_row(task: TaskInstance) -> dict[str, Any]:
    """A SWE-bench-shaped row (extra SWE-rebench fields restored at the top level)."""
    row = task.to_dict()
    extra = row["validation"].pop("extra_fields", None) if row.get("validation") else None
    if extra:
        row.update(extra)
    return row


def read_tasks(path: str | Path) -> Iterator[TaskInstance]:
    """Tasks from a .jsonl/.json file, a .parquet file, or a folder of shards."""
    from agentmt.io import read_rows

    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        for row in json.loads(path.read_text()):
            yield task_from_row(row)
        return
    if path.is_dir() and any(path.glob("*.parquet")):
        # a stage folder holds the same tasks as Parquet shards and as SWE-bench JSONL: read one
        for shard in sorted(p for p in path.glob("*.parquet") if not p.name.startswith(".")):
            yield from _read_parquet_tasks(shard)
        return
    if path.suffix == ".parquet":
        yield from _read_parquet_tasks(path)
        return
    for row in read_rows(path):
        yield task_from_row(row)


def _read_parquet_tasks(path: Path) -> Iterator[TaskInstance]:
    """agentmt task shards as typed records; a Parquet without agentmt metadata as SWE-bench rows."""
    from agentmt.io import read_records, read_rows, record_meta

    if record_meta(path) is None:
        yield from (task_from_row(r) for r in read_rows(path))
    else:
        yield from read_records(path, TaskInstance)


def write_tasks_jsonl(tasks: Iterable[TaskInstance], path: str | Path) -> int:
    """Write SWE-bench-format JSONL atomically; returns the number of rows."""
    from agentmt.io import atomic_write_text

    lines = [json.dumps(task_to_row(t), ensure_ascii=False) for t in tasks]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)


def write_tasks_parquet(tasks: Iterable[TaskInstance], path: str | Path) -> int:
    """Write one Parquet shard of typed TaskInstance columns (SWE-bench's names; install and
    validation as JSON text)."""
    from agentmt.io import write_records

    return write_records(path, tasks, TaskInstance)


def read_task_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Raw rows of a dataset: a swebench task repository (folder with tasks/), a .json list, a
    .jsonl or .parquet file, or a folder of shards."""
    from agentmt.environments.rows.taskrepo import is_task_repo, read_task_repo
    from agentmt.io import read_rows

    path = Path(path)
    if is_task_repo(path):
        yield from read_task_repo(path)
    elif path.is_file() and path.suffix == ".json":
        yield from json.loads(path.read_text())
    else:
        yield from read_rows(path)


def import_tasks(path: str | Path, out_dir: str | Path, fmt: str = "auto"):
    """Dataset rows → task shards (tasks.parquet, tasks.jsonl, manifest.json) labelled with their
    dataset; bad rows dropped and counted by reason (see agentmt.environments.rows)."""
    from agentmt.environments.rows import import_rows
    from agentmt.io import Manifest

    rows = list(read_task_rows(path))
    tasks, drops = import_rows(rows, fmt)
    manifest = Manifest(stage="tasks.import", config={"format": fmt}, inputs=[str(path)], drops=drops)
    manifest.counts.update(rows_in=len(rows), tasks_out=len(tasks))
    manifest.extra["datasets"] = dict(Counter(t.validation["dataset"] for t in tasks))
    write_tasks_parquet(tasks, Path(out_dir) / "tasks.parquet")
    write_tasks_jsonl(tasks, Path(out_dir) / "tasks.jsonl")
    manifest.shards = ["tasks.parquet"]
    manifest.write(out_dir)
    return manifest
