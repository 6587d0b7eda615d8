"""Rows that already carry FAIL_TO_PASS / PASS_TO_PASS (SWE-bench, SWE-rebench): check and compare.

Pure functions over status maps. Given ids are matched the way the official `swebench` parsers name
tests (`parsers.swebench_id`: a parametrized id cut at its first space), so `test_x[a` finds the
test `test_x[a b]`. `check_given` names the given tests the runs do not reproduce; `make_agreement`
says how the derived lists relate to the given ones.
"""

from __future__ import annotations

from typing import Any

from agentmt.environments.parsers import is_pass, swebench_id, with_swebench_ids

MISSING = "MISSING"


def _statuses(maps: list[dict[str, str]], test: str) -> list[str]:
    return [m.get(test, MISSING) for m in maps]


def check_given(f2p: list[str], p2p: list[str], before: list[dict[str, str]],
                after: list[dict[str, str]]) -> dict[str, list[str]]:
    """The given tests that break their contract: F2P must fail in every run before and pass in every
    run after; P2P must pass in every run on both sides."""
    b = [with_swebench_ids(m) for m in before]
    a = [with_swebench_ids(m) for m in after]
    bad_f2p = [t for t in f2p if any(is_pass(s) for s in _statuses(b, t))
               or not all(is_pass(s) for s in _statuses(a, t))]
    bad_p2p = [t for t in p2p if not all(is_pass(s) for s in _statuses(b, t) + _statuses(a, t))]
    return {"FAIL_TO_PASS": bad_f2p, "PASS_TO_PASS": bad_p2p}


def compare(given: list[str], derived: list[str]) -> dict[str, Any]:
    """equal / superset (derived holds every given test and more) / subset / disagree, with the differences."""
    g = set(given)
    d = {swebench_id(t) for t in derived} | set(derived)
    found = {t for t in g if t in d}
    extra = sorted({swebench_id(t) for t in derived if t not in g and swebench_id(t) not in g})
    missing = sorted(g - found)
    if not missing and not extra:
        label = "equal"
    elif not missing:
        label = "superset"
    elif not extra:
        label = "subset"
    else:
        label = "disagree"
    return {"label": label, "missing": missing, "extra": extra}


def make_agreement(given_f2p: list[str], given_p2p: list[str], derived: dict[str, list[str]]) -> dict[str, Any]:
    """Per-list comparisons plus one label for the task: the F2P label, unless F2P is equal and P2P is not."""
    f2p = compare(given_f2p, derived["FAIL_TO_PASS"])
    p2p = compare(given_p2p, derived["PASS_TO_PASS"])
    label = f2p["label"] if f2p["label"] != "equal" else p2p["label"]
    return {"label": label, "FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p}
