"""Which files of a repository belong to its test suite, and what a test runner is given for a task: one
rule for task construction (code patch vs test patch), the agent's submission (test files dropped),
grading and the gold replay. Pure functions over paths and task records."""

from __future__ import annotations

import re

from agentmt.types import TaskInstance

_PATCH_FILE = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.MULTILINE)
_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_tests?\.py$|(^|/)conftest\.py$")


def is_test_path(path: str) -> bool:
    """True for files that belong to the test suite (test folders, test_*.py, *_test.py, conftest)."""
    return bool(_TEST_PATH.search(path))


def patch_files(patch: str) -> list[str]:
    """Paths a git-style patch touches (new side), in order."""
    return list(dict.fromkeys(m.group(2) for m in _PATCH_FILE.finditer(patch)))


def test_files(task: TaskInstance) -> list[str]:
    """The test modules the task's test patch touches (conftest/helpers excluded). Nose-style names
    (tests_*.py, *_tests.py) count: pytest collects a file it is given whatever its python_files."""
    return [p for p in patch_files(task.test_patch)
            if re.search(r"(^|/)tests?_[^/]*\.py$|_tests?\.py$|(^|/)tests\.py$", p)]


def test_targets(task: TaskInstance) -> list[str]:
    """What the runner is given: test file paths (pytest), dotted modules (unittest), or Django test
    labels relative to tests/ (runtests.py), for the files the test patch touches."""
    runner = task.install.get("test_runner") or "pytest"
    files = test_files(task)
    if runner == "unittest":
        return [f[:-3].replace("/", ".") for f in files]
    if runner == "django":
        return [f[:-3].removeprefix("tests/").replace("/", ".") for f in files]
    # pytest collects any file it is given, whatever its python_files: a test module named otherwise
    # (pylint's tests/**/unittest_*.py, pytest's testing/python/integration.py) ran the whole suite
    others = [p for p in patch_files(task.test_patch) if p.endswith(".py") and p not in files
              and re.search(r"(^|/)(tests?|testing)/", p) and not re.search(r"(^|/)(conftest|__init__)\.py$", p)]
    return files + others


DEFAULT_TEST_CMD = "python -m pytest -rA -p no:cacheprovider"
# A Python 2 project converted by its setup.py (`use_2to3`): the tests run on a 2to3-converted copy
# of the working tree, as its tox py3 environments did; the tree itself (what a patch is taken
# from) stays as it is. Test ids are relative to the copy's root, the same as to the tree's.
PY3_COPY = "/tmp/agentmt-2to3"
CONVERT_2TO3 = (f"bash -c 'rm -rf {PY3_COPY} && cp -a \"$PWD\" {PY3_COPY} && "
                f"python -m lib2to3 -w -n --no-diffs {PY3_COPY} >/dev/null 2>&1; "
                f"cd {PY3_COPY} && exec \"$@\"' agentmt-2to3 ")


def test_command(task: TaskInstance) -> str:
    """The command that runs the task's tests from the working tree (targets are appended to it):
    the recipe's `test_cmd`, on a 2to3-converted copy where the recipe says `convert_2to3`."""
    cmd = task.install.get("test_cmd") or DEFAULT_TEST_CMD
    return CONVERT_2TO3 + cmd if task.install.get("convert_2to3") else cmd
