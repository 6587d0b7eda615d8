"""An install failure is never a genuine drop: tests that cannot import a module after the gold patch
are dropped as `no_tests_ran` naming the module (a setup-agent trigger), not as `no_fail_to_pass`."""

from __future__ import annotations

import pytest

from agentmt.environments.grading import missing_module
from agentmt.environments.validate import NO_TESTS_RAN, validate_task
from agentmt.errors import RecordDropped
from agentmt.types import TaskInstance

NEEDS_PLUGIN = """\
diff --git a/tests/test_plugin.py b/tests/test_plugin.py
new file mode 100644
--- /dev/null
+++ b/tests/test_plugin.py
@@ -0,0 +1,5 @@
+import trustme_not_installed
+
+
+def test_uses_plugin():
+    assert trustme_not_installed
"""


def test_the_missing_module_is_read_from_the_runners_words():
    assert missing_module("E   ModuleNotFoundError: No module named 'pytest_httpbin'\n") == "pytest_httpbin"
    assert missing_module("ImportError: No module named yaml.constructor\n") == "yaml.constructor"
    assert missing_module("ImportError: cannot import name 'x' from 'calc'\n") == ""
    assert missing_module("1 passed\n") == ""
    header = "ImportError while importing test module '/testbed/tests/test_x.py'.\nE   ModuleNotFoundError: No module named 'httpx'\n"
    assert missing_module(header) == "httpx"


PYTESTER_FIXTURE = """\
pytest_plugins = "pytester"


def test_an_import_error_is_reported(pytester):
    pytester.makepyfile("import __import_of_missing_module")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["*No module named *__import_of_missing_module*"])


def test_fails():
    assert False
"""


def test_a_missing_module_that_a_tests_own_pytester_run_expects_is_no_environment_fault(tmp_path):
    """pytest-xdist-572: a test that runs pytest on a module importing a missing module prints that
    run's ImportError (under a /tmp header) in its captured output; the environment lacks nothing."""
    import subprocess
    import sys

    (tmp_path / "test_fixture.py").write_text(PYTESTER_FIXTURE)
    log = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-v", "-p", "no:cacheprovider", "-s",
                          "test_fixture.py"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "No module named '__import_of_missing_module'" in log and "1 passed" in log
    assert missing_module(log) == ""


@pytest.mark.docker
def test_a_test_module_that_cannot_import_is_an_install_failure_naming_the_module(built_tasks):
    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())
    task.test_patch, task.FAIL_TO_PASS, task.PASS_TO_PASS = NEEDS_PLUGIN, [], []
    with pytest.raises(RecordDropped) as err:
        validate_task(task, task.validation["image"]["tag"], runs=1, timeout_s=120)
    assert err.value.reason == NO_TESTS_RAN
    assert task.validation["drop"]["missing_module"] == "trustme_not_installed"
    assert "trustme_not_installed" in err.value.detail


@pytest.mark.docker
def test_a_suite_slower_than_the_limit_runs_again_with_a_longer_one(built_tasks):
    """The test limit scales with what the task runs: a run that times out runs again with a doubled
    limit (up to 4x the configured one), and the limit reached is recorded."""
    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())
    task.install["test_cmd"] = "python -c 'import time; time.sleep(3)' && " + task.install["test_cmd"]
    validate_task(task, task.validation["image"]["tag"], runs=1, timeout_s=2)
    assert task.validation["status"] == "validated" and task.validation["test_timeout_s"] == 4
    with pytest.raises(RecordDropped) as err:  # a suite slower than 4x the limit is still a timeout
        task.install["test_cmd"] = "sleep 10 && true"
        validate_task(task, task.validation["image"]["tag"], runs=1, timeout_s=1)
    assert err.value.reason == "test_timeout" and "limit 4s" in err.value.detail
