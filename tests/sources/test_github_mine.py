"""`mine github` through a local GitHub (tests/sources/github_server.py) gives the records of
`mine git --metadata` on the same demo, field by field, within the request budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from github_server import demo_server, make_demo

from agentmt import io
from agentmt.sources.github.clock import FakeClock
from agentmt.sources.github.mine import mine_github
from agentmt.sources.mine import mine_git
from agentmt.types import PullRequest


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


def records(folder: Path) -> dict[str, PullRequest]:
    return {p.id: p for p in io.read_records(folder, PullRequest)}


def mine_api(demo: Path, out: Path, *specs: str, **kw):
    clock = FakeClock()
    with demo_server(clock, demo)[0] as gh:
        name = next(iter(gh.repos.values())).full_name
        manifest = mine_github([name], out, f"api_url={gh.url}", f"clone_dir={out.parent / 'clones'}", *specs,
                               tokens=["good-token"], clock=clock, **kw)
        return manifest, gh


@pytest.mark.parametrize("profile", ["py", "gen"])
def test_api_records_equal_git_metadata_records(demo, tmp_path, profile):
    api_manifest, _ = mine_api(demo, tmp_path / "api", f"filters.profile={profile}")
    git_manifest = mine_git(demo / "repo", tmp_path / "git", f"filters.profile={profile}", "progress=false",
                            metadata_dir=demo / "metadata")
    api, ref = records(tmp_path / "api"), records(tmp_path / "git")
    assert sorted(api) == sorted(ref) and len(api) >= (18 if profile == "py" else 22)
    for key in ref:
        a, g = api[key].to_dict(), ref[key].to_dict()
        assert {f for f in g if a[f] != g[f]} == set(), key  # every field, nested records included
    # a squash PR, a multi-commit PR, a linked issue with comments and review threads all came through
    prs = list(api.values())
    assert {p.merge_kind for p in prs} == {"merge", "squash"}
    assert any(len(p.commits) > 1 for p in prs)
    assert any(p.issue is not None and p.issue.comments for p in prs)
    assert any(c.in_reply_to_id for p in prs for c in p.review_comments)
    assert dict(api_manifest.drops) == dict(git_manifest.drops)
    assert api_manifest.counts["prs_kept"] == git_manifest.counts["prs_kept"]


def test_requests_per_pr_within_budget_and_rerun_is_free(demo, tmp_path):
    manifest, gh = mine_api(demo, tmp_path / "out", "filters.profile=gen", "page_size=5")
    seen = manifest.counts["prs_seen"]
    assert seen == 23
    assert manifest.extra["api_requests"] == len(gh.log)  # the client counts what the server saw
    assert len(gh.log) / seen <= 3
    assert manifest.counts["graphql_points"] == 5  # 5 pages of 5 PRs at GitHub's minimum of 1 point
    again, gh2 = mine_api(demo, tmp_path / "out", "filters.profile=gen", "page_size=5")
    assert again.extra["api_requests"] == 0 and gh2.log == []  # finished repositories are not asked again
    assert records(tmp_path / "out").keys() == records(tmp_path / "out").keys()
    assert again.counts == manifest.counts


def test_nested_pages_are_followed(demo, tmp_path):
    """With one comment/review per page, continuation queries fetch the rest; the records stay equal."""
    clock = FakeClock()
    out = tmp_path / "small"
    gh, name = demo_server(clock, demo, nested_page=1)
    with gh:
        mine_github([name], out, f"api_url={gh.url}", f"clone_dir={tmp_path / 'clones'}", "filters.profile=gen",
                    tokens=["good-token"], clock=clock)
    assert any(c.startswith("graphql:More_") for c in gh.calls())
    mine_api(demo, tmp_path / "full", "filters.profile=gen")
    small, big = records(out), records(tmp_path / "full")
    assert {k: v.to_dict() for k, v in small.items()} == {k: v.to_dict() for k, v in big.items()}
