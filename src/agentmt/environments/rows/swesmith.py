"""SWE-smith rows: synthetic bugs on a mirror of a repository at one commit. `repo` names the mirror
(`swesmith/<owner>__<name>.<commit8>`), `image_name` the published image, `patch` the diff that
*introduces* the bug (SWE-smith's gather step applies it on the mirror and commits it to a branch
named after the instance), FAIL_TO_PASS/PASS_TO_PASS the tests, already in the tree (no test patch).

The task's `repo` becomes the upstream `<owner>/<name>` so a local clone of it is found; the bug
patch waits in `extra_fields.bug_patch` until `make_bug_commit` turns it, against that clone, into
the task's base commit and its fix (the bug patch reversed).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from agentmt.types import TaskInstance

NAME = "swe-smith"
_MIRROR = re.compile(r"^(?:swesmith/)?(?P<owner>[\w.-]+?)__(?P<name>[\w.-]+)\.(?P<commit>[0-9a-f]{8})$")
BUG_REF = "refs/agentmt/swesmith/"  # keeps each made bug commit reachable in the local clone


def matches(row: dict) -> bool:
    return "image_name" in row and bool(_MIRROR.match(str(row.get("repo", ""))))


def to_task(row: dict) -> TaskInstance:
    from agentmt.environments.rows import BadRow, base_task, require

    require(row, "instance_id", "repo", "patch")
    m = _MIRROR.match(str(row["repo"]))
    if not m:
        raise BadRow("malformed_field", f"repo {row['repo']!r} is not a SWE-smith mirror name")
    upstream = f"{m['owner']}/{m['name']}"
    # the base is the mirror's commit plus the bug; a row's own base_commit names the bug commit on
    # the mirror's branch, which an upstream clone does not have (kept as `swesmith_base_commit`)
    data = {**row, "repo": upstream, "base_commit": m["commit"], "patch": "", "bug_patch": row["patch"],
            "test_patch": row.get("test_patch") or "", "problem_statement": row.get("problem_statement") or "",
            "swesmith_repo": row["repo"], "swesmith_base_commit": row.get("base_commit") or ""}
    task = base_task(data)
    if not task.FAIL_TO_PASS:
        raise BadRow("missing_FAIL_TO_PASS")
    return task


def make_bug_commit(task: TaskInstance, repo: Path) -> None:
    """For a task from a SWE-smith row whose bug is not yet made: the mirror commit with the bug patch
    applied, as a commit with the mirror commit's own parents, author, dates and message (so the
    testbed's history holds no commit that is just the bug), kept under BUG_REF; sets `base_commit` to
    it, `patch` to the fix and `validation.swesmith` to both commits. A patch that does not apply
    raises BadRow `bug_patch_does_not_apply`. The same row gives the same commit on every machine."""
    from agentmt.environments.rows import BadRow
    from agentmt.sources.gitproc import git, run_git

    bug = (task.validation.get("extra_fields") or {}).get("bug_patch")
    if not bug or "swesmith" in task.validation:
        return
    mirror = git(repo, "rev-parse", "--verify", f"{task.base_commit}^{{commit}}").decode().strip()
    fmt = "%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
    parents, an, ae, ad, cn, ce, cd, message = git(repo, "show", "-s", f"--format={fmt}", mirror).decode().split("\0", 7)
    env = {"GIT_AUTHOR_NAME": an, "GIT_AUTHOR_EMAIL": ae, "GIT_AUTHOR_DATE": ad,
           "GIT_COMMITTER_NAME": cn, "GIT_COMMITTER_EMAIL": ce, "GIT_COMMITTER_DATE": cd}
    with tempfile.TemporaryDirectory(prefix="agentmt-swesmith-") as tmp:
        env["GIT_INDEX_FILE"] = str(Path(tmp) / "index")  # a private index: the clone's own is untouched
        git(repo, "read-tree", mirror, env=env)
        applied = run_git(repo, "apply", "--cached", "-", input=bug.encode(), env=env)
        if applied.returncode != 0:
            raise BadRow("bug_patch_does_not_apply", applied.stderr.decode("utf-8", "replace")[:300])
        tree = git(repo, "write-tree", env=env).decode().strip()
    args = [a for p in parents.split() for a in ("-p", p)]
    sha = git(repo, "commit-tree", tree, *args, input=message.encode(), env=env).decode().strip()
    git(repo, "update-ref", BUG_REF + re.sub(r"[^\w-]+", "-", task.instance_id), sha)
    task.patch = git(repo, "diff", sha, mirror).decode("utf-8", "replace")
    task.base_commit = task.environment_setup_commit = sha
    task.validation["swesmith"] = {"mirror_commit": mirror, "bug_commit": sha}
