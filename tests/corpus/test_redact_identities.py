"""Privacy redaction of PullRequests: pseudonyms consistent within a PR, salted, bots kept, round trip kept."""

from __future__ import annotations

import copy

from prfixtures import make_pr

from agentmt.corpus.redact import redact_pr
from agentmt.corpus.render_gen import render_gen
from agentmt.corpus.render_py import check_py_roundtrip, render_py
from agentmt.types import Comment, Review

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"


def _pr(number: int = 7):
    before = {"app/settings.py": 'DEBUG = False\nMAINTAINER = "alice.smith@corp.example.com"\n'}
    after = {"app/settings.py": f'DEBUG = False\nMAINTAINER = "alice.smith@corp.example.com"\nTOKEN = "{TOKEN}"\n'}
    pr = make_pr([before, after], number=number)  # author "alice"
    pr.body = "Adds the token. cc @bob-b and @dependabot[bot]; questions to alice.smith@corp.example.com"
    pr.commits[0].author = "Alice Smith"
    pr.commits[0].message = "Add token\n\nCo-authored-by: Carol Jones <carol@example.org>\n"
    pr.comments = [Comment(1, "bob-b", "Thanks Alice Smith! @alice please rotate it later.", "2024-01-02"),
                   Comment(2, "dependabot[bot]", "Bumps foo from 1 to 2.", "2024-01-03")]
    pr.reviews = [Review(3, "bob-b", "APPROVED", "lgtm", "2024-01-04")]
    pr.merged_by = "bob-b"
    return pr


def _all_text(pr) -> str:
    return render_gen(pr) + "\n" + "\n".join(c.message for c in pr.commits)


def test_identities_become_consistent_pseudonyms_and_bots_keep_names():
    pr = _pr()
    counts = redact_pr(pr, salt="s1")
    text = _all_text(pr)
    for ident in ("alice", "Alice Smith", "bob-b", "Carol Jones", "carol@example.org", "alice.smith@corp"):
        assert ident.lower() not in text.lower(), ident
    assert "dependabot[bot]" in text
    assert pr.author.startswith("user_") and f"@{pr.author}" in pr.comments[0].body  # @alice -> same pseudonym
    assert pr.merged_by == pr.comments[0].author == pr.reviews[0].author  # bob-b everywhere the same
    assert "Co-authored-by: user_" in pr.commits[0].message
    assert counts["identity_pseudonymized"] > 0


def test_pseudonyms_depend_on_salt_and_document():
    a, b, c = _pr(7), _pr(7), _pr(8)
    redact_pr(a, salt="s1")
    redact_pr(b, salt="s2")
    redact_pr(c, salt="s1")
    assert a.author != b.author  # irreversible without the salt: another salt, another name
    assert a.author != c.author  # another document, another name: documents cannot be joined on it
    again = _pr(7)
    redact_pr(again, salt="s1")
    assert again.author == a.author  # deterministic: reruns reproduce the same output


def test_identity_redaction_can_be_turned_off():
    pr = _pr()
    redact_pr(pr, salt="s", identities=False)
    assert pr.author == "alice" and "Alice Smith" in _all_text(pr)
    assert TOKEN not in render_py(pr)


def test_py_round_trip_holds_after_redacting_code():
    pr = _pr()
    original = copy.deepcopy(pr)
    check_py_roundtrip(render_py(original), original)
    redact_pr(pr, salt="s1")
    text = render_py(pr)
    check_py_roundtrip(text, pr)  # raises RecordDropped when the edits no longer replay to the head
    assert TOKEN not in text and "<SECRET:github_token>" in text
    assert "alice.smith@corp.example.com" not in text and "@example.invalid" in text
