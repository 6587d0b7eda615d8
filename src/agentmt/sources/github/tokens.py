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
class _State:
    remaining: int = 1 << 30  # unknown until the first response says
    reset: float = 0.0  # epoch seconds when `remaining` refills
    blocked_until: float = 0.0  # secondary limits and retry-after, per token
    dead: bool = False  # rejected with 401


class TokenPool:
    """Thread-safe; one instance per process (Ray tasks each hold one over the same token list)."""

    def __init__(self, tokens: list[str], clock):
        self.clock = clock
        self._tokens = list(dict.fromkeys(tokens)) or [""]  # "" = unauthenticated
        self._state = {t: _State() for t in self._tokens}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tokens)

    def acquire(self) -> str:
        """The best usable token now, waiting on the clock until one is usable."""
        while True:
            with self._lock:
                now = self.clock.now()
                live = [t for t in self._tokens if not self._state[t].dead]
                if not live:
                    raise NoTokenError("every GitHub token was rejected (401 Bad credentials): "
                                       "set GITHUB_TOKEN (or --token) to a valid, unexpired token")
                ready = [t for t in live if self._usable(self._state[t], now)]
                if ready:
                    return max(ready, key=lambda t: self._state[t].remaining)
                wake = min(self._wake(self._state[t]) for t in live)
            self.clock.sleep(max(wake - now, 0.0) + 1.0)  # +1 s: GitHub's reset second is inclusive

    @staticmethod
    def _usable(s: _State, now: float) -> bool:
        return s.blocked_until <= now and (s.remaining > 0 or s.reset <= now)

    @staticmethod
    def _wake(s: _State) -> float:
        return max(s.blocked_until, s.reset if s.remaining <= 0 else 0.0)

    def observe(self, token: str, headers) -> None:
        """Record x-ratelimit-remaining / x-ratelimit-reset from a response."""
        rem, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        with self._lock:
            s = self._state[token]
            if rem is not None and rem.strip().lstrip("-").isdigit():
                s.remaining = int(rem)
            if reset is not None and reset.strip().isdigit():
                s.reset = float(reset)

    def block(self, token: str, until: float) -> None:
        with self._lock:
            s = self._state[token]
            s.blocked_until = max(s.blocked_until, until)

    def exhaust(self, token: str, reset: float) -> None:
        with self._lock:
            s = self._state[token]
            s.remaining, s.reset = 0, max(reset, self.clock.now())

    def kill(self, token: str) -> None:
        with self._lock:
            self._state[token].dead = True
