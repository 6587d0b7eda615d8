"""A thin, deterministic wrapper over the git CLI for building the demo repository.

Guarantees: the user's and the system's git configuration, hooks and GIT_* variables are ignored;
every command runs with a fixed author, committer and date, so the same calls give the same SHAs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from agentmt.errors import InputError
from agentmt.sources.demo.spec import Person
from agentmt.sources.gitproc import run_git

# Settings that would otherwise come from ~/.gitconfig or /etc/gitconfig and could change objects.
_CONFIG = (
    "-c", "commit.gpgsign=false",
    "-c", "tag.gpgsign=false",
    "-c", "core.autocrlf=false",
    "-c", "core.safecrlf=false",
    "-c", "core.hooksPath=" + os.devnull,
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
    "-c", "advice.detachedHead=false",
)  # fmt: skip


def git_date(epoch: int) -> str:
    """Git's raw date format: seconds since the epoch and a UTC offset."""
    return f"{epoch} +0000"


class GitCLI:
    """Runs git in one repository as a given author/committer at a given time."""

    def __init__(self, path: Path):
        if shutil.which("git") is None:
            raise InputError("git is not installed: install git (the demo is built with the git CLI)")
        self.path = path

    def run(self, *args: str, author: Person, when: int, committer: Person | None = None) -> str:
        committer = committer or author
        env = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": git_date(when),
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": git_date(when),
        }
        return self._git(args, env)

    def read(self, *args: str) -> str:
        """Run a read-only command (no identity needed)."""
        return self._git(args, {})

    def _git(self, args: tuple[str, ...], env: dict[str, str]) -> str:
        # isolated: no GIT_* variable or user/system config of the caller changes the objects
        proc = run_git(self.path, *_CONFIG, *args, env=env, isolated=True)
        # An internal invariant: the history is fixed, so a failing command is a bug in the demo.
        assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}"
        return proc.stdout.decode("utf-8", "replace")

    def rev(self, ref: str) -> str:
        return self.read("rev-parse", "--verify", ref + "^{commit}").strip()
