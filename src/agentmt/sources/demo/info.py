"""`DemoInfo`: where the demo lives and which PR numbers exercise which repository feature."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class DemoInfo:
    """Paths are absolute; `features` maps a feature name to the PR numbers that exercise it.

    Names: merge_commit, squash, multi_commit (3+ commits), merged_main_midway, added_file, deleted_file,
    renamed_file, docs_only, bot, many_py_files (>5), mixed_py_non_py, non_utf8, binary, repeated_lines,
    bugfix, linked_issue, issue_many_comments (>20), changes_requested, review_reply_thread, unmerged.
    """

    repo_path: Path  # OUT/repo, a normal git repository with branch main checked out
    metadata_dir: Path  # OUT/metadata, GitHub-REST-shaped JSON lists
    repo_name: str  # "agentmt-demo/textkit"
    bugfix_prs: list[int]  # merged PRs that fix a bug with a test failing before and passing after
    features: dict[str, list[int]] = field(default_factory=dict)
    fail_to_pass: dict[int, list[str]] = field(default_factory=dict)  # bug-fix PR -> pytest node ids
    linked_issues: dict[int, int] = field(default_factory=dict)  # PR -> issue it fixes
    merged_prs: list[int] = field(default_factory=list)  # all PRs present in git, number order
    unmerged_prs: list[int] = field(default_factory=list)  # closed without merging: metadata only
    version: str = ""  # agentmt version that built it

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; paths are stored relative to the demo folder."""
        return {
            "repo_path": "repo",
            "metadata_dir": "metadata",
            "repo_name": self.repo_name,
            "bugfix_prs": self.bugfix_prs,
            "features": self.features,
            "fail_to_pass": {str(k): v for k, v in self.fail_to_pass.items()},
            "linked_issues": {str(k): v for k, v in self.linked_issues.items()},
            "merged_prs": self.merged_prs,
            "unmerged_prs": self.unmerged_prs,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], root: Path) -> DemoInfo:
        root = Path(root).resolve()
        return cls(
            repo_path=root / data["repo_path"],
            metadata_dir=root / data["metadata_dir"],
            repo_name=data["repo_name"],
            bugfix_prs=list(data["bugfix_prs"]),
            features={k: list(v) for k, v in data["features"].items()},
            fail_to_pass={int(k): list(v) for k, v in data["fail_to_pass"].items()},
            linked_issues={int(k): int(v) for k, v in data["linked_issues"].items()},
            merged_prs=list(data["merged_prs"]),
            unmerged_prs=list(data["unmerged_prs"]),
            version=data.get("version", ""),
        )
