"""The task's repository as the container sees it: a clone at the base commit with nothing from
the task's future (the fix) readable from git, and its git submodules' files where a local copy of
their repository holds the recorded commit.

Submodules (tomlkit's tests read the tests/toml-test submodule): agentmt fetches from no network, so
a submodule's files come from a local repository only: its URL when that is a path or file URL,
else the `fetch` layout's sibling of the task's repository (`.../OWNER+NAME/repo` for a
github.com/OWNER/NAME URL). A submodule without one is listed by `missing_submodules`; validation
names such a task's failure `submodule_missing` rather than a test verdict.
"""
from __future__ import annotations

import io
import re
import shutil
import tarfile
from pathlib import Path


def _git(cwd: Path | None, *args: str) -> str:
    from agentmt.sources.gitproc import git  # the one git runner (GitError with git's message)

    return git(cwd, *args).decode("utf-8", "replace")


def submodules(repo: str | Path, commit: str) -> list[tuple[str, str, str]]:
    """(path, url, recorded commit) of each submodule `commit` records (.gitmodules and a gitlink)."""
    from agentmt.errors import GitError

    try:
        config = _git(Path(repo), "config", "--blob", f"{commit}:.gitmodules", "--get-regexp",
                      r"^submodule\..*\.(path|url)$")
    except GitError:  # no .gitmodules at that commit
        return []
    keys: dict[str, dict[str, str]] = {}
    for line in config.splitlines():
        key, _, value = line.partition(" ")
        name, _, field = key.removeprefix("submodule.").rpartition(".")
        keys.setdefault(name, {})[field] = value.strip()
    out = []
    for entry in keys.values():
        if "path" in entry and "url" in entry:
            tree = _git(Path(repo), "ls-tree", commit, "--", entry["path"]).split()
            if len(tree) >= 3 and tree[1] == "commit":  # a gitlink: mode 160000, type commit
                out.append((entry["path"], entry["url"], tree[2]))
    return out


def _local_source(repo: Path, url: str, sha: str) -> Path | None:
    """A local repository holding commit `sha` of the submodule at `url`, or None."""
    candidates = []
    if url.startswith("file://") or url.startswith("/"):
        candidates.append(Path(url.removeprefix("file://")))
    elif url.startswith((".", "..")):
        candidates.append(repo / url)
    m = re.search(r"github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url)
    if m and repo.resolve().name == "repo":  # the fetch layout: MIRRORS/OWNER+NAME/repo
        candidates.append(repo.resolve().parent.parent / f"{m.group(1)}+{m.group(2)}" / "repo")
    from agentmt.errors import GitError

    for path in candidates:
        try:
            if path.exists():
                _git(path, "cat-file", "-e", f"{sha}^{{commit}}")
                return path
        except GitError:  # not a repository, or one without that commit
            continue
    return None


def missing_submodules(repo: str | Path, commit: str) -> list[str]:
    """Paths of the submodules at `commit` whose files no local repository can give."""
    return [p for p, url, sha in submodules(repo, commit) if _local_source(Path(repo), url, sha) is None]


def _check_out_submodules(repo: Path, commit: str, dest: Path) -> None:
    # the submodule's files at its recorded commit, without its history: a plain folder under the gitlink
    for path, url, sha in submodules(repo, commit):
        source = _local_source(repo, url, sha)
        if source is not None:
            from agentmt.sources.gitproc import git

            archive = git(source, "archive", "--format=tar", sha)
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(dest / path, filter="data")


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
    _check_out_submodules(Path(repo), base_commit, dest)
