"""SWE-bench, SWE-bench Verified and SWE-Gym rows: the SWE-bench columns (`instance_id`, `repo`,
`base_commit`, `patch`, `test_patch`, `problem_statement`, `version`, `environment_setup_commit`,
FAIL_TO_PASS/PASS_TO_PASS as JSON text or lists)."""

from __future__ import annotations

from agentmt.types import TaskInstance

NAME = "swe-bench"


def matches(row: dict) -> bool:
    return all(k in row for k in ("instance_id", "repo", "base_commit", "patch", "test_patch"))


def to_task(row: dict) -> TaskInstance:
    from agentmt.environments.rows import BadRow, base_task, require

    require(row, "patch", "test_patch")
    task = base_task(row)
    if not isinstance(task.FAIL_TO_PASS, list) or not isinstance(task.PASS_TO_PASS, list):
        raise BadRow("malformed_field", "FAIL_TO_PASS/PASS_TO_PASS are not lists")
    return task
