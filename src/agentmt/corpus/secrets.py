"""Secret detection and redaction, line by line: API keys, tokens, passwords and connection strings.

Guarantees: `redact_line` is a pure function of one line (no newline is added or removed, nothing
depends on neighbouring lines), so redacting a file's snapshot, its head and the bodies of its diff
lines the same way keeps every diff applicable and the py round trip intact. Each secret becomes a
typed placeholder such as `<SECRET:github_token>`. Private key blocks span lines and cannot be redacted
line-locally, so `has_private_key` lets the caller drop the whole record instead.

Patterns are agentmt's own (provider formats plus a keyword-and-entropy rule for assignments), chosen
over detect-secrets 1.5 by measurement (benchmarks/bench_secrets.py, on the planted set of
tests/corpus/test_redact_secrets.py, which these patterns were written against, so their 100% is not
independent): detect-secrets reaches 99.5%, runs about 5x slower per line, and its line scanner
(`scan_line`, default plugins) flags 120 of the demo's 184 lines of ordinary code; these flag none.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from agentmt.secrets import HEADER_TOKEN, URL_PASSWORD  # shared with the redaction of agentmt's own keys

PLACEHOLDER = "<SECRET:{kind}>"

# Provider formats: the token alone is the secret.
TOKEN_PATTERNS: list[tuple[str, re.Pattern]] = [
    (kind, re.compile(rx)) for kind, rx in [
        ("aws_access_key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
        ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        ("gitlab_token", r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
        ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
        ("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
        ("stripe_key", r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{20,}\b"),
        ("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("openai_key", r"\bsk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_-]{20,}\b"),
        ("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}\b"),
        ("twilio_key", r"\bSK[0-9a-f]{32}\b"),
        ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}\b"),
        ("huggingface_token", r"\bhf_[A-Za-z]{34}\b"),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
        ("discord_webhook", r"https://discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}"),
    ]
]
# name = "value" where the name says secret: the value goes when it looks random enough.
ASSIGNMENT = re.compile(
    r"""(?ix)
    ((?:[a-z0-9_.-]*?)(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key
        |auth[_-]?(?:token|key)|credential|client[_-]?secret|bearer)[a-z0-9_.-]*
     ["']?\s*(?:=|:|:=|=>)\s*[bru]?["'])
    ([^"'\s]{8,200})
    (["'])
    """
)
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# Values that name where a secret comes from rather than being one.
NOT_SECRET = re.compile(r"(?i)^(?:\$\{?\w+\}?|%\(?\w+\)?s?|<[^>]*>|\{\{.*\}\}|x{6,}|\*{6,}|(?:your|my|the)[_-].*"
                        r"|.*(?:example|placeholder|changeme|dummy|redacted|secret:).*)$")
MIN_ENTROPY = 3.0  # bits per character; English words and identifiers mostly fall below
# A cheap first pass: a line (or a whole file) none of the rules could match is left untouched without
# running them one by one; almost all code is. Case-insensitive, so it matches a superset of the rules.
TRIGGER = re.compile("|".join([rx.pattern for _, rx in TOKEN_PATTERNS] + [
    r"://[^\s:/@'\"]{1,64}:[^\s@/'\"]{3,128}@", r"authorization|x-api-key",
    (r"password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?(?:token|key)"
     r"|credential|client[_-]?secret|bearer"),
]), re.IGNORECASE)


def shannon_entropy(s: str) -> float:
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def looks_random(value: str) -> bool:
    """A keyword-matched value counts as a secret when it is not a reference and carries entropy."""
    if NOT_SECRET.match(value):
        return False
    classes = sum(bool(re.search(rx, value)) for rx in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return shannon_entropy(value) >= MIN_ENTROPY and (classes >= 2 or len(value) >= 20)


EXAMPLE_HOST = re.compile(r"(?i)@(?:[\w-]+\.)*(?:example(?:\.\w+)?|localhost|test|invalid)\b")
PLACEHOLDER_PASSWORDS = frozenset({"pass", "password", "passwd", "pwd", "pw", "secret", "bar", "baz", "test"})


def url_password_is_real(password: str, host: str) -> bool:
    """URL credentials in tests and docs use example hosts and placeholder words (found on pallets/werkzeug
    and marshmallow-code/marshmallow: user:pass@example.com, p%C3%A4ssword@...); those stay."""
    from urllib.parse import unquote

    word = unquote(password).lower()
    if EXAMPLE_HOST.match(host) or NOT_SECRET.match(password) or word in PLACEHOLDER_PASSWORDS:
        return False
    return not any(w in word for w in ("passw", "ssword", "pass.word"))


def redact_line(line: str, found: Counter | None = None) -> str:
    """`line` with each detected secret replaced by its typed placeholder; counts kinds into `found`."""
    if not line or len(line) < 8 or not TRIGGER.search(line):
        return line

    def sub(kind: str, repl):
        def f(m: re.Match) -> str:
            out = repl(m)
            if out != m.group(0) and found is not None:
                found[kind] += 1
            return out
        return f

    for kind, rx in TOKEN_PATTERNS:
        line = rx.sub(sub(kind, lambda m, k=kind: PLACEHOLDER.format(kind=k)), line)
    line = URL_PASSWORD.sub(sub("url_password", lambda m: m.group(1) + PLACEHOLDER.format(kind="password")
                                + m.group(3) if url_password_is_real(m.group(2), m.group(3)) else m.group(0)), line)
    line = HEADER_TOKEN.sub(sub("auth_header", lambda m: m.group(1) + PLACEHOLDER.format(kind="token")
                                if looks_random(m.group(2)) else m.group(0)), line)
    line = ASSIGNMENT.sub(sub("assigned_secret", lambda m: m.group(1) + PLACEHOLDER.format(kind="secret") + m.group(3)
                              if looks_random(m.group(2)) else m.group(0)), line)
    return line


def redact_text(text: str, found: Counter | None = None) -> str:
    """Line-wise `redact_line` over a whole text; line endings are kept as they are."""
    if not text or not TRIGGER.search(text):
        return text
    return "".join(redact_line(ln, found) for ln in text.splitlines(keepends=True))


def redact_diff(diff: str, found: Counter | None = None) -> str:
    """Redact the body of each diff line (after its ' ', '+' or '-' prefix) exactly as file lines are."""
    if not diff or not TRIGGER.search(diff):
        return diff
    out = []
    for ln in diff.splitlines(keepends=True):
        if ln[:1] in (" ", "+", "-"):
            out.append(ln[0] + redact_line(ln[1:], found))
        else:  # hunk headers and "\ No newline" markers carry no file content
            out.append(ln)
    return "".join(out)


def has_private_key(text: str | None) -> bool:
    return bool(text) and "PRIVATE KEY" in text and bool(PRIVATE_KEY.search(text))
