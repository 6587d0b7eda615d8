"""A pool of GitHub tokens shared by every request of a run: the client takes the token with the
most quota left, records what each response's rate-limit headers say, and waits (on the clock)
only when every token is spent, until the earliest reset.

Tokens live only in memory here; `label(token)` is the only form that may reach logs or records.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from agentmt.errors import UserError


class NoTokenError(UserError):
    """Every token was rejected (401), so no request can be made."""


def label(token: str) -> str:
    """A stable, non-reversible name for a token (for logs and counts)."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:8] if token else "anonymous"


@dataclass
class _Quota:
    """One token's budget for one resource (GitHub counts core, graphql and search apart)."""

    remaining: int = 1 << 30  # unknown until the first response says
    reset: float = 0.0  # epoch seconds when `remaining` refills


class TokenPool:
    """Thread-safe; one instance per process (Ray tasks each hold one over the same token list).
    Quotas are per (token, resource); secondary limits and 401s are per token, as GitHub applies them."""

    def __init__(self, tokens: list[str], clock):
        self.clock = clock
        self._tokens = list(dict.fromkeys(tokens)) or [""]  # "" = unauthenticated
        self._quota: dict[tuple[str, str], _Quota] = {}
        self._blocked = dict.fromkeys(self._tokens, 0.0)  # secondary limits and retry-after
        self._dead: set[str] = set()  # rejected with 401
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def _q(self, token: str, resource: str) -> _Quota:
        return self._quota.setdefault((token, resource), _Quota())

    def acquire(self, resource: str = "core") -> str:
        """The usable token with the most `resource` quota left, waiting on the clock until one is."""
        while True:
            with self._lock:
                now = self.clock.now()
                live = [t for t in self._tokens if t not in self._dead]
                if not live:
                    raise NoTokenError("every GitHub token was rejected (401 Bad credentials): "
                                       "set GITHUB_TOKEN (or --tokens-file) to valid, unexpired tokens")
                ready = [t for t in live if self._usable(t, resource, now)]
                if ready:
                    return max(ready, key=lambda t: self._q(t, resource).remaining)
                wake = min(self._wake(t, resource) for t in live)
            self.clock.sleep(max(wake - now, 0.0) + 1.0)  # +1 s: GitHub's reset second is inclusive

    def _usable(self, token: str, resource: str, now: float) -> bool:
        q = self._q(token, resource)
        return self._blocked[token] <= now and (q.remaining > 0 or q.reset <= now)

    def _wake(self, token: str, resource: str) -> float:
        q = self._q(token, resource)
        return max(self._blocked[token], q.reset if q.remaining <= 0 else 0.0)

    def observe(self, token: str, headers, resource: str = "core") -> None:
        """Record x-ratelimit-remaining / x-ratelimit-reset from a response."""
        rem, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        with self._lock:
            q = self._q(token, resource)
            if rem is not None and rem.strip().lstrip("-").isdigit():
                q.remaining = int(rem)
            if reset is not None and reset.strip().isdigit():
                q.reset = float(reset)

    def block(self, token: str, until: float) -> None:
        with self._lock:
            self._blocked[token] = max(self._blocked[token], until)

    def exhaust(self, token: str, reset: float, resource: str = "core") -> None:
        with self._lock:
            q = self._q(token, resource)
            q.remaining, q.reset = 0, max(reset, self.clock.now())

    def kill(self, token: str) -> None:
        with self._lock:
            self._dead.add(token)
