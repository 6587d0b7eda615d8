"""PR-level filters (spec §2.4): pure functions of a PullRequest returning a drop reason or None.

A PR's changed files are the distinct paths its commits touch, a rename counted once under its new
path. Documentation files are those with a documentation extension (.md, .markdown, .rst, .txt,
.adoc, .asciidoc, .rdoc, .org, .textile) or a conventional extensionless name (README, LICENSE,
CHANGELOG, ...): the project files a Python change legitimately touches besides code.
Profiles: "py" applies every filter (D_ctx_py); "gen" only merged + non-bot (D_ctx_gen). Merges
that are not PRs (merge_kind "synthetic", mined only when asked) never enter "py" unless
`synthetic_in_py`. `is_bot_account` is agentmt's one bot rule (git authors and GitHub users alike).
"file_too_large" is judged by the git reader from object sizes (in every profile), so an oversized
blob is never read into memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from agentmt.types import PullRequest

PYTHON_EXTS = [".py", ".pyi", ".pyx", ".pyw"]
DOC_EXTS = [".md", ".markdown", ".mdown", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc", ".org", ".textile"]
DOC_NAMES = ["README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS", "CONTRIBUTORS", "CHANGELOG",
             "CHANGES", "HISTORY", "NEWS", "TODO", "MAINTAINERS"]


class FilterConfig(BaseModel):
    """Which PRs to keep; defaults follow the paper's D_ctx_py filters."""

    profile: Literal["py", "gen"] = "py"
    """"py": all filters (D_ctx_py); "gen": only merged and non-bot, all languages (D_ctx_gen)."""
    python_exts: list[str] = Field(default_factory=lambda: list(PYTHON_EXTS))
    """File extensions counted as Python source."""
    doc_exts: list[str] = Field(default_factory=lambda: list(DOC_EXTS))
    """File extensions counted as documentation."""
    doc_names: list[str] = Field(default_factory=lambda: list(DOC_NAMES))
    """Extensionless base names (matched case-insensitively, any suffix after a dot) counted as documentation."""
    min_python_files: int = 1
    """Fewest changed Python files a kept PR has (py profile)."""
    max_python_files: int = 5
    """Most changed Python files a kept PR has (py profile)."""
    max_changed_files: int = 20
    """Most changed files of any kind a kept PR has (py profile)."""
    synthetic_in_py: bool = False
    """Let merges that are not PRs (mined with synthetic=true) into the py profile."""


def changed_files(pr: PullRequest) -> list[str]:
    """Distinct paths changed by the PR's commits (renames under their new path), first-seen order."""
    seen: dict[str, None] = {}
    for c in pr.commits:
        for ch in c.changes:
            seen.setdefault(ch.path, None)
    return list(seen)


def is_python(path: str, cfg: FilterConfig) -> bool:
    return path.lower().endswith(tuple(cfg.python_exts))


def is_doc(path: str, cfg: FilterConfig) -> bool:
    name = path.rsplit("/", 1)[-1]
    if name.lower().endswith(tuple(cfg.doc_exts)):
        return True
    stem = name.split(".", 1)[0].upper()
    return stem in {n.upper() for n in cfg.doc_names}


def not_merged(pr: PullRequest, cfg: FilterConfig) -> str | None:
    return None if pr.state == "merged" else "not_merged"


def is_bot_account(login: str, account_type: str = "") -> bool:
    """The one bot rule: GitHub says the account is a "Bot", or the login (or git author name) is
    an app's "name[bot]" (dependabot[bot], github-actions[bot], ...)."""
    return account_type == "Bot" or login.strip().lower().endswith("[bot]")


def bot_author(pr: PullRequest, cfg: FilterConfig) -> str | None:
    return "bot_author" if pr.author_is_bot or is_bot_account(pr.author) else None


def synthetic_merge(pr: PullRequest, cfg: FilterConfig) -> str | None:
    return "synthetic_merge" if pr.merge_kind == "synthetic" and not cfg.synthetic_in_py else None


def python_file_count(pr: PullRequest, cfg: FilterConfig) -> str | None:
    n = sum(is_python(p, cfg) for p in changed_files(pr))
    if n < cfg.min_python_files:
        return "too_few_python_files"
    if n > cfg.max_python_files:
        return "too_many_python_files"
    return None


def only_python_or_docs(pr: PullRequest, cfg: FilterConfig) -> str | None:
    ok = all(is_python(p, cfg) or is_doc(p, cfg) for p in changed_files(pr))
    return None if ok else "non_python_files"


def total_file_count(pr: PullRequest, cfg: FilterConfig) -> str | None:
    return "too_many_files" if len(changed_files(pr)) > cfg.max_changed_files else None


Filter = Callable[[PullRequest, FilterConfig], "str | None"]
PROFILES: dict[str, list[Filter]] = {
    "gen": [not_merged, bot_author],
    "py": [not_merged, bot_author, synthetic_merge, total_file_count, python_file_count, only_python_or_docs],
}


def first_drop_reason(pr: PullRequest, cfg: FilterConfig) -> str | None:
    """The reason of the first filter of the profile that rejects `pr`, or None to keep it."""
    for f in PROFILES[cfg.profile]:
        reason = f(pr, cfg)
        if reason:
            return reason
    return None
