"""A real git repository with many merged PRs, written in one `git fast-import` (seconds, not minutes)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_bulk_repo(path: Path, num_prs: int) -> Path:
    """`num_prs` GitHub merge commits on main, each merging one commit touching code and its test."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[str] = []
    when = 1_700_000_000

    def commit(mark: int, branch: str, parent: int | None, merged: int | None, message: str, files: dict) -> None:
        nonlocal when
        when += 60
        stream.append(f"commit refs/heads/{branch}\nmark :{mark}\n"
                      f"author Dev <dev@example.com> {when} +0000\ncommitter Dev <dev@example.com> {when} +0000\n"
                      f"data {len(message.encode())}\n{message}\n")
        stream.extend([f"from :{parent}\n"] if parent else [])
        stream.extend([f"merge :{merged}\n"] if merged else [])
        for rel, text in files.items():
            stream.append(f"M 644 inline {rel}\ndata {len(text.encode())}\n{text}\n")

    commit(1, "main", None, None, "init", {"pkg/__init__.py": "", "tests/test_a.py": "def test_a():\n    pass\n"})
    main, mark = 1, 2
    for i in range(1, num_prs + 1):
        commit(mark, "topic", main, None, f"fix {i}", {f"pkg/m{i % 50}.py": f"def f():\n    return {i}\n",
                                                        f"tests/test_m{i % 50}.py": f"def test_f():\n    assert {i}\n"})
        commit(mark + 1, "main", main, mark, f"Merge pull request #{i} from dev/topic{i}\n\nFix issue {i}", {})
        main, mark = mark + 1, mark + 2
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)
    subprocess.run(["git", "-C", str(path), "branch", "-q", "-D", "topic"], check=True)
    return path
