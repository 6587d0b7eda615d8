"""Container-side steps shared by validation and evaluation: apply patches, restore tests, run tests.

Grading integrity: `prepare_grading` restores every file the task's test patch touches to its
`base_commit` content and then applies the hidden test patch, so edits an agent made to those
tests cannot fake a pass.
"""

from __future__ import annotations

from typing import Any

from agentmt.environments.grading import INFRA_ERROR, make_report, make_test_script, patch_files
from agentmt.environments.runtime import DockerEnvironment, InfrastructureError, RuntimeConfig, task_runtime
from agentmt.types import TaskInstance

PATCH_DIR = "/tmp/agentmt"


def apply_patch(env: DockerEnvironment, patch: str, name: str) -> tuple[bool, str]:
    """Apply a git-style patch in /testbed with `git apply`; returns (applied, log)."""
    if not patch.strip():
        return True, ""
    env.execute(f"mkdir -p {PATCH_DIR}")
    path = f"{PATCH_DIR}/{name}.diff"
    env.write_file(path, patch if patch.endswith("\n") else patch + "\n")
    out, rc = env.execute(f"git apply --whitespace=nowarn {path}")
    return rc == 0, out


def restore_test_files(env: DockerEnvironment, task: TaskInstance) -> None:
    """Put every file the test patch touches back to its base_commit state (absent when new)."""
    for path in patch_files(task.test_patch):
        q = path.replace("'", "'\\''")
        env.execute(
            f"if git cat-file -e {task.base_commit}:'{q}' 2>/dev/null; "
            f"then git checkout {task.base_commit} -- '{q}'; else rm -f '{q}'; fi"
        )


def run_tests(env: DockerEnvironment, task: TaskInstance, timeout_s: int) -> str:
    """Run the task's test script once; returns the full log (markers included)."""
    # parents: a task without a test patch (SWE-smith's) has written nothing to PATCH_DIR yet
    env.write_file(f"{PATCH_DIR}/run_tests.sh", make_test_script(task, timeout_s), parents=True)
    # the host-side guard sits a little above the in-container timeout, so the script can report
    out, _ = env.execute(f"bash {PATCH_DIR}/run_tests.sh", timeout_s=timeout_s + 30)
    return out


def prepare_grading(env: DockerEnvironment, task: TaskInstance) -> tuple[bool, str]:
    """Restore the test files from the task, then apply its hidden test patch."""
    restore_test_files(env, task)
    return apply_patch(env, task.test_patch, "test")


def _prepare_or_raise(env: DockerEnvironment, task: TaskInstance) -> None:
    # the gold test patch applied at validation, so failing now means the container is not what we built
    ok, log = prepare_grading(env, task)
    if not ok:
        raise InfrastructureError(f"hidden test patch of {task.instance_id} did not apply: {log[-200:]}")


def run_grading(task: TaskInstance, image: str, model_patch: str | None, *,
                runtime: RuntimeConfig | None = None, timeout_s: int = 600) -> dict[str, Any]:
    """Apply `model_patch` in a fresh container, restore + apply hidden tests, run, grade (SWE-bench report)."""
    try:
        with DockerEnvironment(image, task_runtime(runtime, task.install)) as env:
            applied, _ = apply_patch(env, model_patch or "", "model")
            if not applied or model_patch is None:
                return make_report(task, "", model_patch=model_patch, patch_applied=applied)
            _prepare_or_raise(env, task)
            log = run_tests(env, task, timeout_s)
    except InfrastructureError as e:
        return {task.instance_id: {"resolved": False, "outcome": INFRA_ERROR, "error": str(e),
                                   "patch_exists": bool(model_patch), "patch_is_None": model_patch is None,
                                   "patch_successfully_applied": False}}
    return make_report(task, log, model_patch=model_patch)


def grade_in(env: DockerEnvironment, task: TaskInstance, model_patch: str, timeout_s: int = 600) -> dict[str, Any]:
    """Grade the current state of a live container (an agent's workspace) with integrity restore."""
    _prepare_or_raise(env, task)
    return make_report(task, run_tests(env, task, timeout_s), model_patch=model_patch)
