"""Joining GitHub-shaped metadata onto mined PRs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentmt.errors import InputError
from agentmt.sources.metadata import load_metadata
from agentmt.types import Commit, PullRequest

API = "https://api.github.com/repos/acme/lib"


def write_metadata(d: Path, **overrides) -> Path:
    data = {
        "repo": {"full_name": "acme/lib", "description": "A library", "language": "Python",
                 "stargazers_count": 9, "archived": False, "license": {"key": "mit"}},
        "pulls": [
            {"number": 4, "title": "Fix parsing", "body": "Resolves #2.", "state": "closed",
             "user": {"login": "alice", "type": "User"}, "created_at": "2024-01-01T00:00:00Z",
             "merged_at": "2024-01-02T00:00:00Z", "merge_commit_sha": "m", "merged_by": {"login": "bob"},
             "head": {"ref": "fix", "sha": "h"}, "base": {"ref": "main", "sha": "b"}},
            {"number": 5, "title": "Bump deps", "body": None, "state": "closed",
             "user": {"login": "renovate[bot]", "type": "User"}, "created_at": "2024-01-03T00:00:00Z",
             "merged_at": None, "merge_commit_sha": None, "merged_by": None,
             "head": {"ref": "b", "sha": "h"}, "base": {"ref": "main", "sha": "b"}},
            {"number": 6},  # missing fields: dropped and counted
        ],
        "issues": [{"number": 2, "title": "Parser crashes", "body": "Trace...", "state": "closed",
                    "user": {"login": "carol", "type": "User"}, "created_at": "2023-12-31T00:00:00Z", "comments": 1}],
        "issue_comments": [
            {"id": 11, "issue_url": f"{API}/issues/2", "user": {"login": "dave"}, "body": "Same here",
             "created_at": "2024-01-01T01:00:00Z"},
            {"id": 12, "issue_url": f"{API}/issues/4", "user": {"login": "bob"}, "body": "LGTM overall",
             "created_at": "2024-01-01T02:00:00Z"},
            {"id": 13, "user": {"login": "x"}, "body": "no url"},
        ],
        "reviews": [{"id": 21, "pull_request_url": f"{API}/pulls/4", "user": {"login": "bob"}, "state": "APPROVED",
                     "body": "", "submitted_at": "2024-01-01T03:00:00Z"}],
        "review_comments": [{"id": 31, "pull_request_url": f"{API}/pulls/4", "pull_request_review_id": 21,
                             "user": {"login": "bob"}, "body": "nit", "path": "p.py", "diff_hunk": "@@ -1 +1 @@",
                             "line": 3, "created_at": "2024-01-01T02:30:00Z"}],
    }
    data.update(overrides)
    d.mkdir(parents=True, exist_ok=True)
    for name, value in data.items():
        (d / f"{name}.json").write_text(json.dumps(value))
    return d


def pr(number: int) -> PullRequest:
    return PullRequest(id=f"acme/lib#{number}", repo="acme/lib", number=number, title="git title", body="",
                       author="Alice A", base_sha="b", snapshot_sha="s", head_sha="h", merge_sha="m",
                       merge_kind="merge", commits=[Commit("c", "also fixes #3", "Alice A", "2024")],
                       linked_issues=[3])


def test_join_fills_pr(tmp_path: Path):
    md = load_metadata(write_metadata(tmp_path / "md"))
    assert md.drops == {"metadata_pulls_invalid": 1, "metadata_issue_comments_invalid": 1}
    p = md.join(pr(4))
    assert (p.title, p.body, p.author, p.author_is_bot, p.state) == ("Fix parsing", "Resolves #2.", "alice", False,
                                                                     "merged")
    assert (p.created_at, p.merged_at, p.merged_by) == ("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "bob")
    assert [c.body for c in p.comments] == ["LGTM overall"]
    assert [r.state for r in p.reviews] == ["APPROVED"]
    rc = p.review_comments[0]
    assert (rc.path, rc.line, rc.review_id, rc.diff_hunk) == ("p.py", 3, 21, "@@ -1 +1 @@")
    assert p.linked_issues == [2, 3] and p.num_linked_issues == 2
    assert p.issue.number == 2 and p.issue.author == "carol" and [c.body for c in p.issue.comments] == ["Same here"]
    assert p.repo_description == "A library"


def test_bot_and_unmerged(tmp_path: Path):
    md = load_metadata(write_metadata(tmp_path / "md"))
    p = md.join(pr(5))
    assert p.author_is_bot and p.state == "closed" and p.body == ""
    unknown = md.join(pr(99))
    assert unknown.title == "git title" and unknown.issue is None


@pytest.mark.parametrize("name,text,match", [
    ("pulls", "{not json", "pulls.json is not valid JSON"),
    ("reviews", '{"a": 1}', "reviews.json must hold a JSON list"),
    ("repo", "[]", "repo.json must hold a JSON object"),
])
def test_malformed_file_is_one_input_error(tmp_path: Path, name: str, text: str, match: str):
    d = write_metadata(tmp_path / "md")
    (d / f"{name}.json").write_text(text)
    with pytest.raises(InputError, match=match):
        load_metadata(d)


def test_missing_folder(tmp_path: Path):
    with pytest.raises(InputError, match="holds no pulls.json"):
        load_metadata(tmp_path)
