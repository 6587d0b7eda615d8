"""`repos select` against the local GitHub: names or search (Link pagination), licence allowlist,
and `mine github` reading its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from github_server import demo_server, make_demo

from agentmt.sources.github.clock import FakeClock
from agentmt.sources.github.mine import mine_github
from agentmt.sources.github.select import select_repos


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


def catalog_repo(i: int, lang: str, lic: str | None) -> dict:
    return {"full_name": f"org{i}/proj{i}", "description": f"project {i}", "stargazers_count": 1000 - i * 10,
            "language": lang, "license": {"key": lic, "spdx_id": lic.upper()} if lic else None,
            "default_branch": "main" if i % 2 else "master"}


def read(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "repos.jsonl").read_text().splitlines()]


def test_search_pages_filters_licences_and_stops_at_limit(demo, tmp_path):
    gh, _ = demo_server(FakeClock(), demo)
    gh.catalog = [catalog_repo(i, "Python" if i % 3 else "Rust", ["mit", "gpl-3.0", None, "apache-2.0"][i % 4])
                  for i in range(1, 31)]
    with gh:
        m = select_repos(tmp_path / "sel", f"api_url={gh.url}", "language=Python", "min_stars=800", "per_page=3",
                         "limit=6", tokens=["good-token"], clock=gh.clock)
    rows = read(tmp_path / "sel")
    assert len(rows) == 6 == m.counts["repos_kept"]
    assert [r["stars"] for r in rows] == sorted((r["stars"] for r in rows), reverse=True)
    assert all(r["language"] == "Python" and r["license"] in ("MIT", "APACHE-2.0") and r["stars"] >= 800
               for r in rows)
    assert set(rows[0]) == {"name", "description", "stars", "language", "license", "default_branch"}
    assert m.drops["license_not_permissive"] >= 1 and m.drops["license_unknown"] >= 1
    pages = [c for c in gh.calls() if c == "/search/repositories"]
    assert len(pages) >= 3  # followed Link: rel="next"


def test_names_then_mine_github_reads_the_selection(demo, tmp_path):
    gh, name = demo_server(FakeClock(), demo)
    with gh:
        gh.catalog = []
        m = select_repos(tmp_path / "sel", f"api_url={gh.url}", names=[name, "ghost/none"], tokens=["good-token"],
                         clock=gh.clock)
        assert [r["name"] for r in read(tmp_path / "sel")] == [name] and m.drops["repo_not_found"] == 1
        assert read(tmp_path / "sel")[0] == {"name": name, "description": read(tmp_path / "sel")[0]["description"],
                                             "stars": 42, "language": "Python", "license": "MIT",
                                             "default_branch": "main"}
        mined = mine_github([str(tmp_path / "sel")], tmp_path / "prs", f"api_url={gh.url}",
                            f"clone_dir={tmp_path / 'c'}", tokens=["good-token"], clock=gh.clock)
    assert mined.extra["repos"] == {name: "mined"} and mined.counts["prs_kept"] > 0


def test_cli_needs_names_or_a_search(tmp_path):
    r = subprocess.run([sys.executable, "-m", "agentmt.cli.main", "repos", "select", "--out", str(tmp_path)],
                       check=False, capture_output=True, text=True, env={"GITHUB_TOKEN": "x", "PATH": "/usr/bin"})
    assert r.returncode == 2 and "language=Python" in r.stderr
