"""Era-correct environments: pin dates, the Python of the era, recipes from CI/tox/nox/packaging, and
(on a real image) dependencies resolved as of a date, recorded as a lock that rebuilds identically."""

from __future__ import annotations

import subprocess

import pytest

from agentmt.environments.grading import make_test_script
from agentmt.environments.pins import choose_python, resolve_pin_date
from agentmt.environments.recipe import make_recipe
from agentmt.errors import ConfigError
from agentmt.types import TaskInstance

WORKFLOW = """\
name: tests
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: [3.7, 3.8, "3.9", 3.10]
    steps:
      - uses: actions/setup-python@v4
      - run: |
          python -m pip install -U pip tox
          pip install -e .[tests] freezegun
      - run: pytest -x tests
"""
SETUP_PY = """\
from setuptools import setup
TESTS = ["pytest>=6", "pytest-mock"]
setup(
    name="pkg",
    install_requires=["attrs>=19"] + ["six"],
    setup_requires=["setuptools_scm"],
    extras_require={"tests": TESTS, "docs": ["sphinx"]},
    python_requires=">=3.7",
    classifiers=["Programming Language :: Python :: 3.7", "Programming Language :: Python :: 3.8"],
)
"""


def test_pin_date_modes():
    assert resolve_pin_date("commit", commit_date="2019-05-01T10:00:00+02:00") == "2019-05-01T08:00:00Z"
    assert resolve_pin_date("pr_created", commit_date="2019-05-01", pr_created="2019-04-02T00:00:00Z") \
        == "2019-04-02T00:00:00Z"
    assert resolve_pin_date("2020-01-31", commit_date="2019-05-01") == "2020-01-31T00:00:00Z"
    assert resolve_pin_date("none", commit_date="2019-05-01") is None
    with pytest.raises(ConfigError, match="pin_date"):
        from agentmt.environments.config import load_env_config

        load_env_config("pin_date=last-tuesday")


def test_python_of_the_era_among_the_bases():
    offline = ["3.9", "3.11", "3.13"]
    # a 2019 commit stating nothing gets a 2019-era Python: 3.8 is wanted, 3.9 the nearest base
    assert choose_python("", [], "2019-11-01T00:00:00Z", offline, "3.11") == ("3.9", "3.8")
    # stated versions bound the choice; an era tie goes to the older base (the code predates the newer)
    assert choose_python(">=3.8", ["3.8", "3.9", "3.10", "3.11", "3.12"], "2023-12-01", offline, "3.11") \
        == ("3.11", "3.12")
    assert choose_python("", [], "2025-06-01", offline, "3.11") == ("3.13", "3.13")
    # no base can give what requires-python demands: the drop names the version
    assert choose_python("<3.8", ["2.7", "3.6", "3.7"], "2019-01-01", offline, "3.11") == (None, "3.7")
    # a registry answering provides every version
    assert choose_python("", ["3.7"], "2019-01-01", ["3.7", "3.9"], "3.11") == ("3.7", "3.7")
    assert choose_python("", [], None, offline, "3.11") == ("3.11", "3.11")  # pin_date none: the default


def test_recipe_reads_ci_then_packaging_statically():
    recipe = make_recipe({".github/workflows/ci.yml": WORKFLOW, "setup.py": SETUP_PY}, era="2021-06-01T00:00:00Z")
    assert recipe["sources"] == [".github/workflows/ci.yml", "setup.py"]
    assert recipe["python_stated"] == ["3.7", "3.8", "3.9", "3.10"]  # the unquoted YAML 3.10 is not 3.1
    assert (recipe["python_target"], recipe["python"], recipe["base_release"]) == ("3.9", "3.9", "bullseye")
    assert recipe["dependencies"] == ["attrs>=19", "six"]
    assert recipe["build_dependencies"] == ["setuptools", "wheel", "setuptools_scm"]
    assert recipe["project_name"] == "pkg"
    # the extra CI installs (".[tests]") and a package it names; tox/pip themselves are tooling
    assert recipe["test_dependencies"] == ["freezegun", "pytest>=6", "pytest-mock"]
    assert recipe["test_runner"] == "pytest"


