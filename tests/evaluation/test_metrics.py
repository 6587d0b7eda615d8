"""Pass@1 over runs, unbiased pass@k, spread; infrastructure failures never counted as failures."""

from __future__ import annotations

import itertools
import math

import pytest

from agentmt.evaluation.metrics import pass_at_k, summarize


def _brute_pass_at_k(n: int, c: int, k: int) -> float:
    """Share of the k-subsets of n samples (c passing) that hold a pass: the estimator's definition."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_pass_at_k_equals_the_subset_definition(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert math.isclose(pass_at_k(n, c, k), _brute_pass_at_k(n, c, k))


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError):
        pass_at_k(2, 3, 1)
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_pass1_is_the_mean_of_per_run_rates_with_spread():
    verdicts = {"a": [True, True, False, True], "b": [False, False, False, True], "c": [True, False, True, True]}
    s = summarize(verdicts, 4)
    assert s["run_resolve_rates"] == [round(2 / 3, 4), round(1 / 3, 4), round(1 / 3, 4), 1.0]
    assert s["pass@1"] == round((2 / 3 + 1 / 3 + 1 / 3 + 1) / 4, 4)
    assert s["pass@4"] == 1.0  # every task resolved in some run
    assert s["spread"] == {"min": round(1 / 3, 4), "max": 1.0,
                           "std": round(math.sqrt(sum((r - 7 / 12) ** 2 for r in (2 / 3, 1 / 3, 1 / 3, 1)) / 4), 4)}
    assert s["num_runs"] == 4 and s["resolved"] == 7 and s["model_failures"] == 5 and s["infra_failures"] == 0


def test_infrastructure_failures_are_counted_apart_and_left_out_of_denominators():
    s = summarize({"a": [True, None], "b": [False, False]}, 2)
    assert s["infra_failures"] == 1 and s["model_failures"] == 2 and s["graded"] == 3
    assert s["run_resolve_rates"] == [0.5, 0.0]  # run 1 graded only b: a's infra failure is no failure
    assert s["pass@2"] == round((1.0 + 0.0) / 2, 4)  # a: pass@1 of its one graded run
    only_infra = summarize({"a": [None]}, 1)
    assert only_infra["pass@1"] is None and only_infra["infra_failures"] == 1
