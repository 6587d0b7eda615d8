"""A tiny builder of real git repositories for the mining tests (git CLI, fixed dates)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitRepo:
    def __init__(self, path: Path):
        self.path = path
        self.tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Maintainer")
        self.git("config", "user.email", "maint@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, author: str | None = None) -> str:
        self.tick += 1
        env = dict(os.environ, GIT_AUTHOR_DATE=f"2024-01-01T00:{self.tick // 60:02d}:{self.tick % 60:02d}Z",
                   GIT_COMMITTER_DATE=f"2024-01-01T00:{self.tick // 60:02d}:{self.tick % 60:02d}Z")
        if author:
            name, email = author.split(" <")
            env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email.rstrip(">"))
        out = subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True, env=env)
        return out.stdout.decode().strip()

    def commit(self, message: str, files: dict[str, str | bytes | None], author: str | None = None) -> str:
        """Write (str/bytes), delete (None) files and commit them; returns the sha."""
        for rel, content in files.items():
            p = self.path / rel
            if content is None:
                self.git("rm", "-q", rel)
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(content if isinstance(content, bytes) else content.encode())
            self.git("add", rel)
        self.git("commit", "-q", "--allow-empty", "-m", message, author=author)
        return self.sha()

    def mv(self, old: str, new: str) -> None:
        self.git("mv", old, new)

    def sha(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev)

    def checkout(self, branch: str, new: bool = False, start: str | None = None) -> None:
        self.git("checkout", "-q", *(["-b"] if new else []), branch, *([start] if start else []))

    def merge(self, branch: str, message: str) -> str:
        self.git("merge", "-q", "--no-ff", "-m", message, branch)
        return self.sha()

    def merge_pr(self, number: int, branch: str, title: str, body: str = "") -> str:
        """A GitHub merge commit of `branch` into the current branch."""
        msg = f"Merge pull request #{number} from dev/{branch}\n\n{title}" + (f"\n\n{body}" if body else "")
        return self.merge(branch, msg)