def test_recipe_from_poetry_and_tox_factors():
    pyproject = ('[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^3.8"\nrequests = "^2.24"\n'
                 'tomli = {version = "^1.0", optional = true}\n[tool.poetry.group.dev.dependencies]\n'
                 'pytest = "~6.2"\n')
    tox = ("[tox]\nenvlist = py{38,39}-pytest{6,7}\n[testenv]\ndeps =\n    mock\n    pytest6: pytest<7\n"
           "    pytest7: pytest>=7\n    git+https://example.com/x.git\ncommands = pytest {posargs}\n")
    recipe = make_recipe({"pyproject.toml": pyproject, "tox.ini": tox}, era="2022-03-01")
    assert recipe["python_spec"] == ">=3.8,<4.0" and recipe["python_stated"] == ["3.8", "3.9"]
    assert recipe["dependencies"] == ["requests>=2.24,<3.0"]
    # per-factor pins together are unsatisfiable, so only unconditional deps count
    assert recipe["test_dependencies"] == ["mock", "pytest>=6.2,<6.3"]


def test_poetry_constraints_on_pre_releases_keep_their_suffix():
    # tomlkit and cleo in 2018-2021 declared black = "^18.6b4": black had only pre-releases then
    pyproject = ('[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^3.6"\nx = "~1.2rc1"\n'
                 '[tool.poetry.dev-dependencies]\nblack = {version = "^18.6b4", python = "^3.6"}\n'
                 'pytest = "^3.5"\n')
    recipe = make_recipe({"pyproject.toml": pyproject}, era="2018-11-09")
    assert recipe["dependencies"] == ["x>=1.2rc1,<1.3"]
    assert 'black>=18.6b4,<19.0; python_version >= "3.6" and python_version < "4.0"' in recipe["test_dependencies"]


def test_a_poetry_dependency_for_some_pythons_only_gets_a_marker():
    # tomlkit 2018: functools32 = {version = "^3.2.3", python = "~2.7"}, a Python 2 backport
    pyproject = ('[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^2.7 || ^3.4"\n'
                 'functools32 = {version = "^3.2.3", python = "~2.7"}\nenum34 = {version = "^1.1", python = ">=2.7,<3.4"}\n'
                 'typing = {version = "^3.6", python = "~2.7 || ~3.4"}\n')
    from packaging.requirements import Requirement

    deps = make_recipe({"pyproject.toml": pyproject}, era="2018-11-09")["dependencies"]
    assert deps == ['functools32>=3.2.3,<4.0; python_version >= "2.7" and python_version < "2.8"',
                    'enum34>=1.1,<2.0; python_version >= "2.7" and python_version < "3.4"',
                    'typing>=3.6,<4.0; (python_version >= "2.7" and python_version < "2.8") or '
                    '(python_version >= "3.4" and python_version < "3.5")']
    assert not any(Requirement(d).marker.evaluate({"python_version": "3.9"}) for d in deps)


def test_tox_feature_factors_of_the_first_python3_env_count():
    tox = ("[tox]\nenvlist = py{26,27,33,34}-crypto, py{27,34}-contrib_crypto, py{27,34}-nocrypto, flake8\n"
           "[testenv]\ndeps =\n    crypto: cryptography\n    pytest\n    contrib_crypto: pycrypto\n"
           "    !crypto: six\n    py33,py34: enum34\n    py33-crypto: mock\n")
    # the first Python 3 env is py33-crypto: its feature factor counts, version factors never do
    assert make_recipe({"tox.ini": tox})["test_dependencies"] == ["cryptography", "pytest"]
    nocrypto = tox.replace("envlist = py{26,27,33,34}-crypto, ", "envlist = ")
    # now py34-contrib_crypto comes first: its factor, and `!crypto`
    assert make_recipe({"tox.ini": nocrypto})["test_dependencies"] == ["pytest", "pycrypto", "six"]


def test_the_project_never_comes_from_its_own_lock():
    from agentmt.environments.buildtask import without_project

    lock = ["iniconfig==1.0.1", "pluggy==0.13.1", "pytest==6.1.1"]
    assert without_project(lock, "pluggy") == ["iniconfig==1.0.1", "pytest==6.1.1"]
    assert without_project(["Zope.Interface==5.0"], "zope_interface") == []
    assert without_project(lock, "") == lock


def test_tooling_is_lifted_to_the_interpreters_era_unless_the_runner_is_the_projects_choice():
    from agentmt.environments.buildtask import lift_tooling

    floors = {"pytest": "2020-10-05T00:00:00Z", "setuptools": "2020-10-05T00:00:00Z"}
    closure = ["attrs==20.2.0", "pytest==6.1.1", "setuptools==50.3.0", "six==1.15.0"]
    recipe = {"test_dependencies": ["pytest", "mock"], "dependencies": ["six"], "project_name": "m"}
    lifted = lift_tooling(floors, closure, recipe)
    assert set(lifted) == {"attrs", "pytest", "setuptools"}  # six is the project's own dependency
    # pinned exactly (marshmallow 2018: pytest==3.3.1): pytest and attrs keep the pin date
    pinned = lift_tooling(floors, closure, {**recipe, "test_dependencies": ["pytest==3.3.1"]})
    assert pinned == {"setuptools": "2020-10-05T00:00:00Z"}
    # the runner depends on the project (pluggy): the same
    assert lift_tooling(floors, [*closure, "pluggy==0.13.1"], {**recipe, "project_name": "pluggy"}) == pinned
    # the project is a plugin of its runner (pytest-xdist: install_requires pytest>=4.4): the same
    assert lift_tooling(floors, closure, {**recipe, "dependencies": ["execnet>=1.1", "pytest>=4.4.0"]}) == pinned


