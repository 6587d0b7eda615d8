"""The task's repository as the container sees it: a clone at the base commit with nothing from
the task's future (the fix) readable from git."""
from __future__ import annotations

import shutil
from pathlib import Path


def _git(cwd: Path | None, *args: str) -> str:
    from agentmt.sources.gitproc import git  # the one git runner (GitError with git's message)

    return git(cwd, *args).decode("utf-8", "replace")


def build_testbed(repo: str | Path, base_commit: str, dest: Path) -> None:
    """Clone `repo` into `dest` at `base_commit`, then erase every ref, reflog entry and object not
    reachable from it, so nothing from the task's future (the fix) can be read from git. Tags on
    ancestors of the base commit stay (a version from `git describe --tags`); later ones go."""
    _git(None, "clone", "-q", "--no-checkout", "--no-hardlinks", str(repo), str(dest))
    _git(dest, "checkout", "-q", "-B", "main", base_commit)
    past = {f"refs/tags/{t}" for t in _git(dest, "tag", "--merged", "HEAD").split()}
    for ref in _git(dest, "for-each-ref", "--format=%(refname)").split():
        if ref != "refs/heads/main" and ref not in past:
            _git(dest, "update-ref", "-d", ref)
    _git(dest, "remote", "remove", "origin")
    for name in ("ORIG_HEAD", "FETCH_HEAD", "packed-refs.lock"):
        (dest / ".git" / name).unlink(missing_ok=True)
    _git(dest, "reflog", "expire", "--expire=now", "--all")
    shutil.rmtree(dest / ".git" / "logs", ignore_errors=True)
    _git(dest, "gc", "-q", "--prune=now")
    _git(dest, "config", "user.email", "agent@agentmt.invalid")
    _git(dest, "config", "user.name", "agentmt")
