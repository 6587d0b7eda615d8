"""Recipe inference on shapes seen on repositories nobody tuned agentmt on (issue 21's fault classes),
each read from a small real git repository the way `env build` reads one."""

from __future__ import annotations

from pathlib import Path

from agentmt.environments.recipe import make_recipe, read_recipe_files

GROUPS_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "netlib"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["idna>=2.5"]

[project.optional-dependencies]
socks = ["pysocks"]

[dependency-groups]
test = ["pytest>=7", "trustme"]
coverage = [{include-group = "test"}, "coverage[toml]"]
lint = ["ruff"]
"""
NOXFILE = """\
import nox

PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session(python=["3.9", "3.12"])
def tests(session):
    session.install(*nox.project.dependency_groups(PYPROJECT, "coverage"), ".[socks]")
    session.run("pytest")
"""
WORKFLOW = """\
on: [push]
jobs:
  test:
    strategy:
      matrix:
        python-version: ["3.11"]
    steps:
      - run: uv pip install --system -e . --group test -c constraints.txt
      - run: python -m pytest
"""


def _recipe(tmp_path: Path, fixture_git, files: dict[str, str]) -> dict:
    git, commit_files = fixture_git
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = commit_files(repo, files, "base")
    return make_recipe(read_recipe_files(repo, sha), era="2025-01-01T00:00:00Z")


def test_dependency_groups_and_extras_resolve_to_what_they_declare(tmp_path, fixture_git):
    """`--group test` in CI and `nox.project.dependency_groups(PYPROJECT, "coverage")` name PEP 735
    groups (one including another), never packages called `test` or `coverage`; an option's value
    (`-c constraints.txt`) is no package either, and the nox call's inner `)` does not end its args."""
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": GROUPS_PYPROJECT, "noxfile.py": NOXFILE,
                                            ".github/workflows/ci.yml": WORKFLOW, "netlib/__init__.py": ""})
    tests = recipe["test_dependencies"]
    assert {"pytest>=7", "trustme", "coverage[toml]", "pysocks"} <= set(tests)
    for wrong in ("test", "coverage", "constraints.txt", "dev", "lint", "ruff"):
        assert wrong not in tests, wrong
    assert recipe["dependencies"] == ["idna>=2.5"]


def test_tox_dependency_groups_name_pep735_groups(tmp_path, fixture_git):
    pyproject = GROUPS_PYPROJECT.replace('lint = ["ruff"]', 'lint = ["ruff"]\nspeed = ["brotli"]')
    tox = "[tox]\nenvlist = py311\n\n[testenv]\ndependency_groups =\n    speed\ncommands = pytest\n"
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": pyproject, "tox.ini": tox})
    assert "brotli" in recipe["test_dependencies"] and "speed" not in recipe["test_dependencies"]
    # the project's test-like group is installed even when no command names it
    assert "trustme" in recipe["test_dependencies"]


SETUP_PY = """\
from setuptools import setup

setup(name="httpclient", version="2.0", install_requires=["urllib3>=1.21"],
      tests_require=["pytest-httpbin==0.0.7", "pytest>=2.8.0", "pytest-mock"])
"""


def test_two_sources_pinning_one_package_differently_keep_the_more_trusted(tmp_path, fixture_git):
    """setup.py's tests_require (read only by the deprecated `setup.py test`) pins the plugin 0.0.7,
    requirements-dev.txt pins 1.0.0: one resolve with both is unsatisfiable. The developers' file
    wins, the conflict is recorded, and a bare name never overrides a pin."""
    recipe = _recipe(tmp_path, fixture_git, {
        "setup.py": SETUP_PY, "requirements-dev.txt": "pytest>=3\npytest-httpbin==1.0.0\npytest-mock\n",
        "httpclient/__init__.py": ""})
    tests = recipe["test_dependencies"]
    assert "pytest-httpbin==1.0.0" in tests and "pytest-httpbin==0.0.7" not in tests
    assert [t for t in tests if t.startswith("pytest") and t[6:7] in ("", ">", "=")] == ["pytest>=3"]
    assert tests.count("pytest-mock") == 1
    conflicts = {c["name"]: c for c in recipe["requirement_conflicts"]}
    assert conflicts["pytest-httpbin"] == {"name": "pytest-httpbin", "kept": "pytest-httpbin==1.0.0",
                                           "kept_from": "requirements-dev.txt",
                                           "dropped": "pytest-httpbin==0.0.7", "dropped_from": "setup.py"}
    assert conflicts["pytest"]["kept"] == "pytest>=3" and "pytest-mock" not in conflicts


def test_a_requirements_file_a_ci_command_names_ranks_as_ci(tmp_path, fixture_git):
    """pyproject's extra pins the runner one way, the file CI installs pins it another: CI wins."""
    pyproject = GROUPS_PYPROJECT.replace('socks = ["pysocks"]', 'test = ["pytest==7.0.0"]')
    workflow = WORKFLOW.replace("--group test -c constraints.txt", "-r requirements/ci.txt")
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": pyproject, ".github/workflows/ci.yml": workflow,
                                            "requirements/ci.txt": "pytest==8.1.1\n"})
    assert "pytest==8.1.1" in recipe["test_dependencies"]
    assert not any(t.startswith("pytest==7") or t.startswith("pytest>=7") for t in recipe["test_dependencies"])
    kept = {c["name"]: c["kept_from"] for c in recipe["requirement_conflicts"]}
    assert kept["pytest"] == "requirements/ci.txt via .github/workflows/ci.yml"