def test_the_project_name_counts_even_when_setup_py_says_nothing_else():
    setup_py = "def main():\n    setup(name='pluggy', py_modules=['pluggy'])\n\nif __name__ == '__main__':\n    main()\n"
    recipe = make_recipe({"setup.py": setup_py})
    assert recipe["project_name"] == "pluggy" and recipe["sources"] == ["setup.py"]


def test_setup_py_test_does_not_make_the_runner_unittest():
    tox = "[testenv]\ncommands = python setup.py test\n"
    setup_py = "from setuptools import setup\nsetup(name='m', tests_require=['pytest'])\n"
    assert make_recipe({"tox.ini": tox, "setup.py": setup_py})["test_runner"] == "pytest"


def test_a_setup_cfg_pytest_section_keeps_pytest_before_4():
    cfg = "[metadata]\nname = m\n\n[pytest]\naddopts = --cov jwt\n"
    assert "pytest<4" in make_recipe({"setup.cfg": cfg, "setup.py": "setup(name='m')"})["test_dependencies"]
    modern = cfg.replace("[pytest]", "[tool:pytest]")
    assert "pytest<4" not in make_recipe({"setup.cfg": modern})["test_dependencies"]
    # pytest reads pytest.ini before setup.cfg: the old section is never looked at
    assert "pytest<4" not in make_recipe({"setup.cfg": cfg, "pytest.ini": "[pytest]\n"})["test_dependencies"]


def test_test_command_per_runner():
    patch = "diff --git a/tests/foo/test_x.py b/tests/foo/test_x.py\n"
    task = TaskInstance("i", "o/r", "0" * 40, "", patch, "", install={"test_runner": "unittest",
                                                                      "test_cmd": "python -m unittest -v"})
    assert "python -m unittest -v tests.foo.test_x\n" in make_test_script(task, 60)
    task.install = {"test_runner": "django", "test_cmd": "python tests/runtests.py --verbosity 2"}
    assert "runtests.py --verbosity 2 foo.test_x\n" in make_test_script(task, 60)


def test_pytest_before_3_runs_with_plain_asserts_on_python_3_9_and_later():
    from agentmt.environments.buildtask import PLAIN_ASSERT, fit_test_cmd_to_pytest

    def fitted(pytest_pin: str, python: str, runner: str = "pytest") -> str:
        recipe = {"test_runner": runner, "test_cmd": "python -m pytest -rA", "python": python,
                  "lock": ["py==1.4.28", pytest_pin]}
        fit_test_cmd_to_pytest(recipe)
        fit_test_cmd_to_pytest(recipe)  # a rebuild of the same task adds it once
        return recipe["test_cmd"]

    assert fitted("pytest==2.7.1", "3.9") == f"env PYTEST_ADDOPTS={PLAIN_ASSERT} python -m pytest -rA {PLAIN_ASSERT}"
    assert fitted("pytest==2.9.2", "3.13").count(PLAIN_ASSERT) == 2  # the inner runs of pytester too
    assert fitted("pytest==3.0.0", "3.9") == "python -m pytest -rA"  # 3.0 dropped the swap
    assert fitted("pytest==2.7.1", "3.8") == "python -m pytest -rA"  # the real class was raised before 3.9
    assert fitted("pytest==2.7.1", "3.9", runner="unittest") == "python -m pytest -rA"
    assert fitted("pytest-xdist==2.0", "3.9") == "python -m pytest -rA"  # another distribution


