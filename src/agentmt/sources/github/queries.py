"""GraphQL text for merged PRs (one request per page of PRs with their comments, reviews, review
comments and closing references) and for linked issues (one aliased request per page), plus the
parsing of GitHub's nodes into agentmt's Comment / Review / Issue records.

Logins follow REST's spelling: GraphQL names a GitHub App "dependabot", REST "dependabot[bot]",
and the records (and the bot filter) use the REST form.
"""

from __future__ import annotations

from typing import Any

from agentmt.sources.filters import is_bot_account
from agentmt.types import Comment, Issue, Review

# fullDatabaseId (BigInt, sent as a string): GitHub's schema deprecates the 32-bit databaseId of reviews
# and review comments (checked against octokit/graphql-schema); the value is REST's `id`.
COMMENT = "fullDatabaseId author { __typename login } body createdAt"
REVIEW = ("fullDatabaseId author { __typename login } state body submittedAt "
          "comments(first: 100) { pageInfo { hasNextPage endCursor } nodes { " + COMMENT +
          " path diffHunk line replyTo { fullDatabaseId } } }")
PAGE = "pageInfo { hasNextPage endCursor }"
PR = ("number title body createdAt mergedAt author { __typename login } mergedBy { __typename login } "
      "mergeCommit { oid } headRefOid baseRefOid headRepository { nameWithOwner } "
      "closingIssuesReferences(first: 25) { nodes { number repository { nameWithOwner } } } "
      f"comments(first: 100) {{ {PAGE} nodes {{ {COMMENT} }} }} "
      f"reviews(first: 20) {{ {PAGE} nodes {{ {REVIEW} }} }}")
# GraphQL's rate limit charges about (connections asked × their `first`) / 100 points per request: a page
# of 25 PRs costs ~6 points with 20 reviews of 100 comments each (13 with 50 reviews); the rare PR
# with more reviews costs one continuation request (make_more_query).

MERGED_PULLS = (
    "query MergedPulls($owner: String!, $name: String!, $first: Int!, $after: String) { "
    "rateLimit { cost } repository(owner: $owner, name: $name) { nameWithOwner description "
    "pullRequests(states: MERGED, first: $first, after: $after, orderBy: {field: CREATED_AT, direction: ASC}) "
    f"{{ totalCount {PAGE} nodes {{ {PR} }} }} }} }}")

# More of one connection of one PR or issue, when its first page said hasNextPage.
MORE = {
    "pr_comments": ("pullRequest", "comments", COMMENT),
    "pr_reviews": ("pullRequest", "reviews", REVIEW),
    "issue_comments": ("issue", "comments", COMMENT),
}


def make_more_query(kind: str) -> str:
    obj, conn, fields = MORE[kind]
    return (f"query More_{kind}($owner: String!, $name: String!, $number: Int!, $after: String) {{ "
            f"repository(owner: $owner, name: $name) {{ {obj}(number: $number) {{ "
            f"{conn}(first: 100, after: $after) {{ {PAGE} nodes {{ {fields} }} }} }} }} }}")


def make_issues_query(numbers: list[int]) -> str:
    """One request for many issues: an alias per number (a PR number answers as a PullRequest)."""
    parts = [f"i{n}: issueOrPullRequest(number: {n}) {{ __typename ... on Issue {{ number title body "
             f"author {{ __typename login }} comments(first: 100) {{ {PAGE} nodes {{ {COMMENT} }} }} }} }}"
             for n in numbers]
    return ("query LinkedIssues($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { "
            + " ".join(parts) + " } }")


def login(actor: Any) -> str:
    """REST-style login of a GraphQL actor; "" for a deleted account (GraphQL gives null)."""
    if not isinstance(actor, dict):
        return ""
    name = str(actor.get("login") or "")
    if actor.get("__typename") == "Bot" and name and not name.endswith("[bot]"):
        name += "[bot]"
    return name


def is_bot(actor: Any) -> bool:
    """A GraphQL actor of a bot (filters.is_bot_account: the one bot rule)."""
    return isinstance(actor, dict) and is_bot_account(login(actor), str(actor.get("__typename") or ""))


def make_comment(n: dict) -> Comment:
    return Comment(id=int(n["fullDatabaseId"]), author=login(n.get("author")), body=str(n.get("body") or ""),
                   created_at=str(n.get("createdAt") or ""))


def make_review_comment(n: dict, review_id: int) -> Comment:
    c = make_comment(n)
    c.path, c.diff_hunk, c.line = n.get("path"), n.get("diffHunk"), n.get("line")
    reply = (n.get("replyTo") or {}).get("fullDatabaseId")
    c.in_reply_to_id = int(reply) if reply is not None else None
    c.review_id = review_id
    return c


def make_review(n: dict) -> Review:
    return Review(id=int(n["fullDatabaseId"]), author=login(n.get("author")), state=str(n["state"]),
                  body=str(n.get("body") or ""), submitted_at=str(n.get("submittedAt") or ""))


def make_issue(n: dict, comments: list[Comment]) -> Issue:
    return Issue(number=int(n["number"]), title=str(n["title"]), body=str(n.get("body") or ""),
                 author=login(n.get("author")), comments=sorted(comments, key=lambda c: c.created_at))
