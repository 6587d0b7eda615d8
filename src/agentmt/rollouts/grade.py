"""Grade one submission with the task's hidden tests, in a fresh container from the task image.

A fresh container (not the agent's) means nothing the agent left behind — a deleted /testbed, a
killed shell, edited tests — can change the verdict; `prepare_grading` then restores every file the
hidden test patch touches and applies it (the integrity restore of the environments layer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from agentmt.environments.grading import INFRA_ERROR, RESOLVED, make_report, parse_test_log
from agentmt.environments.harness import apply_patch, prepare_grading, run_tests
from agentmt.environments.runtime import DockerEnvironment, InfrastructureError, RuntimeConfig, task_runtime
from agentmt.types import TaskInstance


@dataclass(slots=True)
class Grade:
    """The verdict on one submission: `resolved` is None when grading itself failed (infra)."""

    resolved: bool | None
    tests_status: dict[str, str] = field(default_factory=dict)  # test id -> PASSED/FAILED/...
    report: dict[str, Any] = field(default_factory=dict)  # SWE-bench report entry of the instance
    seconds: float = 0.0


def grade_submission(task: TaskInstance, image: str, submission: str, *,
                     runtime: RuntimeConfig | None = None, timeout_s: int = 600) -> Grade:
    """Apply `submission`, restore + apply the hidden tests, run them, grade; never raises on infra."""
    start = time.monotonic()
    if not submission.strip():
        report = make_report(task, "", model_patch=None)[task.instance_id]
        return Grade(False, {}, report, time.monotonic() - start)
    try:
        with DockerEnvironment(image, task_runtime(runtime, task.install)) as env:
            applied, log = apply_patch(env, submission, "model")
            if not applied:
                report = make_report(task, "", model_patch=submission, patch_applied=False)[task.instance_id]
                report["apply_log"] = log[-2000:]
                return Grade(False, {}, report, time.monotonic() - start)
            ok, log = prepare_grading(env, task)
            if not ok:  # the hidden tests applied at validation: this container is not what was built
                raise InfrastructureError(f"hidden test patch did not apply: {log[-200:]}")
            log = run_tests(env, task, timeout_s)
    except InfrastructureError as e:
        report = {"resolved": False, "outcome": INFRA_ERROR, "error": str(e)}
        return Grade(None, {}, report, time.monotonic() - start)
    report = make_report(task, log, model_patch=submission)[task.instance_id]
    # a run that never reached its end marker (container died, OOM) is the infrastructure's verdict
    resolved = None if report["outcome"] == INFRA_ERROR else report["outcome"] == RESOLVED
    return Grade(resolved, parse_test_log(task, log), report, time.monotonic() - start)
