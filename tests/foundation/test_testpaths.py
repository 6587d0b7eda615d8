"""What a test runner is given for a task: the test files its test patch touches."""

from agentmt import testpaths
from agentmt.types import TaskInstance


def _patch(*paths: str) -> str:
    return "".join(f"diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n@@ -1 +1 @@\n-a\n+b\n" for p in paths)


def test_pytest_is_given_test_modules_named_otherwise_but_no_conftest_or_helpers_outside_tests():
    # pylint-dev__pylint-4604 and pytest-dev__pytest-5631 (SWE-bench Verified): without these
    # targets the runner got none and ran the whole suite
    patch = _patch("tests/checkers/unittest_variables.py", "testing/python/integration.py", "testing/conftest.py",
                   "tests/__init__.py", "tests/data/input.txt", "src/helpers.py", "tests/test_a.py")
    task = TaskInstance("i", "a/b", "c", "", patch, "")
    assert testpaths.test_targets(task) == ["tests/test_a.py", "tests/checkers/unittest_variables.py",
                                  "testing/python/integration.py"]
    django = TaskInstance("i", "a/b", "c", "", patch, "", install={"test_runner": "django"})
    assert testpaths.test_targets(django) == ["test_a"]  # Django labels stay test modules only
