"""Evaluation outputs in SWE-bench's own formats: predictions rows and the run report (schema 2).

A trajectory's verdict is `resolved` True/False, or None for an infrastructure failure (the
container never started: `environment_error`; the model server failed: `model_error`; or grading
itself failed); `verdict` is the one
place that decides, so the metrics, the reports and the per-instance results agree.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from agentmt.rollouts.run import ENVIRONMENT_ERROR
from agentmt.types import Trajectory

SCHEMA_VERSION = 2  # of swebench.harness.reporting's run report
MODEL_ERROR = "model_error"
INFRA_STATUSES = (ENVIRONMENT_ERROR, MODEL_ERROR)


def verdict(t: Trajectory) -> bool | None:
    """True/False when the model's work was graded; None when the infrastructure failed: no container,
    no grading, or a model server that did not answer (model_error: HTTP 5xx, dead, timed out)."""
    if t.exit_status in INFRA_STATUSES or t.resolved is None:
        return None
    return bool(t.resolved)


def infra_reason(t: Trajectory) -> str:
    """A short label of an infrastructure failure (the error's first line)."""
    error = str(t.report.get("error") or t.report.get("outcome") or t.exit_status)
    return error.splitlines()[0][:120] if error else t.exit_status


def make_prediction(t: Trajectory, model_name: str) -> dict[str, Any]:
    """One row of a SWE-bench predictions file."""
    return {"instance_id": t.instance_id, "model_name_or_path": model_name, "model_patch": t.submission or ""}


def make_run_report(instance_ids: list[str], trajs: list[Trajectory]) -> dict[str, Any]:
    """SWE-bench's run report for one run over `instance_ids` (tasks with no trajectory are incomplete)."""
    by_id = {t.instance_id: t for t in trajs}
    resolved = sorted(i for i, t in by_id.items() if verdict(t) is True)
    unresolved = sorted(i for i, t in by_id.items() if verdict(t) is False)
    infra = sorted(i for i, t in by_id.items() if verdict(t) is None)
    empty = sorted(i for i, t in by_id.items() if not (t.submission or "").strip())
    completed = sorted(resolved + unresolved)
    return {
        "total_instances": len(instance_ids),
        "submitted_instances": len(by_id),
        "completed_instances": len(completed),
        "resolved_instances": len(resolved),
        "unresolved_instances": len(unresolved),
        "infra_failure_instances": len(infra),
        "ambiguous_failure_instances": 0,
        "empty_patch_instances": len(empty),
        "error_instances": len(infra),
        "completed_ids": completed,
        "incomplete_ids": sorted(set(instance_ids) - set(by_id)),
        "empty_patch_ids": empty,
        "submitted_ids": sorted(by_id),
        "resolved_ids": resolved,
        "unresolved_ids": unresolved,
        "infra_failure_ids": infra,
        "ambiguous_failure_ids": [],
        "failure_reasons": dict(sorted(Counter(infra_reason(by_id[i]) for i in infra).items())),
        "error_ids": infra,
        "schema_version": SCHEMA_VERSION,
    }


def make_instance_report(t: Trajectory) -> dict[str, Any]:
    """The per-instance `report.json` entry of SWE-bench (patch_*, resolved, tests_status), plus
    `infra_failure` and agentmt's `outcome`."""
    entry = {k: v for k, v in t.report.items() if k != "apply_log"}
    entry.setdefault("patch_is_None", False)
    entry.setdefault("patch_exists", bool(t.submission))
    entry.setdefault("patch_successfully_applied", False)
    entry["resolved"] = verdict(t) is True
    entry["infra_failure"] = verdict(t) is None
    return {t.instance_id: entry}
