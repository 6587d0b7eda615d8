"""One merged PR as GitHub's GraphQL describes it + its git side → a PullRequest, joined the way
`GitHubMetadata.join` joins metadata JSON onto a record mined from git (same fields, same order
of linked issues), so the two sources give equal records."""

from __future__ import annotations

from collections import Counter

from agentmt.sources.github import queries as q
from agentmt.sources.github.assemble import GitSide, make_commits
from agentmt.sources.prdetect import make_linked_issues
from agentmt.types import PullRequest


def make_pull_request(node: dict, side: GitSide, repo: str, facts: dict, counts: Counter) -> PullRequest:
    """The record of `node` (a PullRequest node of queries.PR); issue bodies are added later.
    `facts`: repo_description, repo_license, repo_roots (per repository, PullRequest fields)."""
    number = int(node["number"])
    commits = make_commits(side.logged)
    h = side.header
    # mine git reads linked issues from the merge commit's message, the join from the PR's text; keep both
    from_git = make_linked_issues([h.title, h.body, *(c.message for c in commits)], repo, number) if h else []
    from_text = make_linked_issues([node.get("title") or "", node.get("body") or "",
                                    *(c.message for c in commits)], repo, number)
    closing = []
    for ref in (node.get("closingIssuesReferences") or {}).get("nodes") or []:
        other = ((ref.get("repository") or {}).get("nameWithOwner") or repo)
        if other.lower() != repo.lower():
            counts["issue_ref_other_repo"] += 1  # an issue of another repository: not this PR's task
            continue
        closing.append(int(ref["number"]))
    linked = list(dict.fromkeys([*from_text, *from_git, *closing]))
    linked = [n for n in linked if n != number]
    if node.get("headRepository") is None:
        counts["head_repository_deleted"] += 1  # commits still come from the base repository's git
    if side.kind == "merge" and node.get("headRefOid") and node["headRefOid"] != side.head_sha:
        counts["head_sha_differs"] += 1
    reviews, review_comments = [], []
    for r in node["reviews"]["nodes"]:
        reviews.append(q.make_review(r))
        if r["comments"]["pageInfo"]["hasNextPage"]:
            counts["review_comments_truncated"] += 1  # >100 comments in one review: the rest are not asked for
        review_comments += [q.make_review_comment(c, reviews[-1].id) for c in r["comments"]["nodes"]]
    return PullRequest(
        id=f"{repo}#{number}", repo=repo, number=number, title=str(node.get("title") or ""),
        body=str(node.get("body") or ""), author=q.login(node.get("author")),
        base_sha=side.base_sha, snapshot_sha=side.snapshot_sha, head_sha=side.head_sha,
        merge_sha=node["mergeCommit"]["oid"], merge_kind=side.kind,  # type: ignore[arg-type]
        commits=commits, linked_issues=linked, num_linked_issues=len(linked),
        comments=sorted((q.make_comment(c) for c in node["comments"]["nodes"]), key=lambda c: c.created_at),
        reviews=sorted(reviews, key=lambda r: r.submitted_at),
        review_comments=sorted(review_comments, key=lambda c: c.created_at),
        author_is_bot=q.is_bot(node.get("author")), state="merged",
        created_at=str(node.get("createdAt") or ""), merged_at=str(node.get("mergedAt") or ""),
        merged_by=q.login(node.get("mergedBy")), **facts,
    )
