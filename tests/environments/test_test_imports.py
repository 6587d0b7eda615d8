"""What the code under test imports and nothing declares is added to an inferred recipe: a test module
the task's test patch adds imports an undeclared package (arrow 2018: pytz), the gold patch imports
the dependency it adds (pytest-xdist 2020: psutil), a dependency declared only for old interpreters is
imported unconditionally by the tests (starlette 2024: typing_extensions). Each was dropped as
`no_tests_ran` naming the module. A guess that cannot be resolved is taken back out before the build."""

from __future__ import annotations

import subprocess

import pytest

from agentmt.environments.testimports import module_imports, patch_imports, unprovided_imports
from agentmt.types import TaskInstance

SETUP_PY = ('from setuptools import setup\n\nsetup(name="tzlib", version="0.1", packages=["tzlib"],\n'
            '      install_requires=["requests", \'typing_extensions; python_version < "3.10"\'])\n')
GUARDED = """\
import os
import sys
from . import helpers
try:
    import numpy
except ImportError:
    numpy = None
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import mypy_extensions
if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:
    from typing_extensions import ParamSpec
try:
    import simplejson as json
finally:
    pass


def later():
    import trio
"""
FILES = {
    "setup.py": SETUP_PY,
    "tzlib/__init__.py": "import requests\nfrom tzlib.compat import ParamSpec\n",
    "tzlib/compat.py": GUARDED,
    "tzlib/helpers.py": "import attr\n",
    "tzlib/more.py": "import attr\nimport yaml\n",  # two library files import attr (one imports yaml)
    "tzlib/contrib/keras.py": "import keras\n",  # one optional integration: not what the tests need
    "tests/test_zones.py": "import pytz\nfrom typing_extensions import assert_type\nimport helpers_local\n"
                           "import tzlib\n\n\ndef test_utc():\n    assert pytz.utc.zone == 'UTC'\n",
    "tests/helpers_local.py": "import dateutil.tz\n",
    "docs/conf.py": "import sphinx_rtd_theme\n",
    "examples/demo.py": "import matplotlib\n",
}
GOLD = """\
diff --git a/tzlib/cpu.py b/tzlib/cpu.py
new file mode 100644
--- /dev/null
+++ b/tzlib/cpu.py
@@ -0,0 +1,4 @@
+import psutil
+
+def count():
+    import curio
"""


def test_what_a_plain_import_runs():
    # try/finally guards nothing: simplejson is imported whenever the module is
    assert module_imports(GUARDED) == {"os", "sys", "typing", "typing_extensions", "simplejson"}
    # an interpreter switch is read for the Python the environment has, when it is known
    assert "typing_extensions" in module_imports(GUARDED, "3.9")
    assert "typing_extensions" not in module_imports(GUARDED, "3.11")
    switches = ("if PY2:\n    import functools32\nelse:\n    import functools\n"
                "if sys.version_info[0] < 3:\n    import urllib2\n"
                "if not six.PY3:\n    import cPickle\n"
                "if sys.version_info[:2] >= (3, 8):\n    import importlib.metadata\nelse:\n    import importlib_metadata\n"
                "if os.environ.get('X'):\n    import gevent\n")
    assert module_imports(switches, "3.9") == {"functools", "importlib", "gevent"}
    assert module_imports(switches) >= {"functools32", "urllib2", "cPickle", "importlib_metadata", "gevent"}
    assert module_imports("print 'python 2'\nimport urllib2\n") == set()  # not Python 3: nothing read
    assert patch_imports(GOLD) == {"psutil"}  # the indented import runs only when called


def test_imports_nothing_provides_become_requirements(new_repo):
    repo, sha = new_repo(FILES)
    declared = ["requests", 'typing_extensions; python_version < "3.10"', "pytest"]
    # on 3.11 the marker leaves typing_extensions out, and the tests import it anyway
    assert unprovided_imports(repo, sha, [GOLD], declared, "3.11", "tzlib") == \
        ["attrs", "psutil", "python-dateutil", "pytz", "typing-extensions"]
    assert unprovided_imports(repo, sha, [GOLD], declared, "3.9", "tzlib") == \
        ["attrs", "psutil", "python-dateutil", "pytz"]
    assert unprovided_imports(repo, sha, [], [*declared, "attrs>=19", "python_dateutil", "pytz"],
                              "3.9", "tzlib") == []


def test_an_inferred_recipe_adds_them_and_records_which(new_repo):
    from agentmt.environments.buildtask import prepare_recipe
    from agentmt.environments.config import load_env_config

    repo, sha = new_repo(FILES)
    task = TaskInstance(instance_id="tz-1", repo="demo/tz", base_commit=sha, patch=GOLD, test_patch="",
                        problem_statement="")
    prepare_recipe(task, load_env_config("try_pull=false", "pin_date=2019-06-01"), repo)
    r = task.install
    assert r["source"] == "inferred" and "psutil" in r["imports_added"] and "pytz" in r["imports_added"]
    assert set(r["imports_added"]) <= set(r["test_dependencies"])
    assert not {"keras", "matplotlib", "numpy", "sphinx-rtd-theme", "trio", "curio"} & set(r["test_dependencies"])


NOT_ON_PYPI = "agentmt-no-such-distribution-3f9c"
TEST_MODULE = f"import pytz\nimport {NOT_ON_PYPI.replace('-', '_')}\n\n\ndef test_utc():\n    assert pytz.utc\n"


@pytest.mark.docker
def test_a_guess_that_does_not_resolve_is_taken_back_and_the_rest_builds(tmp_path, new_repo, fixture_git,
                                                                         docker_daemon):
    """Resolution fails on a module no distribution provides: the build runs again as declared, and
    the task says which guesses were dropped and why; with only pytz guessed, the image has pytz."""
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.runtime import DockerEnvironment

    files = {"setup.py": 'from setuptools import setup\nsetup(name="tzlib", version="0.1", py_modules=["tzlib"])\n',
             "tzlib.py": "X = 1\n", "tests/test_zones.py": TEST_MODULE}
    repo, sha = new_repo(files)
    cfg = load_env_config("try_pull=false", "pin_date=2021-06-01")
    bad = TaskInstance(instance_id="tz-1", repo="demo/tz", base_commit=sha, patch="", test_patch="",
                       problem_statement="")
    build_task(bad, cfg, repo, log_dir=tmp_path / "logs")
    assert "imports_added" not in bad.install
    assert bad.install["guesses_unusable"]["added"] == [NOT_ON_PYPI, "pytz"]
    assert "resolution_failed" in bad.install["guesses_unusable"]["why"]
    assert not any(x.startswith("pytz==") for x in bad.install["lock"])

    _, commit_files = fixture_git
    good_sha = commit_files(repo, {"tests/test_zones.py": TEST_MODULE.split("\n", 2)[0] + "\n"
                                   + TEST_MODULE.split("\n", 2)[2]}, "only pytz")
    good = TaskInstance(instance_id="tz-2", repo="demo/tz", base_commit=good_sha, patch="", test_patch="",
                        problem_statement="")
    build_task(good, cfg, repo, log_dir=tmp_path / "logs")
    assert good.install["imports_added"] == ["pytz"] and "guesses_unusable" not in good.install
    assert any(x.startswith("pytz==2021.1") for x in good.install["lock"])  # as of the pin date
    with DockerEnvironment(good.validation["image"]["tag"]) as env:
        out, rc = env.execute("python -c 'import pytz; print(pytz.__version__)'")
        assert rc == 0 and out.strip() == "2021.1", out
    for t in (bad, good):
        subprocess.run(["docker", "rmi", t.validation["image"]["tag"]], capture_output=True, check=False)
