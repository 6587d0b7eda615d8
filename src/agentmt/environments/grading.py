"""Pure grading: (task, test log) → SWE-bench-format report, and outcome labels.

Nothing here touches Docker. The log is what `make_test_script` prints: the test runner's output
between the START/END markers, then the runner's exit code. Outcomes are never conflated:
resolved / unresolved (the patch's fault) vs install_error / test_timeout / infra_error.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from agentmt.environments.parsers import ERROR, FAILED, SKIPPED, get_parser, is_pass, with_swebench_ids
from agentmt.testpaths import (  # re-exported: used below agents too
    patch_files,
    test_command,
    test_files,
    test_targets,
)
from agentmt.types import TaskInstance

START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
EXIT_CODE_MARKER = ">>>>> Test Exit Code:"

RESOLVED, UNRESOLVED = "resolved", "unresolved"
INSTALL_ERROR, TEST_TIMEOUT, INFRA_ERROR = "install_error", "test_timeout", "infra_error"
OUTCOMES = (RESOLVED, UNRESOLVED, INSTALL_ERROR, TEST_TIMEOUT, INFRA_ERROR)

def make_test_script(task: TaskInstance, timeout_s: int) -> str:
    """Shell script that runs the task's tests between markers and prints the exit code."""
    cmd = test_command(task)
    files = " ".join(shlex.quote(f) for f in test_targets(task))
    return (
        f"echo '{START_TEST_OUTPUT}'\n"
        f"timeout -k 5 {int(timeout_s)} {cmd} {files}\n"
        f"rc=$?\n"
        f"echo '{END_TEST_OUTPUT}'\n"
        f"echo '{EXIT_CODE_MARKER}' $rc\n"
    )


def split_log(log: str) -> tuple[str, int | None]:
    """(test output between the markers, runner exit code) — ("", None) when the run never started."""
    start = log.find(START_TEST_OUTPUT)
    if start < 0:
        return "", None
    end = log.find(END_TEST_OUTPUT, start)
    body = log[start + len(START_TEST_OUTPUT): end if end >= 0 else len(log)]
    m = re.search(re.escape(EXIT_CODE_MARKER) + r"\s*(-?\d+)", log)
    return body, int(m.group(1)) if m else None


def task_parser(task: TaskInstance):
    """The log parser named by the task's install recipe (pytest when it names none)."""
    return get_parser(task.install.get("test_runner") or "pytest")


def parse_test_log(task: TaskInstance, log: str) -> dict[str, str]:
    body, _ = split_log(log)
    return task_parser(task)(body)


def make_tests_status(task: TaskInstance, status_map: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """SWE-bench's tests_status: success/failure lists for F2P and P2P (a skipped P2P test is kept)."""
    status_map = with_swebench_ids(status_map)  # given SWE-bench lists name truncated parametrized ids
    f2p = {"success": [], "failure": []}
    p2p = {"success": [], "failure": []}
    for t in task.FAIL_TO_PASS:
        f2p["success" if is_pass(status_map.get(t)) else "failure"].append(t)
    for t in task.PASS_TO_PASS:
        ok = is_pass(status_map.get(t)) or status_map.get(t) == SKIPPED
        p2p["success" if ok else "failure"].append(t)
    empty = {"success": [], "failure": []}
    return {"FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p, "FAIL_TO_FAIL": dict(empty), "PASS_TO_FAIL": dict(empty)}


_MISSING_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '?([A-Za-z_][\w.]*)'?")
# pytest's header above a module's import traceback; the path says whose module it is
_IMPORT_HEADER = re.compile(r"ImportError while (?:importing test module|loading conftest) '([^']+)'")
TESTBED = "/testbed"  # images.TESTBED: grading stays pure (no Docker-side import)
_HEADER_REACH = 3000  # a header further above belongs to an earlier traceback


def missing_module(log: str) -> str:
    """The module a test run could not import (the first one named), "" when none: a run that fails
    this way says the environment lacks something, not that the code is wrong (pure). An import
    error under a header naming a module outside /testbed is a test's own fixture output (pytester
    runs in /tmp: pytest-xdist's `__import_of_missing_module`), not the environment's."""
    for m in _MISSING_MODULE.finditer(log):
        headers = list(_IMPORT_HEADER.finditer(log, max(0, m.start() - _HEADER_REACH), m.start()))
        if headers and not headers[-1].group(1).startswith(TESTBED + "/"):
            continue
        return m.group(1)
    return ""


def make_outcome(*, exit_code: int | None, log: str = "",
                 tests_status: dict | None = None, install_failed: bool = False,
                 infra_failed: bool = False) -> str:
    """One outcome label for one test run; infrastructure and install failures win over results."""
    if infra_failed:
        return INFRA_ERROR
    if install_failed:
        return INSTALL_ERROR
    if exit_code is None:
        # the script never reached its end marker: the container died (OOM kill, daemon gone)
        return INFRA_ERROR
    if exit_code == 124:  # coreutils `timeout` fired
        return TEST_TIMEOUT
    if exit_code == 137 or "MemoryError" in log:
        return INFRA_ERROR  # SIGKILL without a timeout: the container's OOM killer
    if tests_status is None:
        return UNRESOLVED
    f2p, p2p = tests_status["FAIL_TO_PASS"], tests_status["PASS_TO_PASS"]
    ok = not f2p["failure"] and not p2p["failure"] and (f2p["success"] or p2p["success"])
    return RESOLVED if ok else UNRESOLVED


def make_report(task: TaskInstance, log: str, *, model_patch: str | None = "",
                patch_applied: bool = True) -> dict[str, Any]:
    """SWE-bench report for one instance: {instance_id: {patch_*, resolved, tests_status, outcome}}."""
    entry: dict[str, Any] = {
        "patch_is_None": model_patch is None,
        "patch_exists": bool(model_patch),
        "patch_successfully_applied": bool(patch_applied) and model_patch is not None,  # no patch, nothing applied
        "resolved": False,
    }
    if model_patch is None or not patch_applied:
        entry["outcome"] = UNRESOLVED
        return {task.instance_id: entry}
    body, code = split_log(log)
    status_map = task_parser(task)(body)
    tests_status = make_tests_status(task, status_map)
    outcome = make_outcome(exit_code=code, log=body, tests_status=tests_status)
    if outcome == UNRESOLVED and task.install.get("grade_by") == "exit_code":  # see environments/exitgrade.py
        outcome = RESOLVED if code == 0 else UNRESOLVED
    if outcome == RESOLVED and code not in (None, 0) and not any(s in (FAILED, ERROR) for s in status_map.values()):
        # the runner failed yet the log reports no failure: the lines do not describe the run (a patch
        # can print its own PASSED lines); swebench's get_logs_eval refuses such logs the same way
        outcome, entry["log_contradicts_exit_code"] = UNRESOLVED, True
    entry["resolved"] = outcome == RESOLVED
    entry["tests_status"] = tests_status
    entry["outcome"] = outcome
    return {task.instance_id: entry}
