"""Pure metrics over graded runs: Pass@1 averaged over runs, unbiased pass@k, spread across runs.

A run's verdict on a task is True (resolved), False (the model's failure) or None (an
infrastructure failure: no verdict). None is never counted as a failure: it is left out of every
denominator and counted on its own, so a flaky daemon lowers coverage, not the score.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

Verdicts = Mapping[str, Sequence[bool | None]]  # instance id -> verdict of run 0, 1, ...


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k) for n samples of which c pass."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # the product form avoids the huge binomials of large n
    return 1.0 - math.prod((n - c - i) / (n - i) for i in range(k))


def run_rates(verdicts: Verdicts, num_runs: int) -> list[float | None]:
    """Resolve rate of each run over the tasks it graded (None for a run that graded nothing)."""
    rates: list[float | None] = []
    for r in range(num_runs):
        graded = [v[r] for v in verdicts.values() if r < len(v) and v[r] is not None]
        rates.append(sum(graded) / len(graded) if graded else None)
    return rates


def summarize(verdicts: Verdicts, k: int) -> dict[str, Any]:
    """Pass@1 (mean of per-run resolve rates), pass@k (mean over tasks of the unbiased estimator on
    each task's graded runs, k capped at that count), the spread of per-run rates, and counts."""
    num_runs = max((len(v) for v in verdicts.values()), default=0)
    rates = run_rates(verdicts, num_runs)
    known = [r for r in rates if r is not None]
    per_task_k = []
    for v in verdicts.values():
        graded = [x for x in v if x is not None]
        if graded:
            per_task_k.append(pass_at_k(len(graded), sum(graded), min(k, len(graded))))
    flat = [x for v in verdicts.values() for x in v]
    return {
        "num_tasks": len(verdicts),
        "num_runs": num_runs,
        "pass@1": _round(statistics.fmean(known)) if known else None,
        f"pass@{k}": _round(statistics.fmean(per_task_k)) if per_task_k else None,
        "run_resolve_rates": [_round(r) for r in rates],
        "spread": {
            "std": _round(statistics.pstdev(known)) if known else None,
            "min": _round(min(known)) if known else None,
            "max": _round(max(known)) if known else None,
        },
        "graded": sum(x is not None for x in flat),
        "resolved": sum(x is True for x in flat),
        "model_failures": sum(x is False for x in flat),
        "infra_failures": sum(x is None for x in flat),
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
