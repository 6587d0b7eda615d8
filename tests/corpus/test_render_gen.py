"""gen format: golden document, chronological events, threads, binary marker."""

from __future__ import annotations

from golden_util import check_golden
from prfixtures import make_golden_pr, make_pr

from agentmt.corpus.render_gen import group_threads, parse_time, render_gen
from agentmt.types import Comment, Review


def test_golden_gen_document():
    check_golden("pr42.gen.txt", render_gen(make_golden_pr()))


def test_events_are_chronological_with_open_first_and_merge_last():
    text = render_gen(make_golden_pr())
    body = text.split("Response:\n", 1)[1]
    order = ["<pr> Title: Fix widget 42", "<pr_commit> Dev One: Commit 0", "<pr_comment> bob",
             "<pr_commit> Dev One: Commit 1", "<pr_review_comment> bob: Why 2?", "<pr_review_comment> dave",
             "<pr_review> maintainer", "<pr> maintainer <pr_status> closed <pr_is_merged> True"]
    pos = [body.index(o) for o in order]
    assert pos == sorted(pos) and body.rstrip().endswith(order[-1])
    assert "<commit_file> logo.png\nBinary file" in body
    assert "<pr_review> bob" not in body  # empty COMMENTED container review


def test_relevant_files_context_precedes_response():
    text = render_gen(make_golden_pr())
    assert text.index("# Relevant Files Context\n## README.md\n# Widgets") < text.index("Response:")


def test_ties_and_timezones_are_deterministic():
    pr = make_pr([{"a.py": "x\n"}, {"a.py": "y\n"}])
    pr.commits[0].date = "2024-01-01T12:00:00+02:00"  # 10:00 UTC
    pr.comments = [Comment(2, "z", "second", "2024-01-01T10:00:00Z"), Comment(1, "y", "first", "2024-01-01T09:59:59Z")]
    pr.reviews = [Review(3, "r", "CHANGES_REQUESTED", "fix it", "2024-01-01T10:00:00")]
    body = render_gen(pr).split("Response:\n")[1]
    seq = [body.index(s) for s in ("<pr_comment> y", "<pr_commit>", "<pr_comment> z", "<pr_review> r")]
    assert seq == sorted(seq)
    assert "<pr_review_state> changes_requested" in body
    assert render_gen(pr) == render_gen(pr)


def test_threads_follow_reply_chains():
    cs = [Comment(3, "c", "re re", "2024-01-03T00:00:00Z", in_reply_to_id=2),
          Comment(1, "a", "root", "2024-01-01T00:00:00Z", path="f.py"),
          Comment(2, "b", "re", "2024-01-02T00:00:00Z", in_reply_to_id=1),
          Comment(4, "d", "other", "2023-12-31T00:00:00Z", path="g.py")]
    assert [[c.id for c in t] for t in group_threads(cs)] == [[4], [1, 2, 3]]
    assert parse_time("garbage") < parse_time("2000-01-01")
