"""A thin, deterministic wrapper over the git CLI for building the demo repository.

Guarantees: the user's and the system's git configuration, hooks and GIT_* variables are ignored;
every command runs with a fixed author, committer and date, so the same calls give the same SHAs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from agentmt.errors import InputError
from agentmt.sources.demo.spec import Person

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
        self._base_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self._base_env.update(
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_CONFIG_NOSYSTEM="1",
            GIT_TERMINAL_PROMPT="0",
            LC_ALL="C",
        )

    def run(self, *args: str, author: Person, when: int, committer: Person | None = None) -> str:
        committer = committer or author
        env = dict(
            self._base_env,
            GIT_AUTHOR_NAME=author.name,
            GIT_AUTHOR_EMAIL=author.email,
            GIT_AUTHOR_DATE=git_date(when),
            GIT_COMMITTER_NAME=committer.name,
            GIT_COMMITTER_EMAIL=committer.email,
            GIT_COMMITTER_DATE=git_date(when),
        )
        proc = subprocess.run(
            ["git", *_CONFIG, *args], cwd=self.path, env=env, capture_output=True, text=True
        )
        # An internal invariant: the history is fixed, so a failing command is a bug in the demo.
        assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr.strip()}"
        return proc.stdout

    def read(self, *args: str) -> str:
        """Run a read-only command (no identity needed)."""
        proc = subprocess.run(
            ["git", *_CONFIG, *args], cwd=self.path, env=self._base_env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr.strip()}"
        return proc.stdout

    def rev(self, ref: str) -> str:
        return self.read("rev-parse", "--verify", ref + "^{commit}").strip()
