"""One bare mirror per repository: `mine git URL` and `mine github` clone it once and fetch after."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agentmt.sources.repository import mirror


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, text: str) -> str:
    (repo / "f.txt").write_text(text)
    _git(repo, "add", "f.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", text)
    return _git(repo, "rev-parse", "HEAD")


def test_url_and_github_name_share_one_mirror_that_fetches(tmp_path, monkeypatch):
    origin = tmp_path / "hosted" / "acme" / "widgets"
    origin.mkdir(parents=True)
    _git(origin, "init", "-q", "-b", "main")
    first = _commit(origin, "one")
    # https://git.example/ is served from the local folder (git rewrites the URL; no network)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.{(tmp_path / 'hosted').as_uri()}/.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://git.example/")
    folder = tmp_path / "repos"
    (folder / "acme__widgets.git.partial").mkdir(parents=True)  # what a killed clone leaves
    by_url = mirror("https://git.example/acme/widgets", folder)  # as `mine git URL` opens it
    assert _git(by_url, "rev-parse", "main") == first
    second = _commit(origin, "two")
    by_name = mirror("https://git.example/acme/widgets.git", folder, "acme/widgets")  # as `mine github` does
    assert by_name == by_url == folder / "acme__widgets.git"
    assert sorted(p.name for p in folder.iterdir()) == ["acme__widgets.git"]
    assert _git(by_name, "rev-parse", "main") == second  # fetched, not cloned again
