"""D_ctx_gen: a PR as an XML-like event log with raw patches (spec §2.8).

Layout: Repository Context → Relevant Files Context (full snapshot contents) → `Response:` → the
PR's events. The opening `<pr>` event comes first and the merge/close event last; everything in
between (commits by author date, conversation comments, reviews, review-comment threads at their
first comment) is sorted by time, ties broken by event kind then input order, so the output is
deterministic. Commit messages are the original ones (LLM refinement belongs to the py format).
Reviews that are empty COMMENTED containers (GitHub makes one per batch of line comments) are skipped.
"""

from __future__ import annotations

from datetime import datetime, timezone

from agentmt.errors import RecordDropped
from agentmt.types import Comment, Commit, PullRequest

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Tie-break order for events with the same timestamp.
_RANK = {"commit": 0, "comment": 1, "thread": 2, "review": 3}


def parse_time(value: str | None) -> datetime:
    """ISO 8601 (with Z or an offset; naive = UTC); missing or invalid → the epoch (sorts first)."""
    if not value:
        return _EPOCH
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def render_commit(commit: Commit) -> str:
    parts = [f"<pr_commit> {commit.author}: {commit.message.strip()}"]
    for ch in commit.changes:
        name = f"{ch.old_path} -> {ch.new_path}" if ch.status == "renamed" else ch.path
        parts.append(f"<commit_file> {name}")
        if ch.binary:
            parts.append("Binary file")
        elif ch.diff:
            parts.append(f"<patch> {ch.diff.rstrip(chr(10))}\n</patch>")
    return "\n".join(parts)


def group_threads(comments: list[Comment]) -> list[list[Comment]]:
    """Review comments grouped by thread (root = the comment no reply points above), each thread in
    time order, threads in the order of their roots' times."""
    by_id = {c.id: c for c in comments}

    def root(c: Comment) -> int:
        seen = set()
        while c.in_reply_to_id in by_id and c.id not in seen:
            seen.add(c.id)
            c = by_id[c.in_reply_to_id]
        return c.id

    threads: dict[int, list[Comment]] = {}
    for c in comments:
        threads.setdefault(root(c), []).append(c)
    ordered = [sorted(t, key=lambda c: (parse_time(c.created_at), c.id)) for t in threads.values()]
    return sorted(ordered, key=lambda t: (parse_time(t[0].created_at), t[0].id))


def render_thread(thread: list[Comment]) -> str:
    first = thread[0]
    parts = []
    if first.path:
        parts.append(f"<pr_file> {first.path}")
    if first.diff_hunk:
        parts.append(f"<pr_diff_hunk> {first.diff_hunk.rstrip(chr(10))}")
    if first.line is not None:
        parts.append(f"<pr_diff_hunk_comment_line> {first.line}")
    parts += [f"<pr_review_comment> {c.author}: {c.body.strip()}" for c in thread]
    return "\n".join(parts)


def make_events(pr: PullRequest) -> list[str]:
    """The PR's middle events (between opening and merge), in chronological order."""
    events: list[tuple[datetime, int, int, str]] = []
    for i, c in enumerate(pr.commits):
        events.append((parse_time(c.date), _RANK["commit"], i, render_commit(c)))
    for i, c in enumerate(pr.comments):
        events.append((parse_time(c.created_at), _RANK["comment"], i, f"<pr_comment> {c.author}: {c.body.strip()}"))
    for i, r in enumerate(pr.reviews):
        if r.state == "COMMENTED" and not r.body.strip():
            continue
        text = f"<pr_review> {r.author}: {r.body.strip()}\n<pr_review_state> {r.state.lower()}"
        events.append((parse_time(r.submitted_at), _RANK["review"], i, text))
    for i, t in enumerate(group_threads(pr.review_comments)):
        events.append((parse_time(t[0].created_at), _RANK["thread"], i, render_thread(t)))
    events.sort(key=lambda e: e[:3])
    return [e[3] for e in events]


def render_gen(pr: PullRequest, *, max_files: int = 50) -> str:
    """The full gen document (always renderable: binary files are marked, not dropped)."""
    shown = [f for f in pr.relevant_files if f.content is not None and not f.binary]
    if len(shown) > max_files:
        raise RecordDropped("too_many_files", f"{len(shown)} relevant files > {max_files}")
    out = [f"# Repository Context\nName: {pr.repo}\nDescription: {pr.repo_description}\n"]
    files = "".join(f"## {f.path}\n{f.content}{'' if f.content.endswith(chr(10)) or not f.content else chr(10)}"
                    for f in shown)
    out.append(f"# Relevant Files Context\n{files}")
    events = [f"<pr> Title: {pr.title}\n{pr.author}: {(pr.body or '').strip()}"] + make_events(pr)
    merged = pr.state == "merged"
    closer = pr.merged_by if merged else pr.author
    events.append(f"<pr> {closer} <pr_status> closed <pr_is_merged> {merged}")
    out.append("Response:\n" + "\n".join(events))
    return "\n".join(out).rstrip("\n") + "\n"
