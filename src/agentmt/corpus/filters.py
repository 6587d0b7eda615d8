"""Corpus-level filters for D_ctx (spec §2.9): pure functions returning a drop reason or None.

Dedup is exact on (repo, number), case-insensitive on the repo; decontamination removes every PR of
the SWE-bench Verified repositories; the length cap applies to the tokenized document.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentmt.types import PullRequest

# SWE-bench Verified's 12 repositories (the paper removes all their PRs).
SWEBENCH_VERIFIED_REPOS = (
    "astropy/astropy", "django/django", "matplotlib/matplotlib", "mwaskom/seaborn", "pallets/flask",
    "psf/requests", "pydata/xarray", "pylint-dev/pylint", "pytest-dev/pytest",
    "scikit-learn/scikit-learn", "sphinx-doc/sphinx", "sympy/sympy",
)
RETENTION_THRESHOLDS = (8192, 16384, 32768, 65536, 131072)


def dedup_key(pr: PullRequest) -> str:
    return f"{pr.repo.lower()}#{pr.number}"


def duplicate_reason(pr: PullRequest, seen: set[str]) -> str | None:
    """"duplicate" when (repo, number) is already in `seen` (the caller adds kept keys)."""
    return "duplicate" if dedup_key(pr) in seen else None


def decontam_reason(pr: PullRequest, repos: Iterable[str]) -> str | None:
    return "swebench_verified_repo" if pr.repo.lower() in {r.lower() for r in repos} else None


def issue_comments_reason(pr: PullRequest, max_comments: int) -> str | None:
    """Drop PRs whose linked issue has more than `max_comments` comments (long discussions)."""
    if pr.issue is not None and len(pr.issue.comments) > max_comments:
        return "issue_too_many_comments"
    return None


def length_reason(num_tokens: int, max_tokens: int) -> str | None:
    return "too_long" if num_tokens > max_tokens else None


def pr_reason(pr: PullRequest, seen: set[str], *, repos: Iterable[str], max_issue_comments: int) -> str | None:
    """The first reason to drop `pr` before rendering, or None to keep it."""
    return (
        duplicate_reason(pr, seen)
        or decontam_reason(pr, repos)
        or issue_comments_reason(pr, max_issue_comments)
    )


def retention(token_counts: Iterable[int], thresholds: Iterable[int] = RETENTION_THRESHOLDS) -> dict[str, float]:
    """Fraction of documents at or under each threshold, keyed "8K", "16K", ..."""
    counts = list(token_counts)
    return {
        f"{t // 1024}K": (sum(1 for n in counts if n <= t) / len(counts)) if counts else 0.0 for t in thresholds
    }
