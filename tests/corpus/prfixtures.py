"""Build PullRequest records by hand, with diffs made by real `git diff --no-index`."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from agentmt.types import Commit, FileChange, FileSnapshot, PullRequest

State = dict[str, str | bytes | None]  # path -> text, bytes (binary) or None (absent)


def git_diff(old: str | None, new: str | None, context: int = 3) -> str:
    """Hunks (from the first "@@" on) of a real `git diff --no-index` between two texts."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, text in (("a", old), ("b", new)):
            if text is None:
                paths.append("/dev/null")
            else:
                p = Path(tmp) / name
                p.write_bytes(text.encode())
                paths.append(str(p))
        out = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", f"-U{context}", *paths],
            capture_output=True, check=False,
        ).stdout.decode()
    i = out.find("\n@@")
    return out[i + 1 :] if i != -1 else ""


def make_changes(before: State, after: State, context: int = 3, renames: dict[str, str] | None = None):
    """FileChanges turning `before` into `after`; `renames` maps old -> new path."""
    renames = renames or {}
    changes = []
    for old, new in renames.items():
        a, b = before[old], after[new]
        binary = isinstance(a, bytes) or isinstance(b, bytes)
        diff = "" if binary or a == b else git_diff(a, b, context)
        changes.append(FileChange("renamed", old, new, diff, binary))
    for path in sorted(set(before) | set(after)):
        if path in renames or path in renames.values():
            continue
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        binary = isinstance(a, bytes) or isinstance(b, bytes)
        status = "added" if a is None else "deleted" if b is None else "modified"
        diff = "" if binary else git_diff(a, b, context)
        changes.append(FileChange(status, None if a is None else path, None if b is None else path, diff, binary))
    return changes


def snapshot(state: State, paths: list[str]) -> list[FileSnapshot]:
    out = []
    for p in paths:
        v = state.get(p)
        out.append(FileSnapshot(p, None if isinstance(v, bytes) else v, isinstance(v, bytes)))
    return out


def make_pr(states: list[State], *, number: int = 7, context: int = 3, renames=None, **fields) -> PullRequest:
    """A PR whose commit i turns states[i] into states[i+1]; renames: {commit index: {old: new}}."""
    renames = renames or {}
    commits = []
    for i in range(len(states) - 1):
        changes = make_changes(states[i], states[i + 1], context, renames.get(i))
        commits.append(Commit(f"{i:040x}", f"Commit {i}\n\nBody of commit {i}.", "Dev One",
                              f"2024-01-0{1 + i % 9}T10:00:00+00:00", changes, [f"{i + 1:040x}"]))
    pr = PullRequest(
        id=f"acme/widgets#{number}", repo="acme/widgets", number=number, title=f"Fix widget {number}",
        body="This fixes the widget.", author="alice", base_sha="b" * 40, snapshot_sha="s" * 40,
        head_sha="h" * 40, merge_sha="m" * 40, merge_kind="merge", commits=commits,
        repo_description="Widgets for everyone", **fields,
    )
    paths = pr.changed_paths
    pr.relevant_files = snapshot(states[0], paths)
    pr.head_files = snapshot(states[-1], paths)
    return pr


def make_golden_pr() -> PullRequest:
    """A hand-built PR with every edit kind, a linked issue, conversation, reviews and a thread."""
    from agentmt.types import Comment, Issue, Review

    s0 = {
        "src/app.py": "import os\n\n\ndef main():\n    return 1\n\n\ndef main():\n    return 1\n",
        "README.md": "# Widgets\n\n```python\nimport widgets\n```\n",
        "old_name.py": "VALUE = 1\nOTHER = 2\n",
        "notes.txt": "no newline at end",
        "obsolete.py": "gone = True\n",
        "logo.png": b"\x89PNG\x00",
    }
    s1 = dict(s0, **{"src/app.py": s0["src/app.py"].replace("import os\n", "import os\nimport sys\n"),
                     "src/empty.py": "", "README.md": s0["README.md"] + "More docs.\n", "notes.txt": "no newline at end\nbut more"})
    del s1["obsolete.py"]
    s2 = dict(s1, **{"src/app.py": s1["src/app.py"][: -len("    return 1\n")] + "    return 2\n",
                     "new_name.py": "VALUE = 10\nOTHER = 2\n", "logo.png": b"\x89PNG\x01"})
    del s2["old_name.py"]
    pr = make_pr(
        [s0, s1, s2], number=42, renames={1: {"old_name.py": "new_name.py"}},
        issue=Issue(12, "Second main returns the wrong value", "main() should return 2.", "carol"),
        linked_issues=[12], summary="Makes the second main return 2 and tidies the package.",
        created_at="2024-01-01T09:00:00Z", merged_at="2024-01-05T12:00:00Z", merged_by="maintainer",
        comments=[Comment(1, "bob", "Thanks! Could you also add sys?", "2024-01-01T12:00:00Z")],
        reviews=[Review(5, "maintainer", "APPROVED", "Looks good to me.", "2024-01-04T08:00:00Z"),
                 Review(6, "bob", "COMMENTED", "", "2024-01-03T08:00:00Z")],
        review_comments=[
            Comment(20, "dave", "Agreed.", "2024-01-03T09:30:00Z", in_reply_to_id=10, review_id=6),
            Comment(10, "bob", "Why 2?", "2024-01-03T08:00:00Z", path="src/app.py",
                    diff_hunk="@@ -8,2 +8,2 @@\n def main():\n-    return 1\n+    return 2", line=9, review_id=6),
        ],
    )
    pr.commits[1].refined_message = "Return 2 from the second main and rename old_name to new_name."
    return pr
