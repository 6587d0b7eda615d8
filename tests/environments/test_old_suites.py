"""Old test suites on the interpreters a base image has: a suite written against runner APIs the lifted
runner removed keeps a runner that has them (pytest-xdist 2015: `pytest_funcarg__` fixtures under
pytest 6.1, INTERNALERROR before any test ran); a Python 2 project that its setup.py converts with
2to3 has its tests run on a converted copy (sqlparse 2014: every test module a SyntaxError)."""

from __future__ import annotations

import pytest

from agentmt.environments.recipe import make_recipe
from agentmt.environments.runnerapi import removed_api_uses
from agentmt.types import TaskInstance

CONFTEST_2015 = """\
import pytest


def pytest_funcarg__specssh(request):
    return request.config.getvalue("sshhost")


class TestRemote:
    def setup_method(self, method):
        self.testdir = self.request.getfuncargvalue("testdir")
"""
WRITES_OLD_CONFTEST = '''\
def test_namespace(testdir):
    testdir.makeconftest("""
        def pytest_funcarg__myarg(request):
            return 42
    """)
'''


def test_removed_runner_apis_are_read_from_syntax_not_strings():
    assert list(removed_api_uses({"testing/conftest.py": CONFTEST_2015})) == ["pytest<4"]
    assert "pytest_funcarg__specssh" in removed_api_uses({"testing/conftest.py": CONFTEST_2015})["pytest<4"]
    assert removed_api_uses({"testing/test_a.py": WRITES_OLD_CONFTEST}) == {}
    assert removed_api_uses({"t/test_b.py": "import pytest\n\ndef test_x():\n    pytest.config.getoption('x')\n"}) \
        == {"pytest<5": "the global `pytest.config` (removed in pytest 5.0), in t/test_b.py"}
    assert list(removed_api_uses({"t/test_c.py": "import pytest\nwith pytest.warns(None):\n    pass\n"})) == ["pytest<8"]
    # several: the tightest cap, since it satisfies every one
    assert list(removed_api_uses({"a/test_1.py": CONFTEST_2015, "t/test_c.py": "pytest.warns(None)\n"})) == ["pytest<4"]
    assert removed_api_uses({"t/test_py2.py": "print 'x'\ndef pytest_funcarg__a(request): pass\n"}) == {}


def test_an_inferred_pytest_recipe_gets_the_cap(new_repo):
    from agentmt.environments.buildtask import prepare_recipe
    from agentmt.environments.config import load_env_config

    repo, sha = new_repo({"setup.py": 'from setuptools import setup\nsetup(name="plug", install_requires=["pytest>=2.4"])\n',
                          "plug.py": "X = 1\n", "testing/conftest.py": CONFTEST_2015,
                          "testing/test_x.py": WRITES_OLD_CONFTEST})
    task = TaskInstance(instance_id="p-1", repo="demo/plug", base_commit=sha, patch="", test_patch="",
                        problem_statement="")
    prepare_recipe(task, load_env_config("try_pull=false", "pin_date=2015-09-01"), repo)
    assert "pytest<4" in task.install["test_dependencies"]
    assert "testing/conftest.py" in task.install["runner_caps"]["pytest<4"]


SETUP_2TO3 = """\
import sys
from setuptools import setup
kwargs = {}
if sys.version_info[0] == 3:
    kwargs['use_2to3'] = True
setup(name='sqlish', version='0.1', packages=['sqlish'], **kwargs)
"""
PY2_TEST = """\
diff --git a/tests/test_py2.py b/tests/test_py2.py
new file mode 100644
--- /dev/null
+++ b/tests/test_py2.py
@@ -0,0 +1,4 @@
+def test_py2():
+    d = {"a": 1}
+    assert d.has_key("a")
+    print "ok"
"""


def test_a_setup_py_that_converts_with_2to3_marks_the_recipe():
    from agentmt.testpaths import test_command

    recipe = make_recipe({"setup.py": SETUP_2TO3}, era="2014-01-01T00:00:00Z")
    assert recipe["convert_2to3"] is True
    assert "convert_2to3" not in make_recipe({"setup.py": "setup(name='x')"}, era="2014-01-01T00:00:00Z")
    # grading and the gold replay run the tests through the same command
    task = TaskInstance(instance_id="s-1", repo="o/r", base_commit="0" * 40, patch="", test_patch="",
                        problem_statement="", install=recipe)
    assert "lib2to3" in test_command(task) and test_command(task).endswith(recipe["test_cmd"])


@pytest.mark.docker
def test_python_2_tests_run_converted_and_the_tree_stays_as_it_was(built_tasks):
    from agentmt.environments.grading import parse_test_log
    from agentmt.environments.harness import apply_patch, run_tests
    from agentmt.environments.runtime import DockerEnvironment

    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())
    task.test_patch = PY2_TEST
    statuses = {}
    for convert in (False, True):
        task.install["convert_2to3"] = convert
        with DockerEnvironment(task.validation["image"]["tag"]) as env:
            assert apply_patch(env, PY2_TEST, "test")[0]
            log = run_tests(env, task, timeout_s=300)
            statuses[convert] = parse_test_log(task, log)
            tree, _ = env.execute("git status --porcelain && cat tests/test_py2.py")
        assert not [x for x in tree.splitlines() if x.startswith(" M")] and 'print "ok"' in tree  # as it was
    assert statuses[True].get("tests/test_py2.py::test_py2") == "PASSED", statuses[True]
    assert statuses[False].get("tests/test_py2.py::test_py2") != "PASSED"


def test_a_python_2_era_task_where_nothing_passes_on_python_3_is_the_machines_limit():
    from agentmt.environments.validate import python2_only

    task = TaskInstance(instance_id="s-1", repo="o/r", base_commit="0" * 40, patch="", test_patch="",
                        problem_statement="", install={"python_target": "2.7", "python": "3.9"})
    assert python2_only(task, [{"tests/test_a.py": "ERROR"}])
    assert not python2_only(task, [{"tests/test_a.py": "ERROR", "tests/test_b.py::test_x": "PASSED"}])
    task.install["python_target"] = "3.6"
    assert not python2_only(task, [{"tests/test_a.py": "ERROR"}])


@pytest.mark.docker
def test_validation_drops_it_as_python_unavailable(built_tasks):
    from agentmt.environments.validate import validate_task
    from agentmt.errors import RecordDropped

    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())
    task.test_patch, task.FAIL_TO_PASS, task.PASS_TO_PASS = PY2_TEST, [], []
    task.install.update(python_target="2.7", convert_2to3=False)
    with pytest.raises(RecordDropped) as err:
        validate_task(task, task.validation["image"]["tag"], runs=1, timeout_s=120)
    assert err.value.reason == "python_unavailable" and task.validation["drop"]["python"] == "2.7"
