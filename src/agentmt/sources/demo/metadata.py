"""GitHub-REST-shaped JSON for the demo: what the API would return for the replayed history.

`MetadataRecorder` is fed events in time order by the builder and writes repo.json, pulls.json,
issues.json, issue_comments.json, reviews.json and review_comments.json (ids are sequential, so
the files are identical on every build).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentmt.sources.demo.spec import PEOPLE, IssueSpec, PRSpec

REPO_DESCRIPTION = "Small, dependency-free helpers for everyday text and number handling"


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_user(login: str) -> dict[str, Any]:
    person = PEOPLE[login]
    return {
        "login": login,
        "id": person.user_id,
        "type": person.kind,
        "html_url": f"https://github.com/{login}",
    }


def make_diff_hunk(diff: str, line: int) -> str:
    """GitHub's `diff_hunk` of a review comment: the hunk of `diff` up to new-side line `line`."""
    hunk: list[str] = []
    new_line = 0
    for text in diff.splitlines():
        if text.startswith("@@"):
            hunk = [text]
            new_line = int(text.split("+")[1].split(",")[0].split(" ")[0]) - 1
            continue
        if not hunk:
            continue  # file header lines before the first hunk
        hunk.append(text)
        if not text.startswith("-"):
            new_line += 1
            if new_line == line:
                return "\n".join(hunk)
    raise AssertionError(f"line {line} is not part of the diff")


class MetadataRecorder:
    def __init__(self, repo_name: str, created_at: int):
        self.repo_name = repo_name
        self.api = f"https://api.github.com/repos/{repo_name}"
        self.html = f"https://github.com/{repo_name}"
        self.created_at = created_at
        self.issues: dict[int, dict[str, Any]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.issue_comments: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self._next_id = {"comment": 1_100_000_001, "review": 1_900_000_001, "review_comment": 1_500_000_001}

    def _id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind] - 1

    def issue(self, spec: IssueSpec, when: int) -> None:
        self.issues[spec.number] = {
            "number": spec.number,
            "title": spec.title,
            "body": spec.body,
            "user": make_user(spec.author),
            "labels": [{"name": name} for name in spec.labels],
            "state": "open",
            "created_at": iso(when),
            "updated_at": iso(when),
            "closed_at": None,
            "comments": 0,
            "url": f"{self.api}/issues/{spec.number}",
            "html_url": f"{self.html}/issues/{spec.number}",
        }

    def close_issue(self, number: int, when: int) -> None:
        self.issues[number].update(state="closed", closed_at=iso(when), updated_at=iso(when))

    def comment(self, number: int, login: str, body: str, when: int) -> None:
        """A comment on issue or PR `number` (PR conversation comments are issue comments)."""
        cid = self._id("comment")
        self.issue_comments.append(
            {
                "id": cid,
                "issue_url": f"{self.api}/issues/{number}",
                "html_url": f"{self.html}/issues/{number}#issuecomment-{cid}",
                "user": make_user(login),
                "body": body,
                "created_at": iso(when),
                "updated_at": iso(when),
            }
        )
        if number in self.issues:
            self.issues[number]["comments"] += 1
            self.issues[number]["updated_at"] = iso(when)

    def review(self, number: int, login: str, state: str, body: str, commit_id: str, when: int) -> int:
        rid = self._id("review")
        self.reviews.append(
            {
                "id": rid,
                "pull_request_url": f"{self.api}/pulls/{number}",
                "html_url": f"{self.html}/pull/{number}#pullrequestreview-{rid}",
                "user": make_user(login),
                "state": state,
                "body": body,
                "commit_id": commit_id,
                "submitted_at": iso(when),
            }
        )
        return rid

    def review_comment(
        self,
        number: int,
        review_id: int,
        login: str,
        body: str,
        *,
        path: str,
        line: int,
        diff_hunk: str,
        commit_id: str,
        when: int,
        in_reply_to: int | None,
    ) -> int:
        cid = self._id("review_comment")
        record = {
            "id": cid,
            "pull_request_url": f"{self.api}/pulls/{number}",
            "pull_request_review_id": review_id,
            "html_url": f"{self.html}/pull/{number}#discussion_r{cid}",
            "user": make_user(login),
            "body": body,
            "path": path,
            "diff_hunk": diff_hunk,
            "line": line,
            "original_line": line,
            "side": "RIGHT",
            "commit_id": commit_id,
            "original_commit_id": commit_id,
            "created_at": iso(when),
            "updated_at": iso(when),
        }
        if in_reply_to is not None:
            record["in_reply_to_id"] = in_reply_to
        self.review_comments.append(record)
        return cid

    def pull(
        self,
        spec: PRSpec,
        *,
        created_at: int,
        closed_at: int,
        base_sha: str,
        head_sha: str,
        merge_sha: str | None,
    ) -> None:
        merged = merge_sha is not None
        head_owner = self.repo_name.split("/")[0] if PEOPLE[spec.author].kind == "Bot" else spec.author
        self.pulls[spec.number] = {
            "number": spec.number,
            "title": spec.title,
            "body": spec.body,
            "state": "closed",
            "draft": False,
            "user": make_user(spec.author),
            "created_at": iso(created_at),
            "updated_at": iso(closed_at),
            "closed_at": iso(closed_at),
            "merged_at": iso(closed_at) if merged else None,
            "merge_commit_sha": merge_sha,
            "merged_by": make_user(spec.merged_by) if merged else None,
            "head": {"ref": spec.branch, "sha": head_sha, "label": f"{head_owner}:{spec.branch}"},
            "base": {"ref": "main", "sha": base_sha, "label": f"{self.repo_name.split('/')[0]}:main"},
            "url": f"{self.api}/pulls/{spec.number}",
            "html_url": f"{self.html}/pull/{spec.number}",
            "issue_url": f"{self.api}/issues/{spec.number}",
        }

    def make_repo(self) -> dict[str, Any]:
        owner, name = self.repo_name.split("/")
        return {
            "full_name": self.repo_name,
            "name": name,
            "owner": {"login": owner, "type": "Organization"},
            "description": REPO_DESCRIPTION,
            "language": "Python",
            "stargazers_count": 42,
            "forks_count": 7,
            "archived": False,
            "fork": False,
            "default_branch": "main",
            "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
            "created_at": iso(self.created_at),
            "html_url": self.html,
            "url": self.api,
        }

    def write(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = {
            "repo.json": self.make_repo(),
            "pulls.json": [self.pulls[n] for n in sorted(self.pulls)],
            "issues.json": [self.issues[n] for n in sorted(self.issues)],
            "issue_comments.json": self.issue_comments,
            "reviews.json": self.reviews,
            "review_comments.json": self.review_comments,
        }
        for name, data in files.items():
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            (out_dir / name).write_text(text, encoding="utf-8")
