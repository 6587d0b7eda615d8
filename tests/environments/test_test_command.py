"""The test command a task records runs the PR's test files and is graded per test: a fixture project
run with the real pytest (and pytest-cov) the way a container runs `make_test_script`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agentmt.environments.buildtask import fit_test_cmd_to_pytest
from agentmt.environments.grading import RESOLVED, make_report, make_test_script
from agentmt.types import TaskInstance

CMD = "python -m pytest -rA -v -p no:cacheprovider"


def _patch(path: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n"


def _run(project: Path, task: TaskInstance) -> str:
    """The task's test script, run in `project` with this interpreter as `python`."""
    script = project / "run_tests.sh"
    script.write_text(make_test_script(task, 120))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(script)], cwd=project, env=env, capture_output=True, text=True).stdout


def _task(test_file: str, lock: list[str], f2p: list[str]) -> TaskInstance:
    recipe = {"test_runner": "pytest", "test_cmd": CMD, "python": "3.12", "lock": lock}
    fit_test_cmd_to_pytest(recipe)
    return TaskInstance("o__r-1", "o/r", "0" * 40, "", _patch(test_file), "", FAIL_TO_PASS=f2p, install=recipe)


def test_a_coverage_threshold_in_addopts_does_not_fail_a_run_whose_tests_pass(tmp_path):
    """arrow-935: addopts `--cov-fail-under=100` made a run of the PR's one test file exit 1 (the rest
    of the package uncovered), so the gold patch graded unresolved although every test passed."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/a.py").write_text("def one():\n    return 1\n")
    (tmp_path / "pkg/b.py").write_text("def two():\n    return 2\n")  # no test of the task covers it
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_a.py").write_text("from pkg.a import one\n\n\ndef test_one():\n    assert one() == 1\n")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = --cov=pkg --cov-fail-under=100\n")
    task = _task("tests/test_a.py", ["coverage==7.6.1", "pytest==8.3.2", "pytest-cov==5.0.0"],
                 ["tests/test_a.py::test_one"])
    log = _run(tmp_path, task)
    assert "tests/test_a.py::test_one PASSED" in log
    assert make_report(task, log)["o__r-1"]["outcome"] == RESOLVED
    # the same suite without pytest-cov in the lock keeps its command: nothing to neutralise
    assert _task("tests/test_a.py", ["pytest==8.3.2"], []).install["test_cmd"] == CMD


def test_a_nose_style_test_file_the_pr_touches_is_collected(tmp_path):
    """tqdm's tests live in `tqdm/tests/tests_tqdm.py`: pytest's default python_files never collects
    it, so the file the PR touches must be named to the runner."""
    (tmp_path / "pkg/tests").mkdir(parents=True)
    (tmp_path / "pkg/tests/tests_pkg.py").write_text("def test_pkg():\n    assert True\n")
    task = _task("pkg/tests/tests_pkg.py", ["pytest==8.3.2"], ["pkg/tests/tests_pkg.py::test_pkg"])
    log = _run(tmp_path, task)
    assert make_report(task, log)["o__r-1"]["outcome"] == RESOLVED
