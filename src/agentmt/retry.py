"""Exponential backoff: the one waiting rule of agentmt's HTTP clients (model endpoints, the GitHub API).
Each client keeps its own loop (what is retryable differs); how long to wait is decided here."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base_s: float, max_s: float, *, retry_after: str | None = None,
                  jitter: bool = False) -> float:
    """Seconds to wait before retry `attempt` (0-based): base_s * 2**attempt, raised by up to 50% with
    `jitter` (spreads concurrent retries), at least a numeric Retry-After, at most max_s."""
    delay = base_s * 2**attempt
    if jitter:
        delay *= 1 + random.random() / 2
    if retry_after:
        try:
            delay = max(delay, float(retry_after))
        except ValueError:
            pass  # an HTTP date: the computed backoff is good enough
    return min(delay, max_s)
