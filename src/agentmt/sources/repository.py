"""Opening a repository (a path, or a URL cloned bare into $AGENTMT_HOME/repos), resolving refs,
and the facts every mined PR carries about its repository: its name, root commits and licence.

Naming: "owner/name" comes from a clone URL or the `origin` remote; a local path is no name
(`repo_name_for` returns "" and the caller records the name as unknown).
"""

from __future__ import annotations

import re
from pathlib import Path

from agentmt import settings
from agentmt.errors import GitError, InputError
from agentmt.sources.gitproc import git

URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


def is_url(repo: str | Path) -> bool:
    return isinstance(repo, str) and bool(URL_RE.match(repo)) and not Path(repo).exists()


def open_repository(repo: str | Path) -> Path:
    """A local git directory for `repo`: a path as is, a URL cloned bare into $AGENTMT_HOME/repos."""
    if is_url(repo):
        try:
            return mirror(str(repo), settings.home() / "repos")
        except GitError as e:
            raise InputError(f"cannot clone {repo}: {e}") from None
    path = Path(repo).expanduser()
    if not path.exists():
        raise InputError(f"repository {repo} does not exist: pass a path to a git repository or a URL")
    try:
        git(path, "rev-parse", "--git-dir")
    except GitError:
        raise InputError(f"{repo} is not a git repository: pass a working or bare repository") from None
    return path


def mirror(url: str, folder: Path, name: str = "") -> Path:
    """The one bare mirror of `url` in `folder`: cloned once, then fetched (branches and tags).

    Named `owner__name.git` after `name`, else the URL's owner/name, so `mine git URL` and `mine
    github` share one clone of a repository; a URL without one (file://) is named after the URL.
    The clone is made beside its final name and renamed, so a killed clone never looks finished.
    GitError when git fails."""
    import shutil

    name = name or name_from_url(url)
    stem = name.replace("/", "__") if name else re.sub(r"[^\w.-]+", "_", url.split("://", 1)[-1]).strip("_")
    dest = folder / (stem if stem.endswith(".git") else stem + ".git")
    if (dest / "HEAD").exists():
        git(dest, "fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    git(folder, "clone", "--bare", "--quiet", "--", url, str(tmp))
    tmp.rename(dest)
    return dest


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit sha `ref` names; InputError naming the ref when it is unknown."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise InputError(f"unknown ref {ref!r} in {repo}: pass a branch, tag or commit that exists") from None


def root_commits(repo: Path, ref: str) -> list[str]:
    """Root commits reachable from `ref`; [] when history is unreadable (iteration reports that)."""
    try:
        return git(repo, "rev-list", "--max-parents=0", ref, "--").decode().split()
    except GitError:
        return []


def license_at(repo: Path, ref: str) -> str:
    """SPDX id of the top-level licence file at `ref` (agentmt.sources.licenses), "" when none is recognised."""
    from agentmt.sources.licenses import license_from_text

    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "LICENSE.rst"):
        try:
            text = git(repo, "show", f"{ref}:{name}").decode("utf-8", "replace")
        except GitError:
            continue
        return license_from_text(text)
    return ""


def count_mainline(repo: Path, ref: str) -> int:
    return int(git(repo, "rev-list", "--first-parent", "--count", ref, "--").decode().strip() or 0)


def repo_name_for(repo: str | Path) -> str:
    """"owner/name" from a clone URL, or from the origin remote of a local repository; "" when
    neither names one (a local path is no name: "local/<folder>" fooled name-based decontamination)."""
    if is_url(repo):
        return name_from_url(str(repo))
    try:
        url = git(Path(repo).expanduser(), "config", "--get", "remote.origin.url").decode().strip()
    except GitError:
        return ""
    return name_from_url(url)


# scheme://[user@]host/…/owner/name[.git] or user@host:…/owner/name[.git]
_REMOTE_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://(?:[^@/]+@)?[^/]+/|[\w.-]+@[\w.-]+:/?)(?:[^/]+/)*"
                        r"(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?/*$", re.IGNORECASE)


def name_from_url(url: str) -> str:
    """"owner/name" of a remote URL with a host; "" for file:// URLs and paths."""
    m = None if url.lower().startswith("file:") else _REMOTE_RE.match(url.strip())
    return f"{m['owner']}/{m['name']}" if m else ""
