"""Recipe and validation problems first seen on a real repository (Pylons/waitress), reproduced small.

waitress names its test extra in setup.cfg / tox.ini (`extras = testing`), runs pytest with
`addopts = --cov` (pytest-cov required), and declares a PEP 639 `license = "..."` string that the
setuptools seeded by `python3 -m venv` (66 on bookworm) rejects.
"""

from __future__ import annotations

import subprocess

import pytest

from agentmt.environments.images import build_task_image, make_env_dockerfile, make_requirements
from agentmt.environments.recipe import make_recipe, read_recipe_files
from agentmt.environments.runtime import DockerEnvironment
from agentmt.environments.validate import NO_TESTS_RAN, validate_task
from agentmt.errors import RecordDropped
from agentmt.types import TaskInstance

SETUP_CFG = """\
[metadata]
name = srv

[options]
packages = find:
python_requires = >=3.9.0

[options.extras_require]
testing =
    pytest
    pytest-cov
docs =
    Sphinx>=1.8.1

[tool:pytest]
addopts = --cov -W always
"""
TOX_INI = """\
[tox]
envlist = py39,py311,docs

[testenv]
commands = python -m pytest {posargs:}
extras =
    py39: testing
    ci

[testenv:docs]
extras = docs
"""
PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "srv"
version = "1.0"
license = "MIT"
requires-python = ">=3.9"

[project.optional-dependencies]
ci = ["pytest", "pytest-cov"]

[tool.pytest.ini_options]
addopts = "--cov"
"""


def test_setup_cfg_and_tox_extras_are_test_dependencies():
    recipe = make_recipe({"setup.cfg": SETUP_CFG, "tox.ini": TOX_INI, "setup.py": "setup()"})
    assert recipe["test_dependencies"] == ["pytest", "pytest-cov"]  # the docs env's extra is not a test dep
    assert "setup.cfg" in recipe["sources"]
    # an extra with an unusual name counts when tox's default test env installs it
    ci = make_recipe({"pyproject.toml": PYPROJECT, "tox.ini": TOX_INI})
    assert ci["test_dependencies"] == ["pytest", "pytest-cov"]
    assert make_recipe({"pyproject.toml": PYPROJECT})["test_dependencies"] == ["pytest"]


def test_build_requirements_are_upgraded_in_the_env_layer():
    recipe = make_recipe({"pyproject.toml": PYPROJECT.replace('["setuptools"]', '["setuptools>=77", "x-scm"]')})
    assert recipe["build_dependencies"] == ["setuptools>=77", "x-scm"]
    assert make_recipe({"setup.py": "setup()"})["build_dependencies"] == ["setuptools", "wheel"]
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install=recipe)
    # the env layer resolves build requirements with the project's (one uv resolution, one date)
    assert make_requirements(task) == "setuptools>=77\nx-scm\nwheel\npytest\n"
    dockerfile = make_env_dockerfile(task, "agentmt-base:bookworm", with_ca=False)
    assert "-r /etc/agentmt/requirements.txt" in dockerfile


def _git(repo, *args):
    env = {"GIT_AUTHOR_NAME": "d", "GIT_AUTHOR_EMAIL": "d@x", "GIT_COMMITTER_NAME": "d",
           "GIT_COMMITTER_EMAIL": "d@x", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


SETUP_PY = "from setuptools import setup\n\nsetup(name='srv', version='1.0', packages=['srv'])\n"


@pytest.mark.docker
@pytest.mark.parametrize("packaging", [
    # PEP 639 license string (needs setuptools >= 77) + addopts --cov (needs tox's "ci" extra)
    {"pyproject.toml": PYPROJECT, "tox.ini": TOX_INI},
    # setup.py only: setuptools >= 80 turns `setup.py develop` into an isolated pip install (network)
    {"setup.py": SETUP_PY},
], ids=["pep639-cov", "setup-py-only"])
def test_real_world_packaging_builds_offline_and_runs(packaging, tmp_path, docker_daemon):
    repo = tmp_path / "srv"
    files = {**packaging, "srv/__init__.py": "def ok():\n    return True\n",
             "tests/test_srv.py": "from srv import ok\n\n\ndef test_ok():\n    assert ok()\n"}
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "init")
    sha = _git(repo, "rev-parse", "HEAD")
    task = TaskInstance("o__srv-1", "o/srv", sha, "", "", "", install=make_recipe(read_recipe_files(repo, sha)))
    img = build_task_image(task, repo, "agentmt-base:bookworm", log_dir=tmp_path / "logs")
    with DockerEnvironment(img.tag) as env:
        out, rc = env.execute(task.install["test_cmd"] + " tests/test_srv.py")
    assert rc == 0 and "PASSED tests/test_srv.py::test_ok" in out, out[-2000:]


@pytest.mark.docker
def test_a_runner_that_reports_no_tests_is_dropped_with_its_log(built_tasks):
    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())
    task.install["test_cmd"] = "python -m pytest -rA --no-such-option"
    with pytest.raises(RecordDropped) as err:
        validate_task(task, task.validation["image"]["tag"], runs=1, timeout_s=60)
    assert err.value.reason == NO_TESTS_RAN
    assert "exit 4" in err.value.detail and "--no-such-option" in err.value.detail
