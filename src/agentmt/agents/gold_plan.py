"""What a gold replay does, derived from the task's patch: which files to read, how to edit them.

`file_changes` turns a git patch into FileChanges (the shape corpus/edits.py derives search/replace
edits from); `read_view` turns a `str_replace_editor view` observation back into the file's text.
Pure functions: the replay (agents/gold.py) feeds them the container's real observations.
"""

from __future__ import annotations

import re

from agentmt.agents.tools import split_diff
from agentmt.types import FileChange

_VIEW_HEADER = re.compile(r"^Here's the result of running `cat -n` on (.+):\n")
_CLIPPED = "\n<response clipped>"


def unexpressible(section: str) -> str:
    """Why one file's diff section cannot be replayed as editor calls ("" when it can)."""
    head = section.split("\n@@", 1)[0]
    if "GIT binary patch" in section or "\nBinary files " in head:
        return "binary"
    if "\ncopy from " in head:
        return "copy"
    if re.search(r"^(old|new) mode ", head, re.M) and "\n@@" not in section:
        return "mode_change"
    if section.startswith('diff --git "'):
        return "quoted_path"
    # the editor expands tabs and writes "\n" line ends: such a file would change beyond the patch
    if "\t" in section.split("\n", 1)[-1] or "\r" in section:
        return "tabs_or_cr"
    return ""


def file_change(path: str, section: str) -> FileChange:
    """The FileChange of one expressible `diff --git` section (see `unexpressible`)."""
    head, at, body = section.partition("\n@@")
    old = re.search(r"^rename from (.+)$", head, re.M)
    status = "modified"
    if re.search(r"^new file mode ", head, re.M):
        status = "added"
    elif re.search(r"^deleted file mode ", head, re.M):
        status = "deleted"
    elif old:
        status = "renamed"
    old_path = old.group(1) if old else (None if status == "added" else path)
    return FileChange(status=status, old_path=old_path, new_path=None if status == "deleted" else path,
                      diff=("@@" + body) if at else "")


def file_changes(patch: str) -> list[tuple[str, str, str]]:
    """[(path, its diff section, why it is not expressible or "")] in patch order."""
    return [(path, section, unexpressible(section)) for path, section in split_diff(patch)]


def read_view(observation: str, first_line: int = 1) -> tuple[list[str], bool] | None:
    """(the file's lines from `first_line` on, whether the view reached the end), or None when the
    observation is not a `cat -n` view starting at `first_line` (an error, a folder listing)."""
    m = _VIEW_HEADER.match(observation)
    if m is None:
        return None
    body, clipped = observation[m.end():], False
    cut = body.find(_CLIPPED)
    if cut >= 0:
        body, clipped = body[:cut], True
    elif body.endswith("\n"):
        body = body[:-1]  # the view's own closing newline
    rows = body.split("\n")
    if clipped:
        rows = rows[:-1]  # the clip may cut the last shown line in half
    lines = []
    for i, row in enumerate(rows, first_line):
        prefix = "%6d\t" % i
        if not row.startswith(prefix):
            return None
        lines.append(row[len(prefix):])
    return lines, not clipped
