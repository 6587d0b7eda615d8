"""The two enhancement prompts of spec §2.5 and the cleaning of their answers; pure functions only.

Templates live in `configs/prompts/enhance.yaml` (or any YAML with the same keys); rendering and
cleaning are deterministic, so a prompt's hash identifies a cached answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from agentmt.config import load_prompt_templates
from agentmt.types import Commit, PullRequest

TEMPLATE_KEYS = ("summary", "summary_issue", "summary_changed_file", "summary_commit", "diff_file", "refine")
TRUNCATION_NOTE = "\n... (truncated)"

# A model often echoes the prompt's last line ("Summary:") or wraps its answer in a label.
_ECHO = re.compile(
    r"^[\s#*_>]*(?:the\s+)?(?:pr\s+)?(?:summary|(?:refined|optimized|optimised|improved|original)?\s*commit\s+message)"
    r"\s*[:：][ \t*_]*",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```[\w-]*\n(.*?)\n?```$", re.DOTALL)


@lru_cache(maxsize=8)
def load_templates(path: str | None = None) -> dict[str, str]:
    """Templates from `path`, or the built-in `prompts/enhance.yaml`; every key must be present."""
    data = load_prompt_templates(path, "enhance", TEMPLATE_KEYS)
    return {k: data[k] for k in TEMPLATE_KEYS}


def truncate_patch(patch: str, limit: int | None) -> str:
    """The first `limit` characters of a patch, marked when cut; None keeps it whole."""
    if limit is None or len(patch) <= limit:
        return patch
    return patch[:limit] + TRUNCATION_NOTE


def _diffs(t: dict[str, str], commit: Commit, patch_chars: int | None) -> str:
    blocks = []
    for ch in commit.changes:
        patch = "(binary file)" if ch.binary else truncate_patch(ch.diff, patch_chars)
        blocks.append(t["diff_file"].format(path=ch.path, patch=patch.rstrip("\n")))
    return "\n".join(blocks)


def make_summary_prompt(pr: PullRequest, *, patch_chars: int | None = None, templates: dict[str, str]) -> str:
    """The PR-summary prompt: repository, PR text, linked issue, changed files, every commit's diffs."""
    t = templates
    issue = ""
    if pr.issue is not None:
        issue = t["summary_issue"].format(issue_title=pr.issue.title, issue_body=pr.issue.body.strip())
    commits = "\n".join(
        t["summary_commit"].format(message=c.message.strip(), diffs=_diffs(t, c, patch_chars))
        for c in pr.commits
    )
    return t["summary"].format(
        repo_name=pr.repo,
        repo_description=pr.repo_description,
        title=pr.title,
        body=pr.body.strip(),
        issue=issue,
        changed_files="\n".join(t["summary_changed_file"].format(path=p) for p in pr.changed_paths),
        commits=commits,
    )


def fit_prompt(
    render: Callable[[int | None], str], cuts: list[int | None], max_chars: int | None
) -> str | None:
    """The first `render(cut)` no longer than `max_chars`, trying ever tighter patch cuts; None if none fits."""
    for cut in cuts:
        prompt = render(cut)
        if max_chars is None or len(prompt) <= max_chars:
            return prompt
    return None


def make_refine_prompt(
    commit: Commit, summary: str, *, patch_chars: int | None, templates: dict[str, str]
) -> str:
    """The commit-message refinement prompt; it needs the PR summary, so summaries come first."""
    return templates["refine"].format(
        summary=summary.strip(),
        message=commit.message.strip(),
        diffs=_diffs(templates, commit, patch_chars),
    )


def clean_output(text: str, max_chars: int) -> str | None:
    """Strip echoes of the prompt's label and code fences, cap the length; None when nothing is left."""
    out = text.strip()
    while True:  # labels and fences may wrap each other in either order
        fence = _FENCE.match(out)
        stripped = fence.group(1).strip() if fence else _ECHO.sub("", out, count=1).strip()
        if stripped == out:
            break
        out = stripped
    if len(out) > max_chars:
        # Cut at the last line or word boundary so the text does not end mid-word.
        cut = out[:max_chars]
        boundary = max(cut.rfind("\n"), cut.rfind(" "))
        out = (cut[:boundary] if boundary > max_chars // 2 else cut).rstrip()
    return out or None
