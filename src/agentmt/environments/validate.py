"""F2P/P2P validation (the SWE-rebench method): run the tests N times before and after the gold patch.

`make_test_lists` is pure: from the per-run status maps it derives FAIL_TO_PASS (not passing in
every run before, passing in every run after), PASS_TO_PASS (passing in every run on both sides) and
a flake rate per test; tests with a non-zero flake rate are left out of both lists. `validate_task`
runs the containers and raises `RecordDropped` with a reason when a task is not usable.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from agentmt.environments.givenlists import check_given, make_agreement
from agentmt.environments.grading import (
    INFRA_ERROR,
    INSTALL_ERROR,
    RESOLVED,
    TEST_TIMEOUT,
    make_outcome,
    make_report,
    missing_module,
    split_log,
    task_parser,
)
from agentmt.environments.harness import apply_patch, run_tests
from agentmt.environments.parsers import is_pass
from agentmt.environments.runtime import DockerEnvironment, InfrastructureError, RuntimeConfig, task_runtime
from agentmt.errors import RecordDropped
from agentmt.types import TaskInstance

GIVEN_F2P_BROKEN = "given_fail_to_pass_not_reproduced"
GIVEN_P2P_BROKEN = "given_pass_to_pass_not_reproduced"
NO_TESTS_RAN = "no_tests_ran"  # drop reason: no test status could be parsed after the gold patch
# drop reason for a task without a verdict whose /testbed lacks git submodules (environments/testbed.py)
SUBMODULE_MISSING = "submodule_missing"


def _or_submodule(task: TaskInstance, reason: str) -> str:
    """`reason`, or SUBMODULE_MISSING when the build could not check out a submodule: tests that read
    its files fail for the environment, not the task (tomlkit's tests/toml-test)."""
    return SUBMODULE_MISSING if task.install.get("submodules_missing") else reason
MISSING = "MISSING"  # the test did not run (e.g. the module failed to import before the fix)
MAX_TIMEOUT_FACTOR = 4  # a run's limit grows (doubling) up to this multiple of the configured one


def flake_rate(statuses: list[str]) -> float:
    """Share of runs whose pass/fail differs from the majority (0.0 = stable)."""
    if not statuses:
        return 0.0
    passes = sum(is_pass(s) for s in statuses)
    return min(passes, len(statuses) - passes) / len(statuses)


def make_test_lists(before: list[dict[str, str]], after: list[dict[str, str]]) -> dict[str, Any]:
    """FAIL_TO_PASS, PASS_TO_PASS and per-test flake rates from N status maps on each side."""
    tests = sorted({t for m in before + after for t in m})
    f2p, p2p, rates = [], [], {}
    for t in tests:
        b = [m.get(t, MISSING) for m in before]
        a = [m.get(t, MISSING) for m in after]
        rate = max(flake_rate(b), flake_rate(a))
        if rate > 0:
            rates[t] = rate
            continue
        if all(is_pass(s) for s in a):
            (p2p if all(is_pass(s) for s in b) else f2p).append(t)
    return {"FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p, "flake_rates": rates, "num_tests": len(tests)}


def _run_phase(env: DockerEnvironment, task: TaskInstance, runs: int, timeout_s: int, phase: str):
    """N runs of the task's tests; what each run gave is recorded on the task as it happens, so a
    drop mid-way still keeps the exit codes, the last status map and the log tail (`env explain`)."""
    from agentmt.environments.buildtask import LOG_TAIL, record_drop

    parser = task_parser(task)
    maps, logs = [], []
    record = task.validation.setdefault("phases", {})[phase] = {"exit_codes": [], "status": {}, "log_tail": ""}
    for _ in range(runs):
        while True:
            limit = task.validation.get("test_timeout_s") or timeout_s
            log = run_tests(env, task, limit)
            body, code = split_log(log)
            outcome = make_outcome(exit_code=code, log=body, tests_status=None)
            if outcome != TEST_TIMEOUT or limit >= timeout_s * MAX_TIMEOUT_FACTOR:
                break
            # the limit scales with what the task runs, as measured: a suite slower than it (17 minutes
            # on a one-core container) runs again with a doubled limit, which the later runs keep
            task.validation["test_timeout_s"] = limit * 2
        maps.append(parser(body))
        logs.append(log)
        record.update(status=maps[-1], log_tail=(body or log)[-LOG_TAIL:])
        record["exit_codes"].append(code)
        if outcome in (TEST_TIMEOUT, INFRA_ERROR):
            raise record_drop(task, "validate", outcome, f"{phase} run of {task.instance_id}: exit {code} "
                              f"(limit {limit}s)")
    return maps, logs


def _missing_module_of(after_logs: list[str]) -> dict[str, str]:
    """{"missing_module": name} when the last gold-side run could not import a module, else {}."""
    name = missing_module(split_log(after_logs[-1])[0]) if after_logs else ""
    return {"missing_module": name} if name else {}


def _install_failure(task: TaskInstance, module: str) -> RecordDropped:
    """An install failure is never a genuine drop: tests that cannot import a module after the gold
    patch ran nothing the task could be judged by (`no_tests_ran`, a setup-agent trigger)."""
    from agentmt.environments.buildtask import record_drop

    return record_drop(task, "validate", NO_TESTS_RAN,
                       f"after gold patch the tests cannot import {module!r} (ModuleNotFoundError): "
                       f"the environment lacks it", missing_module=module)


def python2_only(task: TaskInstance, after: list[dict[str, str]]) -> bool:
    """Whether a task with no FAIL_TO_PASS is one of a Python 2 era on a Python 3 base: the recipe's
    era Python (`python_target`) is 2.x and not one test passes after the gold patch (its code, or a
    dependency of its era, does not import there: `except Exception, err`, implicit relative imports).
    That is the machine's limit (no base provides 2.7), not a task without a fix (pure)."""
    era = str(task.install.get("python_target") or "")
    return era.startswith("2") and not any(is_pass(s) for m in after for s in m.values())


def validate_task(task: TaskInstance, image: str, *, runs: int = 3, timeout_s: int = 600,
                  runtime: RuntimeConfig | None = None, replace_lists: bool = False) -> TaskInstance:
    """Fill FAIL_TO_PASS / PASS_TO_PASS and `validation` (flake rates, outcome); raises RecordDropped
    after recording the drop and both phases on the task. Rows that came with lists are checked
    against them and keep them unless `replace_lists`; `validation.agreement` compares the two."""
    from agentmt.environments.buildtask import record_drop

    if task.validation.get("outcome") == INSTALL_ERROR:
        raise RecordDropped(INSTALL_ERROR, task.validation.get("error", ""))
    given_f2p, given_p2p = list(task.FAIL_TO_PASS), list(task.PASS_TO_PASS)
    task.validation.pop("test_timeout_s", None)  # measured afresh: the limit an earlier run grew to
    start = time.monotonic()
    try:
        with DockerEnvironment(image, task_runtime(runtime, task.install)) as env:
            ok, log = apply_patch(env, task.test_patch, "test")
            if not ok:
                raise record_drop(task, "validate", "test_patch_does_not_apply", log[-1500:])
            before, _ = _run_phase(env, task, runs, timeout_s, "before")
            ok, log = apply_patch(env, task.patch, "gold")
            if not ok:
                raise record_drop(task, "validate", "gold_patch_does_not_apply", log[-1500:])
            after, after_logs = _run_phase(env, task, runs, timeout_s, "after")
    except InfrastructureError as e:
        raise record_drop(task, "validate", INFRA_ERROR, str(e)) from e
    from agentmt.environments.exitgrade import grades_by_exit_code, validate_by_exit_code

    if grades_by_exit_code(task):  # a row's eval script without per-test lists: its exit code decides
        return validate_by_exit_code(task, runs)
    if not any(after):
        # the runner reported no test at all (usage error, missing plugin, collection error): the
        # environment's fault, not the task's; keep the log tail so the cause can be read
        body, code = split_log(after_logs[-1])
        from agentmt.environments.logtext import summarize_failure

        # the error lines first: the cause closes a long traceback, far from where its tail starts
        raise record_drop(task, "validate", _or_submodule(task, NO_TESTS_RAN),
                          f"after gold patch, exit {code}:\n{summarize_failure(body)[-2000:]}",
                          **_missing_module_of(after_logs))
    lists = make_test_lists(before, after)
    v = task.validation
    v.update(runs=runs, flake_rates=lists["flake_rates"], num_flaky=len(lists["flake_rates"]),
             num_tests=lists["num_tests"], seconds=round(time.monotonic() - start, 2),
             before_status=dict(Counter(before[-1].values())), after_status=dict(Counter(after[-1].values())))
    from agentmt.environments.goldvalidity import gold_passes  # gold validity, `env stats`

    v["gold_runs"] = {"passed": gold_passes([*given_f2p, *given_p2p], after), "of": runs}
    if given_f2p or given_p2p:
        v["agreement"] = make_agreement(given_f2p, given_p2p, lists)
        bad = check_given(given_f2p, given_p2p, before, after)
        if bad["FAIL_TO_PASS"] and not replace_lists:
            raise record_drop(task, "validate", GIVEN_F2P_BROKEN,
                              f"{len(bad['FAIL_TO_PASS'])} given FAIL_TO_PASS tests do not fail before and "
                              f"pass after: {bad['FAIL_TO_PASS'][:10]}", tests=bad["FAIL_TO_PASS"])
        if bad["PASS_TO_PASS"] and not replace_lists:
            raise record_drop(task, "validate", GIVEN_P2P_BROKEN,
                              f"{len(bad['PASS_TO_PASS'])} given PASS_TO_PASS tests do not pass on both "
                              f"sides: {bad['PASS_TO_PASS'][:10]}", tests=bad["PASS_TO_PASS"])
    if replace_lists or not (given_f2p or given_p2p):
        task.FAIL_TO_PASS, task.PASS_TO_PASS = lists["FAIL_TO_PASS"], lists["PASS_TO_PASS"]
        if given_f2p or given_p2p:
            v["given_lists"] = {"FAIL_TO_PASS": given_f2p, "PASS_TO_PASS": given_p2p}
    if not task.FAIL_TO_PASS and (missing := _missing_module_of(after_logs)):
        raise _install_failure(task, missing["missing_module"])
    if not task.FAIL_TO_PASS and python2_only(task, after):
        from agentmt.environments.buildtask import PYTHON_UNAVAILABLE

        raise record_drop(task, "validate", PYTHON_UNAVAILABLE,
                          f"{task.instance_id}: its era's Python is {task.install['python_target']} and on "
                          f"{task.install.get('python')} no test passes after the gold patch ({v['after_status']}): "
                          f"no base image provides Python 2", python=task.install["python_target"])
    if not task.FAIL_TO_PASS:
        raise record_drop(task, "validate", _or_submodule(task, "no_fail_to_pass"),
                          f"{task.instance_id}: before {v['before_status']}, after {v['after_status']}, "
                          f"{len(lists['flake_rates'])} flaky")
    # the gold patch must grade as resolved under the task's lists (a self-check of grading)
    report = make_report(task, after_logs[-1], model_patch=task.patch)[task.instance_id]
    if report["outcome"] != RESOLVED and (missing := _missing_module_of(after_logs)):
        raise _install_failure(task, missing["missing_module"])
    if report["outcome"] != RESOLVED:
        raise record_drop(task, "validate", _or_submodule(task, "gold_not_resolved"),
                          str(report.get("tests_status"))[:1500])
    v.update(status="validated", outcome=RESOLVED)
    v.pop("drop", None)
    # a kept task needs only the exit codes; status maps and logs are what a dropped one is read for
    v["phases"] = {ph: {"exit_codes": r["exit_codes"]} for ph, r in v.get("phases", {}).items()}
    return task
