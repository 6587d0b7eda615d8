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
from agentmt.sources.gitrecords import blob_text, touched_blobs
from agentmt.sources.prdetect import PRHeader, make_pr_header
from agentmt.types import FileSnapshot, PullRequest


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
        self.fetched = 0  # merge commits fetched by id since the caller last looked

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

    def sides(self, merges: list[str]) -> dict[str, GitSide | str]:
        """merge sha -> the PR's commits behind it, or a drop reason. Batched: one cat-file and one
        diff-tree round trip for all (plus a rev-list per two-parent merge); on a git failure, PR by PR."""
        try:
            raws = dict(zip(merges, self.cat.contents(merges)))
            missing = [m for m, raw in raws.items() if raw is None]
            if missing and self._fetch(missing):
                raws.update(zip(missing, self.cat.contents(missing)))
                self.fetched += sum(raws[m] is not None for m in missing)
        except GitError:
            return {m: self.sides([m])[m] if len(merges) > 1 else "git_error" for m in merges}
        out: dict[str, GitSide | str] = {}
        found: dict[str, tuple] = {}
        for sha in merges:
            got = self._chain(sha, raws[sha])
            if isinstance(got, str):
                out[sha] = got
            else:
                found[sha] = got
        try:
            firsts = self.cat.parents_many(list({g[4][0] for g in found.values()}))
            logged = self.diffs.commits(list(dict.fromkeys(c for g in found.values() for c in g[4])))
        except GitError:
            if len(found) == 1:
                return {**out, **{sha: "git_error" for sha in found}}
            return {**out, **{sha: self.sides([sha])[sha] for sha in found}}
        for sha, (kind, base, head, header, chain) in found.items():
            first = firsts.get(chain[0])
            out[sha] = GitSide(kind, base, first[0], head, header, [logged[c] for c in chain]) if first \
                else "no_snapshot"
        return {m: out[m] for m in merges}

    def _fetch(self, shas: list[str]) -> bool:
        """Ask the remote for merge commits no branch holds any more (a merged-then-deleted branch);
        GitHub serves them by id. False when the remote refuses (they stay merge_commit_missing)."""
        try:
            git(self.path, "fetch", "--quiet", "--no-tags", "origin", *shas)
            return True
        except GitError:
            return False

    def _chain(self, sha: str, raw: bytes | None) -> tuple | str:
        """(kind, base, head, header, chain) of one merge commit's object, or a drop reason."""
        if raw is None or not raw.startswith(b"tree "):
            return "merge_commit_missing"
        head_part, _, body = raw.partition(b"\n\n")
        parents = [ln[7:].decode() for ln in head_part.split(b"\n") if ln.startswith(b"parent ")]
        header = make_pr_header(sha, parents, body.decode("utf-8", "replace"))
        if len(parents) > 2:
            return "octopus_merge"
        if not parents:
            return "no_snapshot"
        if len(parents) == 1:
            return "squash", parents[0], sha, header, [sha]
        try:  # exact, as mine git: the head's first-parent chain not reachable from the base
            chain = git(self.path, "rev-list", "--first-parent", "--reverse", parents[1], f"^{parents[0]}",
                        "--").decode().split()
        except GitError:
            return "git_error"
        return ("merge", parents[0], parents[1], header, chain) if chain else "empty_pr"

    def add_files(self, items: list[tuple[PullRequest, list[LoggedCommit]]]) -> list[str | None]:
        """Fill each PR's relevant_files / head_files (one info and one contents round trip for all);
        per PR None, or a drop reason when a file is too large or unreadable."""
        touched = [touched_blobs(logged) for _, logged in items]
        oids = [sorted({b for b, m in (*bf.values(), *af.values()) if b and m != GITLINK}) for bf, af in touched]
        every = sorted({o for os_ in oids for o in os_})
        try:
            sizes = dict(zip(every, self.cat.info(every)))
            reasons: list[str | None] = []
            for os_ in oids:
                infos = [sizes[o] for o in os_]
                bad = any(i is None or i[1] > self.max_file_bytes for i in infos)
                reasons.append(None if not bad else "file_too_large" if all(infos) else "git_error")
            wanted = sorted({o for os_, r in zip(oids, reasons) if r is None for o in os_})
            texts = dict(zip(wanted, (blob_text(r) for r in self.cat.contents(wanted))))
        except GitError:
            if len(items) == 1:
                return ["git_error"]
            return [self.add_files([item])[0] for item in items]
        for (pr, _), (before, after), reason in zip(items, touched, reasons):
            if reason is None:
                pr.relevant_files = [_snapshot(p, before[p], texts) for p in pr.changed_paths]
                pr.head_files = [_snapshot(p, after[p], texts) for p in pr.changed_paths]
        return reasons


def make_commits(logged: list[LoggedCommit]):
    return [make_commit(c) for c in logged]


def _snapshot(path: str, blob: tuple, texts: dict[str, str | None]) -> FileSnapshot:
    oid, mode = blob
    if oid is None:
        return FileSnapshot(path, None)
    text = texts.get(oid) if mode != GITLINK else None
    return FileSnapshot(path, None, binary=True) if text is None else FileSnapshot(path, text)
