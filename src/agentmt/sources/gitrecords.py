"""Records from git output: Commit and FileChange from diff-tree's per-commit output, a PR's files
before its first touch and after its last one, and the cache of decoded blob texts shared across
batches. Pure functions (no git process here)."""

from __future__ import annotations

from agentmt.sources.gitproc import LoggedCommit, RawChange
from agentmt.types import Commit, FileChange, FileSnapshot

STATUS = {"A": "added", "D": "deleted", "M": "modified", "T": "modified", "R": "renamed", "C": "added"}
GITLINK = "160000"  # submodule entries point at commits of another repository



def make_commit(c: LoggedCommit) -> Commit:
    return Commit(sha=c.sha, message=c.message, author=c.author, date=c.date, parents=c.parents,
                  changes=[make_file_change(ch) for ch in c.changes])


def make_file_change(ch: RawChange) -> FileChange:
    """Status, paths and the hunks of one file; binary when git says so or the text is not UTF-8."""
    patch = ch.patch
    binary = GITLINK in (ch.old_mode, ch.new_mode) or b"\nBinary files " in patch or b"\nGIT binary patch" in patch
    diff = ""
    if not binary:
        at = patch.find(b"\n@@")
        try:
            diff = patch[at + 1 :].decode("utf-8") if at >= 0 else ""
        except UnicodeDecodeError:
            binary = True
    return FileChange(status=STATUS.get(ch.status, "modified"), old_path=ch.old_path, new_path=ch.new_path,
                      diff=diff, binary=binary)


def touched_blobs(raws: list[LoggedCommit]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """path -> (blob, mode) before its first touch and after its last touch; (None, None) = absent.
    Exact because the PR's commits form one first-parent chain starting at the snapshot."""
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


def blob_text(raw: bytes | None) -> str | None:
    """A blob's text; None when missing, binary (holds NUL) or not UTF-8."""
    if raw is None or b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def make_snapshot(path: str, blob: tuple, texts: dict[str, tuple[int, str | None]]) -> FileSnapshot:
    oid, mode = blob
    if oid is None:
        return FileSnapshot(path, None)
    text = texts[oid][1] if mode != GITLINK else None
    return FileSnapshot(path, None, binary=True) if text is None else FileSnapshot(path, text)


class BlobCache:
    """Decoded blob texts by object id, least recently used dropped past `budget` bytes: a file's
    head blob in one PR is often its snapshot blob in a later one (a third of all reads in the
    benchmark history)."""

    def __init__(self, budget: int):
        from collections import OrderedDict

        self.budget, self.used = budget, 0
        self.entries: OrderedDict[str, tuple[int, str | None]] = OrderedDict()

    def __contains__(self, oid: str) -> bool:
        return oid in self.entries

    def get(self, oid: str) -> tuple[int, str | None]:
        self.entries.move_to_end(oid)
        return self.entries[oid]

    def put(self, oid: str, entry: tuple[int, str | None]) -> None:
        if oid in self.entries or entry[0] > self.budget:
            return
        self.entries[oid] = entry
        self.used += entry[0]
        while self.used > self.budget:
            self.used -= self.entries.popitem(last=False)[1][0]
