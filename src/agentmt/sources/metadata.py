"""GitHub-REST-shaped metadata (a folder of JSON lists) joined onto PRs mined from git.

Guarantees: a file that is not valid JSON or has the wrong top-level shape raises InputError naming
the file; a single record missing a required field is dropped and counted in `drops`
("metadata_<file>_invalid"), never raised. Only `pulls.json` is required; other files may be absent.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmt.errors import InputError
from agentmt.sources.filters import is_bot_account
from agentmt.sources.prdetect import make_linked_issues
from agentmt.types import Comment, Issue, PullRequest, Review

# file stem -> fields every record must carry
REQUIRED: dict[str, tuple[str, ...]] = {
    "pulls": ("number", "title", "user"),
    "issues": ("number", "title", "user"),
    "issue_comments": ("id", "issue_url", "user", "body"),
    "reviews": ("id", "pull_request_url", "user", "state"),
    "review_comments": ("id", "pull_request_url", "user", "body"),
}


@dataclass
class GitHubMetadata:
    """Metadata of one repository, indexed by PR/issue number."""

    repo: dict[str, Any] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    issue_comments: dict[int, list[Comment]] = field(default_factory=lambda: defaultdict(list))
    reviews: dict[int, list[Review]] = field(default_factory=lambda: defaultdict(list))
    review_comments: dict[int, list[Comment]] = field(default_factory=lambda: defaultdict(list))
    drops: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)

    @property
    def full_name(self) -> str:
        return str(self.repo.get("full_name") or "")

    def join(self, pr: PullRequest) -> PullRequest:
        """Fill `pr` in place from the metadata of its number (left as mined when there is none)."""
        p = self.pulls.get(pr.number)
        if p is None:
            self.counts["metadata_pr_not_found"] += 1
            return pr
        self.counts["metadata_pr_joined"] += 1
        pr.title = str(p["title"])
        pr.body = str(p.get("body") or "")
        pr.author = _login(p["user"])
        pr.author_is_bot = is_bot(p["user"])
        pr.created_at = str(p.get("created_at") or "")
        pr.merged_at = str(p.get("merged_at") or "")
        pr.merged_by = _login(p.get("merged_by"))
        pr.state = "merged" if p.get("merged_at") else "closed"
        pr.comments = sorted(self.issue_comments.get(pr.number, []), key=lambda c: c.created_at)
        pr.reviews = sorted(self.reviews.get(pr.number, []), key=lambda r: r.submitted_at)
        pr.review_comments = sorted(self.review_comments.get(pr.number, []), key=lambda c: c.created_at)
        texts = [pr.title, pr.body, *(c.message for c in pr.commits)]
        linked = make_linked_issues(texts, self.full_name or pr.repo, pr.number)
        pr.linked_issues = list(dict.fromkeys([*linked, *pr.linked_issues]))
        pr.num_linked_issues = len(pr.linked_issues)
        pr.issue = next((self._issue(n) for n in pr.linked_issues if n in self.issues), None)
        pr.repo_description = str(self.repo.get("description") or "")
        lic = self.repo.get("license")  # GitHub: {"key", "spdx_id", ...}; wins over the LICENSE file
        if isinstance(lic, dict) and (lic.get("spdx_id") or lic.get("key")):
            pr.repo_license = str(lic.get("spdx_id") or lic.get("key"))
        return pr

    def _issue(self, number: int) -> Issue:
        i = self.issues[number]
        comments = sorted(self.issue_comments.get(number, []), key=lambda c: c.created_at)
        return Issue(number=number, title=str(i["title"]), body=str(i.get("body") or ""),
                     author=_login(i["user"]), comments=comments)


def is_bot(user: Any) -> bool:
    """A GitHub user object of a bot (filters.is_bot_account: the one bot rule)."""
    return isinstance(user, dict) and is_bot_account(_login(user), str(user.get("type") or ""))


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _number_from_url(url: Any) -> int:
    return int(str(url).rstrip("/").rsplit("/", 1)[1])


def _read_json(path: Path, want: type) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path} is not valid JSON ({e}): fix or re-export the file") from None
    if not isinstance(data, want):
        raise InputError(f"{path} must hold a JSON {'list' if want is list else 'object'} at the top level, "
                         f"got {type(data).__name__}")
    return data


def _valid(record: Any, kind: str) -> bool:
    return isinstance(record, dict) and all(record.get(k) is not None for k in REQUIRED[kind])


def load_metadata(metadata_dir: str | Path) -> GitHubMetadata:
    """Read a metadata folder (repo.json, pulls.json, issues.json, *comments.json, reviews.json)."""
    d = Path(metadata_dir)
    if not (d / "pulls.json").is_file():
        raise InputError(f"{d} holds no pulls.json: pass a folder of GitHub metadata (see `agentmt demo init`)")
    md = GitHubMetadata()
    if (d / "repo.json").is_file():
        md.repo = _read_json(d / "repo.json", dict)
    for kind in REQUIRED:
        path = d / f"{kind}.json"
        if not path.is_file():
            continue
        for rec in _read_json(path, list):
            try:
                if not _valid(rec, kind):
                    raise ValueError("missing field")
                _add(md, kind, rec)
            except (ValueError, IndexError, TypeError, AttributeError):
                md.drops[f"metadata_{kind}_invalid"] += 1
    return md


def _add(md: GitHubMetadata, kind: str, r: dict[str, Any]) -> None:
    if kind == "pulls":
        md.pulls[int(r["number"])] = r
    elif kind == "issues":
        md.issues[int(r["number"])] = r
    elif kind == "issue_comments":
        md.issue_comments[_number_from_url(r["issue_url"])].append(
            Comment(id=int(r["id"]), author=_login(r["user"]), body=str(r["body"]),
                    created_at=str(r.get("created_at") or "")))
    elif kind == "reviews":
        md.reviews[_number_from_url(r["pull_request_url"])].append(
            Review(id=int(r["id"]), author=_login(r["user"]), state=str(r["state"]),
                   body=str(r.get("body") or ""), submitted_at=str(r.get("submitted_at") or "")))
    else:
        md.review_comments[_number_from_url(r["pull_request_url"])].append(
            Comment(id=int(r["id"]), author=_login(r["user"]), body=str(r["body"]),
                    created_at=str(r.get("created_at") or ""), path=r.get("path"), diff_hunk=r.get("diff_hunk"),
                    line=r.get("line"), in_reply_to_id=r.get("in_reply_to_id"),
                    review_id=r.get("pull_request_review_id")))
