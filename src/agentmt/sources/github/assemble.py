"""The git half of a PR record mined through the API: GitHub names the merge commit, git gives
the PR's commits, per-file diffs and the files at the snapshot and at the head.

Commits are chosen exactly as `mine git` chooses them, so the records agree: a two-parent merge
contributes the first-parent chain of its second parent not reachable from its first parent; a
one-parent merge commit (squash or rebase merge) is the PR's one commit. Outcomes that are the
data's, not ours, come back as drop reasons: "merge_commit_missing" (history rewritten since),
"octopus_merge", "empty_pr", "no_snapshot", "file_too_large", "git_error".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentmt.sources.git import GITLINK, make_commit
from agentmt.sources.gitproc import CatFile, DiffTree, GitError, LoggedCommit, git
from agentmt.sources.prdetect import PRHeader, make_pr_header
from agentmt.types import FileSnapshot, PullRequest


def mirror(clone_url: str, folder: Path, name: str) -> Path:
    """A bare mirror of `clone_url` at folder/<owner>__<name>.git, cloned once, then fetched."""
    dest = folder / (name.replace("/", "__") + ".git")
    try:
        if (dest / "HEAD").exists():
            git(dest, "fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".partial")  # a killed clone never looks finished
            if tmp.exists():
                import shutil

                shutil.rmtree(tmp)
            git(folder, "clone", "--bare", "--quiet", "--", clone_url, str(tmp))
            tmp.rename(dest)
    except GitError:
        return Path()
    return dest


@dataclass(slots=True)
class GitSide:
    kind: str  # merge | squash
    base_sha: str
    snapshot_sha: str
    head_sha: str
    header: PRHeader | None  # what the merge commit's message says (title, body, number)
    logged: list[LoggedCommit]


class GitReader:
    """Long-lived git processes over one local repository (close() when done)."""

    def __init__(self, path: str | Path, max_file_bytes: int):
        self.path = Path(path)
        self.max_file_bytes = max_file_bytes
        self.cat = CatFile(self.path)
        self.diffs = DiffTree(self.path)

    def close(self) -> None:
        self.cat.close()
        self.diffs.close()

    def repo_facts(self, branch: str) -> tuple[list[str], str]:
        """(root commits, SPDX id of the licence file) at `branch`, as `mine git` records them."""
        try:
            head = git(self.path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}").decode().strip()
            roots = git(self.path, "rev-list", "--max-parents=0", head, "--").decode().split()
        except GitError:
            return [], ""
        from agentmt.sources import git as gitsrc

        license_at = getattr(gitsrc, "_license_at", None)  # the git miner's licence detection, when present
        return roots, (license_at(self.path, head) if license_at else "")

    def side(self, merge_sha: str) -> GitSide | str:
        """The PR's commits behind `merge_sha`, or a drop reason."""
        (raw,) = self.cat.contents([merge_sha])
        if raw is None or not raw.startswith(b"tree "):
            return "merge_commit_missing"
        parents = [ln[7:].decode() for ln in raw.split(b"\n\n", 1)[0].split(b"\n") if ln.startswith(b"parent ")]
        message = raw.split(b"\n\n", 1)[1].decode("utf-8", "replace") if b"\n\n" in raw else ""
        header = make_pr_header(merge_sha, parents, message)
        if len(parents) > 2:
            return "octopus_merge"
        if not parents:
            return "no_snapshot"
        try:
            if len(parents) == 2:
                out = git(self.path, "rev-list", "--first-parent", "--reverse", parents[1], f"^{parents[0]}", "--")
                chain = out.decode().split()
                kind, head = "merge", parents[1]
            else:
                chain, kind, head = [merge_sha], "squash", merge_sha
            if not chain:
                return "empty_pr"
            first_parents = self.cat.parents(chain[0])
            logged = self.diffs.commits(chain)
        except GitError:
            return "git_error"
        if not first_parents:
            return "no_snapshot"
        return GitSide(kind, parents[0], first_parents[0], head, header, [logged[c] for c in chain])

    def add_files(self, pr: PullRequest, logged: list[LoggedCommit]) -> str | None:
        """Fill relevant_files / head_files; a drop reason when a file is too large or unreadable."""
        before, after = touched_blobs(logged)
        oids = sorted({b for b, m in (*before.values(), *after.values()) if b and m != GITLINK})
        try:
            infos = self.cat.info(oids)
            if any(i is None or i[1] > self.max_file_bytes for i in infos):
                return "file_too_large" if all(i is not None for i in infos) else "git_error"
            texts = dict(zip(oids, (_text(r) for r in self.cat.contents(oids))))
        except GitError:
            return "git_error"
        pr.relevant_files = [_snapshot(p, before[p], texts) for p in pr.changed_paths]
        pr.head_files = [_snapshot(p, after[p], texts) for p in pr.changed_paths]
        return None


def make_commits(logged: list[LoggedCommit]):
    return [make_commit(c) for c in logged]


def touched_blobs(raws: list[LoggedCommit]) -> tuple[dict, dict]:
    """path -> (blob, mode) before its first touch and after its last; (None, None) when absent
    (a chain that starts at the snapshot makes this exact)."""
    absent = (None, None)
    before: dict = {}
    after: dict = {}
    for c in raws:
        for ch in c.changes:
            if ch.old_path:
                before.setdefault(ch.old_path, (ch.old_blob, ch.old_mode))
            if ch.new_path:
                before.setdefault(ch.new_path, absent)
                after[ch.new_path] = (ch.new_blob, ch.new_mode)
            if ch.old_path and ch.old_path != ch.new_path:
                after[ch.old_path] = absent
    return before, after


def _text(raw: bytes | None) -> str | None:
    if raw is None or b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _snapshot(path: str, blob: tuple, texts: dict[str, str | None]) -> FileSnapshot:
    oid, mode = blob
    if oid is None:
        return FileSnapshot(path, None)
    text = texts.get(oid) if mode != GITLINK else None
    return FileSnapshot(path, None, binary=True) if text is None else FileSnapshot(path, text)
