"""Unified-diff hunks → search/replace edits, and the applier that replays them.

Guarantees: `make_change_edits` turns one FileChange into edits whose Search blocks are each unique
in the file state they apply to (context grows line by line, up to `max_expand` above and below),
so `apply_edits` on the same starting files reproduces the diff's result exactly, trailing newline
included. Anything that cannot be expressed raises RecordDropped with a specific reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agentmt.errors import RecordDropped
from agentmt.types import FileChange

EditKind = Literal["edit", "create", "delete", "rename", "binary"]
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_NO_EOL = "\\"  # git's "\ No newline at end of file" line starts with a backslash


@dataclass(slots=True)
class FileEdit:
    """One rendered action. `edit`: replace the unique `search` with `replace`; `create`: new file
    with content `replace`; `rename`: `old_path` → `path`; `binary`: content not shown (forgotten)."""

    kind: EditKind
    path: str
    search: str = ""
    replace: str = ""
    old_path: str | None = None


@dataclass(slots=True)
class Hunk:
    """Old/new lines (each keeping its "\\n", except a last line without newline); `start` is the
    0-based index in the old file where `old` begins (or where `new` is inserted when `old` is empty)."""

    start: int
    old: list[str]
    new: list[str]


def split_lines(text: str) -> list[str]:
    """Split on "\\n" only (not str.splitlines, which also breaks on \\r, \\x0c, \\u2028...)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def count_occurrences(haystack: str, needle: str) -> int:
    """Occurrences of `needle` in `haystack`, overlapping ones included (what an applier sees)."""
    if not needle:
        return 0
    n, i = 0, haystack.find(needle)
    while i != -1:
        n += 1
        i = haystack.find(needle, i + 1)
    return n


def parse_hunks(diff: str) -> list[Hunk]:
    """Parse unified-diff hunks (text from the first "@@" line on); raises RecordDropped on junk."""
    lines = diff.split("\n")
    hunks: list[Hunk] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line or line.startswith(_NO_EOL):
            i += 1
            continue
        m = _HUNK_HEADER.match(line)
        if not m:
            raise RecordDropped("diff_parse_error", f"unexpected line {line[:60]!r}")
        old_start, old_n = int(m[1]), int(m[2] if m[2] is not None else 1)
        new_n = int(m[4] if m[4] is not None else 1)
        hunk = Hunk(start=old_start if old_n == 0 else old_start - 1, old=[], new=[])
        i += 1
        last = ""
        while len(hunk.old) < old_n or len(hunk.new) < new_n or (i < len(lines) and lines[i].startswith(_NO_EOL)):
            if i >= len(lines):
                raise RecordDropped("diff_parse_error", "hunk shorter than its header says")
            line = lines[i]
            i += 1
            tag, body = (line[:1], line[1:]) if line else (" ", "")  # stripped blank context line
            if tag == _NO_EOL:
                _strip_eol(hunk, last)
                continue
            if tag not in " -+":
                raise RecordDropped("diff_parse_error", f"bad hunk line {line[:60]!r}")
            if tag in " -":
                hunk.old.append(body + "\n")
            if tag in " +":
                hunk.new.append(body + "\n")
            last = tag
        if len(hunk.old) != old_n or len(hunk.new) != new_n:
            raise RecordDropped("diff_parse_error", "hunk longer than its header says")
        hunks.append(hunk)
    return hunks


def _strip_eol(hunk: Hunk, last: str) -> None:
    targets = {" ": (hunk.old, hunk.new), "-": (hunk.old,), "+": (hunk.new,)}.get(last, ())
    if not targets:
        raise RecordDropped("diff_parse_error", "no-newline marker without a preceding line")
    for lst in targets:
        lst[-1] = lst[-1][:-1]


def apply_hunks(content: str, hunks: list[Hunk]) -> str:
    """Apply hunks at their recorded positions, checking every old line; RecordDropped on mismatch."""
    cur = split_lines(content)
    out: list[str] = []
    pos = 0
    for h in hunks:
        if h.start < pos or cur[h.start : h.start + len(h.old)] != h.old:
            raise RecordDropped("diff_mismatch", f"hunk at line {h.start + 1} does not match the file")
        out += cur[pos : h.start] + h.new
        pos = h.start + len(h.old)
    return "".join(out + cur[pos:])


