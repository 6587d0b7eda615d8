"""Bad input costs one record (or one repository) with a counted reason, never the run."""

from __future__ import annotations

from pathlib import Path

import pytest
from github_server import DemoRepo, demo_server, make_demo

from agentmt import io
from agentmt.errors import InputError
from agentmt.sources.github.clock import FakeClock
from agentmt.sources.github.mine import mine_github
from agentmt.types import PullRequest


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


def mine(gh, names, tmp_path, *specs):
    with gh:
        return mine_github(names, tmp_path / "out", f"api_url={gh.url}", f"clone_dir={tmp_path / 'c'}",
                           "filters.profile=gen", *specs, tokens=["good-token"], clock=gh.clock)


def test_unknown_and_private_repositories_are_dropped_not_raised(demo, tmp_path):
    gh, name = demo_server(FakeClock(), demo)
    gh.add_repo(DemoRepo(demo / "metadata", demo / "repo", full_name="agentmt-demo/secret")).private = True
    manifest = mine(gh, ["nobody/nothing", "agentmt-demo/secret", name], tmp_path)
    assert manifest.extra["repos"] == {"nobody/nothing": "repo_not_found", "agentmt-demo/secret": "repo_forbidden",
                                       name: "mined"}
    assert manifest.drops["repo_not_found"] == 1 and manifest.drops["repo_forbidden"] == 1
    assert manifest.counts["prs_kept"] == 22


def test_deleted_head_repository_and_foreign_issue_reference(demo, tmp_path):
    gh, name = demo_server(FakeClock(), demo)
    repo = next(iter(gh.repos.values()))
    repo.deleted_heads = {12, 22}
    repo.other_repo_refs = {11: "someone/else"}
    manifest = mine(gh, [name], tmp_path)
    assert manifest.counts["head_repository_deleted"] == 2 and manifest.counts["issue_ref_other_repo"] == 1
    prs = {p.number: p for p in io.read_records(tmp_path / "out", PullRequest)}
    assert {12, 22} <= prs.keys() and prs[12].commits and prs[22].commits  # code still comes from git
    assert 1 not in prs[11].linked_issues  # someone/else#1 is not an issue of this repository


def test_huge_diffs_and_missing_merge_commits_are_per_pr_drops(demo, tmp_path):
    gh, name = demo_server(FakeClock(), demo)
    gh.repos[name.lower()].pulls[31]["merge_commit_sha"] = "0" * 40  # history rewritten after the merge
    manifest = mine(gh, [name], tmp_path, "max_diff_bytes=3000", "max_file_bytes=1050")
    drops = manifest.drops
    assert drops["merge_commit_missing"] == 1 and drops["diff_too_large"] >= 1 and drops["file_too_large"] >= 1
    kept = list(io.read_records(tmp_path / "out", PullRequest))
    assert len(kept) == manifest.counts["prs_kept"] > 0
    assert manifest.counts["prs_seen"] == manifest.counts["prs_kept"] + sum(drops.values())
    for pr in kept:
        assert sum(len(ch.diff) for c in pr.commits for ch in c.changes) <= 3000


def test_bad_names_and_missing_tokens_are_user_errors(demo, tmp_path):
    with pytest.raises(InputError, match="OWNER/NAME"):
        mine_github(["just-a-name"], tmp_path / "x", tokens=["t"])
    with pytest.raises(InputError, match="GITHUB_TOKEN"):
        mine_github(["a/b"], tmp_path / "x", tokens=[])


def test_merge_commit_off_every_branch_is_fetched_by_id(demo, tmp_path):
    """A PR merged into a branch deleted since: the clone lacks the commit, the remote serves it by id."""
    gh, name = demo_server(FakeClock(), demo)
    pulls = gh.repos[name.lower()].pulls
    orphan = pulls[22]["head"]["sha"]  # only refs/pull/22/head holds it, which a clone does not copy
    pulls[22]["merge_commit_sha"] = orphan
    manifest = mine(gh, [name], tmp_path)
    assert manifest.counts["merge_commits_fetched"] == 1 and "merge_commit_missing" not in manifest.drops
    pr = {p.number: p for p in io.read_records(tmp_path / "out", PullRequest)}[22]
    assert pr.merge_sha == orphan and [c.sha for c in pr.commits] == [orphan]
