"""Gold validity: does the reference patch pass its own grading tests in every one of k runs?

`gold_passes` (pure) counts the runs after the gold patch in which every graded test passed: the
row's given FAIL_TO_PASS/PASS_TO_PASS when it had them, else every test that passed in some run (the
derived lists before flaky tests are left out, so a flaky task shows as fewer than k).
`make_gold_validity` (pure) folds tasks into per-dataset figures: how many pass k of k, and the share.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from agentmt.environments.parsers import is_pass, with_swebench_ids
from agentmt.types import TaskInstance

MINED = "mined"  # the dataset label of tasks agentmt made from PRs (no `validation.dataset`)


def gold_passes(given: list[str], after: list[dict[str, str]]) -> int:
    """Runs (status maps after the gold patch) in which every test of `given` passed; with `given`
    empty, every test that passed in at least one run. 0 when no test is graded."""
    maps = [with_swebench_ids(m) for m in after]
    tests = list(given) or sorted({t for m in after for t, s in m.items() if is_pass(s)})
    if not tests:
        return 0
    return sum(all(is_pass(m.get(t)) for t in tests) for m in maps)


def _record(task: TaskInstance) -> tuple[int, int] | None:
    """(passed, k) for a task whose gold side ran; (0, k) for one dropped while validating without a
    count; None for one that never reached validation."""
    v = task.validation
    if "gold_runs" in v:
        return int(v["gold_runs"]["passed"]), int(v["gold_runs"]["of"])
    if (v.get("drop") or {}).get("stage") == "validate":
        phases = v.get("phases") or {}
        runs = max((len(p.get("exit_codes") or []) for p in phases.values()), default=0)
        return 0, int(v.get("runs") or runs)
    return None


def make_gold_validity(tasks: list[TaskInstance]) -> dict[str, dict[str, Any]]:
    """Per dataset: `tasks`, `ran` (gold side run), `k_of_k` (passed every run), `share` (k_of_k / ran),
    `passed` ("j/k" → number of tasks), `not_run` (dropped before validation)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"tasks": 0, "ran": 0, "k_of_k": 0, "not_run": 0,
                                                          "passed": Counter()})
    for task in tasks:
        d = out[task.validation.get("dataset") or MINED]
        d["tasks"] += 1
        rec = _record(task)
        if rec is None:
            d["not_run"] += 1
            continue
        passed, k = rec
        d["ran"] += 1
        d["k_of_k"] += int(k > 0 and passed == k)
        d["passed"][f"{passed}/{k}"] += 1
    for d in out.values():
        d["share"] = round(d["k_of_k"] / d["ran"], 4) if d["ran"] else None
        d["passed"] = dict(sorted(d["passed"].items()))
    return dict(sorted(out.items()))


def render_gold_validity(figures: dict[str, dict[str, Any]]) -> list[str]:
    """Lines for `env stats`: one per dataset."""
    lines = []
    for name, d in figures.items():
        share = f"{100 * d['share']:.1f}%" if d["share"] is not None else "-"
        runs = ", ".join(f"{k}={n}" for k, n in d["passed"].items()) or "-"
        lines.append(f"  {name}: {d['k_of_k']} of {d['ran']} pass every gold run ({share}); "
                     f"gold runs passed: {runs}; not validated: {d['not_run']}")
    return lines
