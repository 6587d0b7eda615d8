"""Merged PRs reconstructed from the history of a git ref, streamed oldest to newest.

The walk follows the first-parent chain (the mainline); a mainline merge brings in the commits of
its other parents, among which PRs merged into those branches (a maintenance branch merged
forward) are found too. Guarantees: each commit is read once; a PR's commits are the first-parent
chain of its head not reachable from its merge's first parent (exact: the set of commits reachable
from the mainline so far is kept as 20-byte ids, ~6 MB per 10^5 commits, and is the only state that
grows with history; off the mainline, reachability inside one merge is read from memory and the
first commit the mainline already had is confirmed by `git merge-base --is-ancestor`); beyond it,
three windows of PRs in flight and at most 64 MB of cached file texts (BLOB_CACHE_BYTES). Output does not depend on window size or timing. A PR that git cannot read
(corrupt or missing objects) is dropped as "git_error", one with a file over `max_file_bytes` as
"file_too_large"; both are counted, never raised. Plumbing and the choice of git CLI: gitproc.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agentmt.errors import InputError
from agentmt.sources.gitproc import (
    CatFile,
    CommitInfo,
    DiffTree,
    GitError,
    LoggedCommit,
    MainlineCommit,
    git,
    is_ancestor,
    iter_mainline,
    rev_list_parents,
)
from agentmt.sources.gitrecords import (
    GITLINK,
    STATUS,
    BlobCache,
    blob_text,
    make_commit,
    make_file_change,
    make_snapshot,
    touched_blobs,
)
from agentmt.sources.prdetect import PRHeader, explicit_numbers, make_linked_issues, make_pr_header
from agentmt.sources.repository import (
    count_mainline,
    is_url,
    license_at,
    name_from_url,
    open_repository,
    repo_name_for,
    resolve_ref,
    root_commits,
)
from agentmt.types import PullRequest

# Re-exported: callers import these from here (sources.repository and sources.gitrecords hold them).
__all__ = ["GITLINK", "STATUS", "GitHistorySource", "count_mainline", "is_url", "iter_pull_requests", "make_commit",
           "make_file_change", "name_from_url", "open_repository", "repo_name_for", "resolve_ref"]
_license_at = license_at  # sources.github.assemble looks it up by this name
BLOB_CACHE_BYTES = 64 << 20  # decoded file contents kept across batches (see BlobCache)


# ---------------------------------------------------------------------------------------------
# The walk


@dataclass(slots=True)
class _Stub:
    """A PR candidate waiting for its batch, or just a mainline position. `sub` orders the
    candidates one mainline commit brings (PRs merged into the branch it merges, then itself)."""

    index: int
    sha: str = ""
    parents: list[str] = field(default_factory=list)
    header: PRHeader | None = None
    chain: list[str] = field(default_factory=list)  # PR commits, oldest first
    snapshot: str = ""
    error: str = ""
    date: str = ""
    sub: int = 0
    skipped: str = ""  # a merge that is not a PR and not asked for (counted, never a record)
    mainline: bool = True  # False: a PR merged into a branch that a mainline merge brings in

    @property
    def key(self) -> tuple[int, int]:
        return self.index, self.sub


class GitHistorySource:
    """Streams PullRequests from `ref`. `screen(pr, counts)` may enrich pr and add to `counts`
    (merged into self.counts in mainline order) and returns a drop reason or None; it runs before
    file contents are read, so filtered PRs cost no blob reads. With `diff_after_screen`, it runs
    before diffs too: its PRs' FileChanges have statuses and paths but empty `diff` and `binary`
    False, and only the PRs it keeps are diffed (a corrupt object in a PR it drops goes unnoticed).

    PRs are found anywhere in the history of `ref`, not only on its first-parent chain: a merge of
    a maintenance branch ("Merge branch '8.1.x'") brings the PRs merged into that branch, each with
    its own base (its merge's first parent), snapshot and head. A PR number is recorded once, at
    its first occurrence in walk order (a cherry-pick carrying "(#N)" again is "duplicate_pr"),
    except that a "(#N)" subject yields to a "Merge pull request #N" anywhere in the history.
    Other merges are records (merge_kind "synthetic") only with `synthetic=True`."""

    def __init__(self, repo: str | Path, *, repo_name: str, ref: str = "HEAD", max_file_bytes: int = 1_000_000,
                 batch_prs: int = 64, screen: Callable[[PullRequest, Counter], str | None] | None = None,
                 diff_after_screen: bool = False, synthetic: bool = False):
        self.path = open_repository(repo)
        self.ref = ref
        self.head_sha = resolve_ref(self.path, ref)
        self.repo_name = repo_name
        self.max_file_bytes = max_file_bytes
        self.batch_prs = batch_prs
        self.screen = screen
        self.diff_after_screen = diff_after_screen
        self.synthetic = synthetic
        self._numbers: set[int] = set()  # PR numbers met so far in walk order (one record per PR)
        self._explicit: set[int] | None = None  # numbers some "Merge pull request #N" subject names
        self._named: set[int] = set()  # numbers any PR subject names ("(#N)" too)
        self._pull_heads: dict[str, int] = {}  # refs/pull/N/head sha -> N, where the repository has them
        self.position: tuple[int, int] = (0, 0)  # pass as `start` to continue after the last yielded PR
        self.counts: Counter = Counter()
        self.drops: Counter = Counter()
        self._blobs = BlobCache(BLOB_CACHE_BYTES)
        self.shallow = git(self.path, "rev-parse", "--is-shallow-repository").strip() == b"true"
        # Repository facts every PR carries for curation: roots identify a copy or fork whatever its
        # name (decontamination), the LICENSE file at `ref` gives the licence when metadata has none.
        self.repo_roots = root_commits(self.path, self.head_sha)
        self.repo_license = license_at(self.path, self.head_sha)

    def iter(self, start: int | tuple[int, int] | list[int] = 0, progress: Callable[[int], None] | None = None
             ) -> Iterator[tuple[int, PullRequest]]:
        """(mainline index, PR) pairs, oldest first. `start` is a mainline index or a saved
        `position` (index, candidate): what lies before it is only walked. When a pair is yielded,
        counts/drops cover exactly the candidates up to it and `position` is where a rerun resumes.
        Pipelined over windows of PRs: one thread walks and diffs window k+2 while another reads
        window k+1's file contents and window k's PRs are consumed here (memory: three windows),
        so git's diffing, git's blob reading and Python's work overlap."""
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        start = (start, 0) if isinstance(start, int) else (int(start[0]), int(start[1]))
        if self._explicit is None:  # one `git log` of subjects: a "(#N)" yields to GitHub's own merge of N
            try:
                subjects = git(self.path, "log", "--format=%s", self.head_sha, "--")
            except GitError as e:
                raise InputError(f"git log over {self.ref!r} in {self.path} failed: {e} "
                                 "(check the repository with `git fsck`)") from None
            self._explicit, self._named = explicit_numbers(subjects.decode("utf-8", "replace").splitlines())
            refs = git(self.path, "for-each-ref", "--format=%(objectname) %(refname)", "refs/pull/").decode()
            for oid, _, ref in (line.partition(" ") for line in refs.splitlines()):
                parts = ref.split("/")  # refs/pull/N/head (refs/pull/N/merge is GitHub's test merge)
                if len(parts) == 4 and parts[3] == "head" and parts[2].isdigit():
                    self._pull_heads.setdefault(oid, int(parts[2]))
        seen: set[bytes] = set()
        topo, blobs = CatFile(self.path), CatFile(self.path)  # one per stage thread
        diffs = DiffTree(self.path)
        listing = DiffTree(self.path, patch=False) if self.diff_after_screen else None
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="agentmt-diffs") as diffing, \
                    ThreadPoolExecutor(1, thread_name_prefix="agentmt-blobs") as reading:
                pending: deque = deque()
                for window in self._windows(start):
                    walked = diffing.submit(self._prepare, topo, diffs, listing, seen, window, start, progress)
                    pending.append(reading.submit(self._finish, blobs, walked))
                    if len(pending) > 2:
                        yield from self._flush(*pending.popleft().result())
                while pending:
                    yield from self._flush(*pending.popleft().result())
        finally:
            for proc in (topo, blobs, diffs, listing):
                if proc is not None:
                    proc.close()

    def _windows(self, start: tuple[int, int]) -> Iterator[list[tuple[int, MainlineCommit]]]:
        """Runs of mainline commits holding about `batch_prs` PR candidates each."""
        window: list[tuple[int, MainlineCommit]] = []
        num = 0
        for index, mc in enumerate(iter_mainline(self.path, self.head_sha)):
            window.append((index, mc))
            num += len(mc.parents) >= 2 or (index >= start[0] and len(mc.parents) == 1)
            if num >= self.batch_prs or len(window) >= 8 * self.batch_prs:
                yield window
                window, num = [], 0
        if window:
            yield window

    def _prepare(self, cat: CatFile, diffs: DiffTree, listing: DiffTree | None, seen: set[bytes],
                 window: list[tuple[int, MainlineCommit]], start: tuple[int, int],
                 progress: Callable[[int], None] | None) -> tuple[list[_Stub], dict, dict, list]:
        """Walk a window and diff its PRs' commits (one request); with a `listing`, list their files
        first and diff only the commits of the PRs the screen keeps."""
        known = self._topology(cat, seen, window)
        stubs = []
        for index, mc in window:
            group = self._walk(cat, seen, known, index, mc)
            if progress:
                progress(index)
            stubs.extend(s for s in group if s.key >= start)
            if index == start[0] and group[-1].key < start:
                # resumed right after this commit's own PR: it still counts as walked, once
                stubs.append(_Stub(index, sub=group[-1].sub))
        cands = [s for s in stubs if s.header is not None and not self._check(s)]
        logged = self._log(listing or diffs, cands)
        outcome: dict[tuple[int, int], PullRequest | str] = {}
        screened: list[tuple[_Stub, PullRequest]] = []
        screen_counts: dict[tuple[int, int], Counter] = {}
        for s in cands:
            if s.error:
                continue
            pr = self._make_pr(s, logged)
            screen_counts[s.key] = Counter()
            reason = self.screen(pr, screen_counts[s.key]) if self.screen else None
            if reason:
                outcome[s.key] = reason
            else:
                screened.append((s, pr))
        if listing is not None and screened:
            logged = self._log(diffs, [s for s, _ in screened])
            kept = []
            for s, pr in screened:
                if s.error:  # counted as if git had failed before the screen, as without a listing
                    del screen_counts[s.key]
                    continue
                for commit, sha in zip(pr.commits, s.chain):
                    commit.changes = [make_file_change(ch) for ch in logged[sha].changes]
                kept.append((s, pr))
            screened = kept
        return stubs, outcome, screen_counts, [(pr, [logged[c] for c in s.chain], s.key) for s, pr in screened]

    def _finish(self, cat: CatFile, walked) -> tuple[list[_Stub], dict[int, PullRequest | str], dict[int, Counter]]:
        """Add file contents to a prepared window's screened-in PRs."""
        stubs, outcome, screen_counts, items = walked.result()
        outcome.update(self._add_files(cat, items))
        return stubs, outcome, screen_counts

    @staticmethod
    def _log(diffs: DiffTree, stubs: list[_Stub]) -> dict[str, LoggedCommit]:
        """The stubs' commits from one request; on a git failure, PR by PR, marking the failing ones."""
        try:
            # dict.fromkeys: an off-mainline squash is also a commit of the merge that brought it
            return diffs.commits(list(dict.fromkeys(c for s in stubs for c in s.chain)))
        except GitError:
            logged: dict[str, LoggedCommit] = {}
            for s in stubs:  # isolate the PR whose objects git cannot read
                try:
                    logged.update(diffs.commits(s.chain))
                except GitError as e:
                    s.error = f"git_error: {e}"
            return logged

    def _topology(self, cat: CatFile, seen: set[bytes], window: list[tuple[int, MainlineCommit]]
                  ) -> dict[str, CommitInfo]:
        """sha -> CommitInfo of (most of) the commits this window's merges bring in, read breadth
        first through cat-file: one round trip per level of branch depth, no process per window.
        Shallow repositories ask rev-list, which reports boundary commits parentless. Whatever is
        left out (unreadable objects) `_walk` reads commit by commit, so an error is pinned on one PR."""
        include = [p for _, mc in window for p in mc.parents[1:]]
        if self.shallow:
            try:
                parents = rev_list_parents(self.path, include, window[0][1].parents[:1])
                infos = cat.commits(list(parents))
            except GitError:
                return {}
            blank = CommitInfo([], "")
            return {s: CommitInfo(p, infos.get(s, blank).message, committer=infos.get(s, blank).committer)
                    for s, p in parents.items()}
        known = {mc.sha: CommitInfo(mc.parents, mc.message, iso=mc.date) for _, mc in window}
        frontier = include
        try:
            while ask := list(dict.fromkeys(s for s in frontier if s not in known and bytes.fromhex(s) not in seen)):
                got = cat.commits(ask)
                known.update(got)
                frontier = [p for s in ask if s in got for p in got[s].parents]
        except GitError:
            pass
        return known

    def _walk(self, cat: CatFile, seen: set[bytes], known: dict[str, CommitInfo], index: int,
              mc: MainlineCommit) -> list[_Stub]:
        """Classify one mainline commit and the commits it brings in, and add everything it makes
        reachable to `seen`. Returns its PR candidates in walk order: PRs merged off the
        first-parent chain (parents before children), then the commit itself (always last, so the
        group also marks the mainline position)."""
        sha, parents = mc.sha, mc.parents
        header = self._pull_ref_header(make_pr_header(sha, parents, mc.message), parents, known)
        stub = _Stub(index, sha, parents, header, date=mc.date)
        if header is not None and header.kind == "synthetic" and not self.synthetic:
            stub.header, stub.skipped = None, "non_pr_merges"
        group = []
        if len(parents) >= 2:
            new: dict[str, CommitInfo] = {}
            order: list[str] = []  # the new commits, parents before children
            stack: list[tuple[str, bool]] = [(p, False) for p in reversed(parents[1:])]
            try:
                while stack:
                    s, done = stack.pop()
                    if done:
                        order.append(s)
                        continue
                    if s in new or bytes.fromhex(s) in seen:
                        continue
                    new[s] = info = known[s] if s in known else cat.commit(s)
                    stack.append((s, True))
                    stack.extend((p, False) for p in reversed(info.parents))
            except GitError as e:
                stub.error = f"git_error: {e}"
            cur: str | None = parents[1]
            while cur in new:
                stub.chain.append(cur)
                cur = new[cur].parents[0] if new[cur].parents else None
            stub.chain.reverse()
            stub.snapshot = cur or ""
            if not stub.error:
                group = self._inner_prs(new, order, index)
            seen.update(bytes.fromhex(s) for s in new)
            if len(parents) > 2 and stub.header is not None:
                stub.error = "octopus_merge"
        elif header is not None:
            stub.chain, stub.snapshot = [sha], parents[0]
        seen.add(bytes.fromhex(sha))
        group.append(stub)
        for sub, s in enumerate(group):
            s.sub = sub
            if s.header is not None and s.header.kind != "synthetic":
                h = s.header
                if (h.titled and h.number in self._explicit) or h.number in self._numbers:
                    s.error = s.error or "duplicate_pr"
                else:
                    self._numbers.add(h.number)
        return group

    def _pull_ref_header(self, header: PRHeader | None, parents: list[str], infos: dict[str, CommitInfo]
                         ) -> PRHeader | None:
        """A merge whose message names no PR ("Merge branch 'fix'", a PR merged locally) is PR N
        when its second parent is GitHub's refs/pull/N/head (mirrors fetch them) and no subject in
        the history names N (click merged PR heads into other branches before GitHub merged them);
        titled by the head commit's subject, GitHub's default title (metadata gives the real one)."""
        number = self._pull_heads.get(parents[1]) if header is not None and header.kind == "synthetic" else None
        if number is None or number in self._named:  # a subject naming N wins over the inference
            return header
        head = infos.get(parents[1])
        title = head.message.strip().partition("\n")[0] if head is not None else header.title
        return PRHeader("merge", number, title, header.body)

    def _inner_prs(self, new: dict[str, CommitInfo], order: list[str], index: int) -> list[_Stub]:
        """PR merges and squashes among the commits a mainline merge brings in (merged into the
        branch it merges), each with its own base, head, commits and snapshot."""
        found = []
        for sha in order:
            info = new[sha]
            header = self._pull_ref_header(make_pr_header(sha, info.parents, info.message), info.parents, new)
            if header is None or header.kind == "synthetic":
                continue
            stub = _Stub(index, sha, info.parents, header, date=info.date, mainline=False)
            if header.kind == "squash":
                stub.chain, stub.snapshot = [sha], info.parents[0]
            elif len(info.parents) > 2:
                stub.error = "octopus_merge"
            else:
                try:
                    self._inner_chain(new, stub)
                except GitError as e:
                    stub.error = f"git_error: {e}"
            found.append(stub)
        return found

    def _inner_chain(self, new: dict[str, CommitInfo], stub: _Stub) -> None:
        """The first-parent chain of an off-mainline PR's head not reachable from its base. Inside
        `new` reachability is read from memory; at the first commit the mainline already had, one
        `merge-base --is-ancestor` confirms it is the snapshot (the usual case: the branch forked
        from the maintenance branch), else rev-list gives the exact set (a branch based elsewhere)."""
        base, head = stub.parents[0], stub.parents[1]
        below: set[str] = set()
        stack = [base]
        while stack:
            s = stack.pop()
            if s in new and s not in below:
                below.add(s)
                stack.extend(new[s].parents)
        chain: list[str] = []
        cur: str | None = head
        while cur in new and cur not in below:
            chain.append(cur)
            cur = new[cur].parents[0] if new[cur].parents else None
        if cur is not None and cur not in new and not is_ancestor(self.path, cur, base):
            exact = rev_list_parents(self.path, [head], [base])
            chain, cur = [], head
            while cur in exact:
                chain.append(cur)
                cur = exact[cur][0] if exact[cur] else None
        stub.chain = chain[::-1]
        stub.snapshot = cur or ""

    def _flush(self, stubs: list[_Stub], outcome: dict[tuple[int, int], PullRequest | str],
               screen_counts: dict[tuple[int, int], Counter]) -> Iterator[tuple[int, PullRequest]]:
        """Count a mined window and yield its kept PRs, in walk order. A mainline commit is counted
        after all its candidates (it is the last of its group), so `position` after any yielded PR
        resumes exactly after it."""
        for s in stubs:
            if s.header is not None:
                self.counts["prs_seen"] += 1
                self.counts[f"prs_{s.header.kind}"] += 1
                if not s.mainline:
                    self.counts["prs_off_mainline"] += 1
                result = self._check(s) or outcome.get(s.key)
                self.counts["commits_seen"] += len(s.chain)
                self.counts.update(screen_counts.get(s.key, {}))
                if isinstance(result, PullRequest):
                    self.position = (s.index, s.sub + 1)
                    yield s.index, result
                else:
                    self.drops[result] += 1
            elif s.skipped:
                self.counts[s.skipped] += 1
            elif s.error:  # a merge git could not read: the PRs it brought in are unknown
                self.drops["git_error_merge"] += 1
            if s.mainline:
                self.counts["mainline_commits"] += 1
                self.position = (s.index + 1, 0)
    @staticmethod
    def _check(s: _Stub) -> str | None:
        if s.error:
            return s.error.split(":", 1)[0]
        if not s.chain:
            return "empty_pr"  # the branch was already merged: nothing new
        if not s.snapshot:
            return "no_snapshot"  # the branch has no common history with the mainline
        return None

    def _make_pr(self, s: _Stub, logged: dict[str, LoggedCommit]) -> PullRequest:
        h = s.header
        assert h is not None
        commits = [make_commit(logged[c]) for c in s.chain]
        head = s.parents[1] if h.kind != "squash" else s.sha
        texts = [h.title, h.body, *(c.message for c in commits)]
        linked = make_linked_issues(texts, self.repo_name, h.number)
        return PullRequest(
            id=f"{self.repo_name}#{h.number}", repo=self.repo_name, number=h.number, title=h.title, body=h.body,
            author=commits[0].author, base_sha=s.parents[0], snapshot_sha=s.snapshot, head_sha=head,
            merge_sha=s.sha, merge_kind=h.kind, commits=commits, linked_issues=linked,
            num_linked_issues=len(linked), merged_at=s.date, repo_roots=list(self.repo_roots),
            repo_license=self.repo_license,
        )

    def _add_files(self, cat: CatFile, items: list[tuple[PullRequest, list[LoggedCommit], int]]
                   ) -> dict[int, PullRequest | str]:
        """Fill relevant_files/head_files from the first and last touch of each path; index -> PR or
        drop reason. On a git failure, retries PR by PR so only the unreadable one is dropped."""
        touched = {i: touched_blobs(raws) for _, raws, i in items}
        oids = {i: sorted({b for b, m in (*bf.values(), *af.values()) if b and m != GITLINK})
                for i, (bf, af) in touched.items()}
        try:
            return self._fill(cat, items, touched, oids)
        except GitError:
            if len(items) == 1:
                return {items[0][2]: "git_error"}
        out: dict[int, PullRequest | str] = {}
        for item in items:
            out.update(self._add_files(cat, [item]))
        return out

    def _fill(self, cat, items, touched, oids) -> dict[int, PullRequest | str]:
        cache = self._blobs
        texts = {o: cache.get(o) for os_ in oids.values() for o in os_ if o in cache}
        need = sorted({o for os_ in oids.values() for o in os_ if o not in texts})
        sizes = {o: i[1] if i else 0 for o, i in zip(need, cat.info(need))}
        sizes.update((o, t[0]) for o, t in texts.items())
        out: dict[int, PullRequest | str] = {}
        for _, _, i in items:
            if any(sizes[o] > self.max_file_bytes for o in oids[i]):
                out[i] = "file_too_large"
        wanted = sorted({o for _, _, i in items if i not in out for o in oids[i] if o not in texts})
        for o, raw in zip(wanted, cat.contents(wanted)):
            texts[o] = entry = (len(raw or b""), blob_text(raw))
            if raw is not None:
                cache.put(o, entry)
        for pr, _, i in items:
            if i in out:
                continue
            before, after = touched[i]
            pr.relevant_files = [make_snapshot(p, before[p], texts) for p in pr.changed_paths]
            pr.head_files = [make_snapshot(p, after[p], texts) for p in pr.changed_paths]
            out[i] = pr
        return out


def iter_pull_requests(repo: str | Path, *, repo_name: str, ref: str = "HEAD", **kwargs) -> Iterator[PullRequest]:
    """PRs from the first-parent history of `ref`, oldest first (see GitHistorySource)."""
    for _, pr in GitHistorySource(repo, repo_name=repo_name, ref=ref, **kwargs).iter():
        yield pr
