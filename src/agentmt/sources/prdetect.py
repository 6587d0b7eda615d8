"""Pure parsing of commit messages: which mainline commits are PRs, and which issues a PR closes.

PR kinds, in order of precedence:
- "merge": a merge commit whose subject is GitHub's "Merge pull request #N from owner/branch" (or a
  merge bot's: homu, bors-ng); the title is the first non-empty line of the body (GitHub writes the
  PR title there), else the branch.
  Also a merge commit whose subject ends with "(#N)": GitHub's "pull request title" merge message
  (a third of click's PR merges since 2023), title = subject without the suffix.
- "squash": a non-merge commit whose subject ends with "(#N)"; title = subject without the suffix.
- "synthetic": any other two-parent merge commit ("Merge branch '8.1.x'"). Its number is negative and derived from the merge
  sha: -(int(sha[:8], 16) % 10**9 + 1), so it is stable across reruns, never collides with a real
  PR number and is 1-to-1 with the merge commit for practical purposes (collisions ~1e-9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MERGE_RE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
# Merge bots that name the PR the same way: homu's "Auto merge of #N - user:branch, r=x" (werkzeug
# 2015-16) and bors-ng's "Merge #N" (one PR; a batch "Merge #1 #2" names no single PR).
BOT_MERGE_RES = (re.compile(r"^Auto merge of #(\d+) - ([^\s,]+)"), re.compile(r"^Merge #(\d+)()\s*$"))
SQUASH_RE = re.compile(r"^(?P<title>.*\S)\s+\(#(?P<num>\d+)\)\s*$")
# GitHub's closing keywords, optionally with a colon, and "#N" or "owner/repo#N".
LINK_RE = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+(?:(?P<repo>[\w.-]+/[\w.-]+))?#(?P<num>\d+)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class PRHeader:
    kind: str  # merge | squash | synthetic
    number: int
    title: str
    body: str
    titled: bool = False  # the number comes from a "(#N)" suffix, a convention older than GitHub's
    # squash button (werkzeug's 2008 commits cite Trac tickets so): GitHub's own "Merge pull request #N" wins


def explicit_numbers(subjects: list[str]) -> tuple[set[int], set[int]]:
    """(PR numbers GitHub's or a merge bot's "Merge pull request #N from ..." subjects name, those
    any PR subject names, "(#N)" included)."""
    explicit, named = set(), set()
    for s in subjects:
        if m := _explicit_merge(s):
            explicit.add(int(m.group(1)))
        elif m := SQUASH_RE.match(s):
            named.add(int(m.group("num")))
    return explicit, named | explicit


def _explicit_merge(subject: str) -> re.Match | None:
    return MERGE_RE.match(subject) or next((m for r in BOT_MERGE_RES if (m := r.match(subject))), None)


def synthetic_number(merge_sha: str) -> int:
    return -(int(merge_sha[:8], 16) % 10**9 + 1)


def make_pr_header(sha: str, parents: list[str], message: str) -> PRHeader | None:
    """Classify one mainline commit; None when it is not a PR (a direct commit or a root commit)."""
    subject, _, rest = message.strip("\n").partition("\n")
    rest = rest.strip("\n")
    if len(parents) >= 2:
        m = _explicit_merge(subject)
        if m:
            title, _, body = rest.partition("\n")
            return PRHeader("merge", int(m.group(1)), title.strip() or m.group(2), body.strip("\n"))
        m = SQUASH_RE.match(subject)
        if m:
            return PRHeader("merge", int(m.group("num")), m.group("title"), rest, titled=True)
        return PRHeader("synthetic", synthetic_number(sha), subject.strip(), rest)
    if len(parents) == 1:
        m = SQUASH_RE.match(subject)
        if m:
            return PRHeader("squash", int(m.group("num")), m.group("title"), rest, titled=True)
    return None


def make_linked_issues(texts: list[str], repo_name: str, own_number: int | None = None) -> list[int]:
    """Issue numbers closed by closing keywords in `texts`, first-seen order, same repository only."""
    found: dict[int, None] = {}
    for text in texts:
        for m in LINK_RE.finditer(text or ""):
            repo = m.group("repo")
            if repo and repo.lower() != repo_name.lower():
                continue
            n = int(m.group("num"))
            if n != own_number:
                found.setdefault(n, None)
    return list(found)
