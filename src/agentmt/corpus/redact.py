"""Privacy redaction of a PullRequest before rendering: identities become pseudonyms, secrets placeholders.

Guarantees:
- A person's login, author name or email gets the same pseudonym everywhere in one PR (so a thread
  still reads naturally), a different one in another PR (so documents cannot be joined on it), and
  it cannot be reversed without the salt: `user_` + HMAC-SHA256(salt, pr id + identity)[:8 hex].
- Bots (the mining's one rule, agentmt.sources.filters.is_bot_account) keep their names.
- Identities are replaced in every text field (title, body, comments, reviews, review comments,
  issue, commit messages and authors, merged_by, Co-authored-by trailers, @mentions); in file
  contents and diffs only emails are, line by line, as secrets are (agentmt.corpus.secrets), so the
  snapshot, the head and every diff stay consistent and the py round trip holds after redaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable

from agentmt.corpus import secrets
from agentmt.types import PullRequest

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b")
MENTION = re.compile(r"(?<![\w@./-])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}[A-Za-z0-9])?(?:\[bot\])?)(?![\w@-])")
COAUTHOR = re.compile(r"(?im)^(co-authored-by|signed-off-by|reviewed-by|reported-by|acked-by):\s*(.+?)\s*(<[^>\n]*>)?\s*$")
NOREPLY = "users.noreply.github.com"


def is_bot_name(name: str) -> bool:
    """The mining's one bot rule (agentmt.sources.filters.is_bot_account), on a login or author name."""
    from agentmt.sources.filters import is_bot_account

    return is_bot_account(name)


class Pseudonymizer:
    """Maps identities of one document to salted pseudonyms (see the module docstring)."""

    def __init__(self, salt: str, doc_id: str):
        self.key = hashlib.sha256(f"{salt}\0{doc_id}".encode()).digest()
        self.counts: Counter = Counter()

    def name(self, identity: str) -> str:
        ident = identity.strip()
        if not ident or is_bot_name(ident):
            return identity
        self.counts["identity_pseudonymized"] += 1
        digest = hmac.new(self.key, ident.lower().encode(), hashlib.sha256).hexdigest()[:8]
        return f"user_{digest}"

    def email(self, m: re.Match) -> str:
        addr = m.group(0)
        local, _, domain = addr.partition("@")
        if domain.lower().endswith(NOREPLY):  # 1234+login@users.noreply.github.com: the login is the identity
            login = local.split("+", 1)[-1]
            return addr if is_bot_name(login) else f"{self.name(login)}@{NOREPLY}"
        if is_bot_name(local) or domain.lower() == "example.invalid":
            return addr
        return f"{self.name(addr.lower())}@example.invalid"


def make_text_redactor(pr: PullRequest, pseudo: Pseudonymizer, found: Counter) -> Callable[[str], str]:
    """A function over prose (bodies, messages) that removes secrets, emails, trailers, mentions and names."""
    names = {pr.author, pr.merged_by, *(c.author for c in pr.commits),
             *(c.author for c in pr.comments), *(c.author for c in pr.review_comments), *(r.author for r in pr.reviews)}
    if pr.issue is not None:
        names |= {pr.issue.author, *(c.author for c in pr.issue.comments)}
    # Bare names are replaced only when they cannot be an ordinary word ("Priya Sharma", "lena-k",
    # "devgrrl"); a short plain login like "bob" is still caught as @bob, in trailers and as an author.
    names = {n for n in names if n and not is_bot_name(n) and (len(n) >= 6 or not n.isalpha())}
    # Longest first, so "Priya Sharma" is replaced before a login "priya" inside it could be.
    name_rx = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                         + r")(?![\w-])", re.IGNORECASE) if names else None

    def trailer(m: re.Match) -> str:
        mail = f" {EMAIL.sub(pseudo.email, m.group(3))}" if m.group(3) else ""
        return f"{m.group(1)}: {pseudo.name(m.group(2))}{mail}"

    def redact(text: str) -> str:
        if not text:
            return text
        text = secrets.redact_text(text, found)
        text = COAUTHOR.sub(trailer, text)
        text = EMAIL.sub(pseudo.email, text)
        text = MENTION.sub(lambda m: "@" + pseudo.name(m.group(1)), text)
        if name_rx is not None:
            text = name_rx.sub(lambda m: pseudo.name(m.group(1)), text)
        return text

    return redact


def make_code_redactor(pseudo: Pseudonymizer | None, found: Counter, secret_values: bool = True):
    """(file text → text, diff → diff) redaction of code: secrets line by line, emails when identities
    are redacted. An email never spans lines, so substituting over the whole text equals doing it per line."""
    def emails(text: str) -> str:
        return EMAIL.sub(pseudo.email, text) if pseudo is not None and "@" in text else text

    def file_text(text: str) -> str:
        return emails(secrets.redact_text(text, found) if secret_values else text)

    def diff_text(diff: str) -> str:
        return emails(secrets.redact_diff(diff, found) if secret_values else diff)

    return file_text, diff_text


def redact_pr(pr: PullRequest, *, salt: str, identities: bool = True, secret_values: bool = True) -> Counter:
    """Redact `pr` in place; returns counts (secrets found by kind, identities pseudonymized)."""
    found: Counter = Counter()
    pseudo = Pseudonymizer(salt, pr.id) if identities else None
    file_text, diff_text = make_code_redactor(pseudo, found, secret_values)
    for snap in (*pr.relevant_files, *pr.head_files):
        if snap.content:
            snap.content = file_text(snap.content)
    for c in pr.commits:
        for ch in c.changes:
            if ch.diff:
                ch.diff = diff_text(ch.diff)
    if pseudo is not None:
        prose = make_text_redactor(pr, pseudo, found if secret_values else Counter())
        pr.author = pseudo.name(pr.author) if not pr.author_is_bot else pr.author
        pr.merged_by = pseudo.name(pr.merged_by) if pr.merged_by else pr.merged_by
    else:
        prose = (lambda t: secrets.redact_text(t, found)) if secret_values else (lambda t: t)
    _redact_prose(pr, prose, pseudo)
    if pseudo is not None:
        found.update(pseudo.counts)
    return found


def _redact_prose(pr: PullRequest, prose: Callable[[str], str], pseudo: Pseudonymizer | None) -> None:
    who = pseudo.name if pseudo is not None else (lambda n: n)
    pr.title, pr.body = prose(pr.title), prose(pr.body)
    if pr.summary:
        pr.summary = prose(pr.summary)
    for c in pr.commits:
        c.message, c.author = prose(c.message), who(c.author)
        if c.refined_message:
            c.refined_message = prose(c.refined_message)
    for c in (*pr.comments, *pr.review_comments):
        c.body, c.author = prose(c.body), who(c.author)
        if c.diff_hunk:
            c.diff_hunk = prose(c.diff_hunk)
    for r in pr.reviews:
        r.body, r.author = prose(r.body), who(r.author)
    if pr.issue is not None:
        pr.issue.title, pr.issue.body, pr.issue.author = prose(pr.issue.title), prose(pr.issue.body), who(pr.issue.author)
        for c in pr.issue.comments:
            c.body, c.author = prose(c.body), who(c.author)