def test_pytest_3_10_runs_without_stepwise_when_the_cache_is_off():
    """pytest 3.10's stepwise plugin writes to config.cache at session end; -p no:cacheprovider has
    removed it, so the run ends in INTERNALERROR after its tests (tomlkit 2018, pytest 3.10.1)."""
    from agentmt.environments.buildtask import NO_STEPWISE, fit_test_cmd_to_pytest

    def fitted(pin: str, cmd: str = "python -m pytest -rA -p no:cacheprovider") -> str:
        recipe = {"test_runner": "pytest", "test_cmd": cmd, "python": "3.9", "lock": [pin]}
        fit_test_cmd_to_pytest(recipe)
        fit_test_cmd_to_pytest(recipe)
        return recipe["test_cmd"]

    assert fitted("pytest==3.10.1").endswith(f"-p no:cacheprovider {NO_STEPWISE}")
    assert fitted("pytest==3.10.1").count(NO_STEPWISE) == 1
    assert NO_STEPWISE not in fitted("pytest==3.9.3")  # no stepwise plugin before 3.10
    assert NO_STEPWISE not in fitted("pytest==5.4.3")
    assert NO_STEPWISE not in fitted("pytest==3.10.1", "python -m pytest -rA")  # the cache is on


@pytest.mark.docker
def test_dependencies_resolved_as_of_the_date_and_rebuilt_from_the_lock(calc_repo, docker_daemon, tmp_path):
    """six 1.12.0 was current in mid-2019 (1.17.0 in 2024): the pinned build gets the 2019 release,
    records the lock, and an image built from that lock holds exactly the same set."""
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.images import read_lock
    from agentmt.environments.runtime import DockerEnvironment
    from agentmt.environments.tasks import make_task

    repo, prs = calc_repo
    task = make_task(prs[0])
    task.install = {"python": "3.11", "base_release": "bookworm", "dependencies": ["six"],
                    "test_dependencies": ["pytest"], "build_dependencies": ["setuptools", "wheel"],
                    "install": "pip install --no-deps --no-build-isolation --use-pep517 -e .",
                    "test_runner": "pytest", "pin_date": "2019-06-01T00:00:00Z"}
    cfg = load_env_config("try_pull=false")
    build_task(task, cfg, repo, log_dir=tmp_path / "logs")
    assert task.install["lock_source"] == "resolved" and "six==1.12.0" in task.install["lock"]
    # the build backend and the test runner are resolved as of Python 3.11's release (2022-10-24):
    # setuptools 41 of mid-2019 cannot even import on 3.11
    assert task.install["pin_floors"]["setuptools"] == "2022-10-24T00:00:00Z"
    assert any(x.startswith("pytest==7.") for x in task.install["lock"])
    with DockerEnvironment(task.validation["image"]["tag"]) as env:
        out, rc = env.execute("python -c 'import six; print(six.__version__)'")
        assert rc == 0 and out.strip() == "1.12.0"
    frozen = read_lock(task.validation["image"]["env_tag"])
    # a user-given lock (here: the first image's full freeze) overrides resolution: same versions
    (tmp_path / "lock.txt").write_text("\n".join(frozen) + "\n")
    again = make_task(prs[0])
    again.install = {k: v for k, v in task.install.items() if k not in ("lock", "lock_source", "pin_exempt")}
    build_task(again, load_env_config("try_pull=false", f"lock={tmp_path / 'lock.txt'}"), repo)
    assert again.install["lock_source"] == "given"
    assert again.validation["image"]["env_tag"] != task.validation["image"]["env_tag"]
    assert read_lock(again.validation["image"]["env_tag"]) == frozen
    for t in (task, again):
        subprocess.run(["docker", "rmi", t.validation["image"]["tag"]], capture_output=True, check=False)


def test_unsatisfiable_as_of_the_date_is_a_counted_drop_with_the_resolvers_words(calc_repo, tmp_path):
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.tasks import make_task
    from agentmt.errors import RecordDropped

    repo, prs = calc_repo
    task = make_task(prs[0])
    task.install = {"python": "3.11", "dependencies": ["six>=1.16"], "test_dependencies": [],
                    "build_dependencies": ["setuptools"], "pin_date": "2019-06-01T00:00:00Z"}
    with pytest.raises(RecordDropped) as e:
        build_task(task, load_env_config("try_pull=false"), repo)
    assert e.value.reason == "resolution_failed"
    drop = task.validation["drop"]
    assert drop["stage"] == "build" and "six" in drop["detail"] and "No solution found" in drop["detail"]


def test_a_python_no_base_provides_is_a_drop_naming_the_version(calc_repo):
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.tasks import make_task
    from agentmt.errors import RecordDropped

    repo, prs = calc_repo
    task = make_task(prs[0])
    task.install = make_recipe({"setup.py": "setup(python_requires='>=3.6,<3.8')"}, era="2019-06-01")
    with pytest.raises(RecordDropped) as e:
        build_task(task, load_env_config("try_pull=false"), repo)
    assert e.value.reason == "python_unavailable" and "Python 3.7" in e.value.detail
    assert task.validation["drop"]["python"] == "3.7"
