"""Validation of tasks graded by their eval script's exit code: rows that ship an eval script but no
per-test lists (OpenSWE / daVinci-Env style). `rowbuild` marks them `install.grade_by = "exit_code"`;
`grading.make_report` then calls a run resolved when the script exits 0.

`validate_by_exit_code` reads the exit codes `validate_task` recorded for both phases: the script
must fail in every run before the gold patch and pass in every run after it.
"""

from __future__ import annotations

from agentmt.types import TaskInstance

EXIT_CODE = "exit_code"  # the value of install.grade_by
PASSES_BEFORE = "eval_script_passes_before_fix"


def grades_by_exit_code(task: TaskInstance) -> bool:
    return task.install.get("grade_by") == EXIT_CODE


def validate_by_exit_code(task: TaskInstance, runs: int) -> TaskInstance:
    """Mark the task validated, or raise RecordDropped (`eval_script_passes_before_fix`,
    `gold_not_resolved`); `validation.gold_runs` counts the runs after the gold patch that exit 0."""
    from agentmt.environments.buildtask import record_drop
    from agentmt.environments.grading import RESOLVED

    v = task.validation
    before = v["phases"]["before"]["exit_codes"]
    after = v["phases"]["after"]["exit_codes"]
    v.update(runs=runs, gold_runs={"passed": sum(c == 0 for c in after), "of": runs})
    if any(c == 0 for c in before):
        raise record_drop(task, "validate", PASSES_BEFORE,
                          f"eval script exit codes before the gold patch: {before}")
    if any(c != 0 for c in after):
        raise record_drop(task, "validate", "gold_not_resolved",
                          f"eval script exit codes after the gold patch: {after}")
    v.update(status="validated", outcome=RESOLVED)
    v.pop("drop", None)
    v["phases"] = {ph: {"exit_codes": r["exit_codes"]} for ph, r in v["phases"].items()}
    return task