def make_replace_edits(path: str, content: str, hunks: list[Hunk], max_expand: int) -> list[FileEdit]:
    """One `edit` per hunk, top to bottom; each Search is unique in the state it applies to."""
    apply_hunks(content, hunks)  # validates positions and old lines once
    cur = split_lines(content)
    edits: list[FileEdit] = []
    delta = 0
    for h in hunks:
        pos = h.start + delta
        end = pos + len(h.old)
        if not cur:  # an empty file has no neighbours: the empty Search means "the empty file"
            edits.append(FileEdit("edit", path, "", "".join(h.new)))
        else:
            lo, hi = pos, end
            if lo == hi:  # pure insertion: anchor on the line above (or below at the top)
                lo, hi = (lo - 1, hi) if lo > 0 else (lo, hi + 1)
            text = "".join(cur)
            for k in range(max_expand + 1):
                a, b = max(0, lo - k), min(len(cur), hi + k)
                search = "".join(cur[a:b])
                if count_occurrences(text, search) == 1:
                    break
            else:
                raise RecordDropped("ambiguous_search", f"{path}: no unique context within {max_expand} lines")
            replace = "".join(cur[a:pos] + h.new + cur[end:b])
            edits.append(FileEdit("edit", path, search, replace))
        cur[pos:end] = h.new
        delta += len(h.new) - len(h.old)
    return edits


def make_change_edits(
    files: dict[str, str | None], change: FileChange, *, max_expand: int, binary_note: bool
) -> list[FileEdit]:
    """Edits for one FileChange against `files` (path → text, None = binary/unknown), which is
    updated in place. Binary changes become a `binary` note, or drop ("binary_file") if not allowed."""
    path, old = change.path, change.old_path
    if change.binary:
        if not binary_note:
            raise RecordDropped("binary_file", path)
        # The note makes the replayed state "unknown" (None) for this path, as here.
        if change.status == "renamed" and old:
            files.pop(old, None)
        files[path] = None
        return [FileEdit("binary", path)]
    if change.status == "added":
        if path in files:
            raise RecordDropped("diff_mismatch", f"{path} is added but already exists")
        content = apply_hunks("", parse_hunks(change.diff))
        files[path] = content
        return [FileEdit("create", path, replace=content)]
    src = old if change.status in ("renamed", "deleted") and old else path
    if src not in files:
        raise RecordDropped("missing_file", f"{src} is changed but absent from the snapshot")
    if files[src] is None:
        raise RecordDropped("binary_file", f"{src} changes after a binary version")
    if change.status == "deleted":
        del files[src]
        return [FileEdit("delete", src)]
    edits: list[FileEdit] = []
    if change.status == "renamed":
        if path in files:
            raise RecordDropped("diff_mismatch", f"rename target {path} already exists")
        files[path] = files.pop(src)
        edits.append(FileEdit("rename", path, old_path=src))
    hunks = parse_hunks(change.diff)
    if hunks:
        content = files[path] or ""
        edits += make_replace_edits(path, content, hunks, max_expand)
        files[path] = apply_hunks(content, hunks)
    return edits


def apply_edit(files: dict[str, str | None], edit: FileEdit) -> None:
    """Replay one edit on `files`; raises ValueError saying why it cannot apply."""
    p = edit.path
    if edit.kind == "binary":
        files[p] = None
    elif edit.kind == "create":
        if files.get(p) is not None:
            raise ValueError(f"Create: {p} already exists")
        files[p] = edit.replace
    elif edit.kind == "delete":
        if p not in files:
            raise ValueError(f"Delete: {p} does not exist")
        del files[p]
    elif edit.kind == "rename":
        if edit.old_path not in files or p in files:
            raise ValueError(f"Rename: {edit.old_path} -> {p} does not fit the files")
        files[p] = files.pop(edit.old_path)
    else:
        cur = files.get(p)
        if cur is None:
            raise ValueError(f"Edit: {p} does not exist")
        if edit.search == "" and cur == "":
            files[p] = edit.replace
        elif count_occurrences(cur, edit.search) != 1:
            raise ValueError(f"Edit: {p}: Search block found {count_occurrences(cur, edit.search)} times")
        else:
            files[p] = cur.replace(edit.search, edit.replace, 1)


def apply_edits(files: dict[str, str | None], edits: list[FileEdit]) -> dict[str, str | None]:
    """Replay edits in order on a copy of `files` and return it."""
    out = dict(files)
    for e in edits:
        apply_edit(out, e)
    return out
