"""Recipe inference on shapes seen on repositories nobody tuned agentmt on (issue 21's fault classes),
each read from a small real git repository the way `env build` reads one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentmt.environments.recipe import make_recipe, read_recipe_files
from agentmt.environments.resolve import uv_binary

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
    repo.mkdir(parents=True)
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
    # the project's test-like group is installed even when no command names it; a "dev" group (with
    # its linters and type checkers) only when there is no test group
    assert "trustme" in recipe["test_dependencies"]
    dev = pyproject.replace('lint = ["ruff"]', 'lint = ["ruff"]\ndev = [{include-group = "lint"}, "mypy"]')
    assert not {"ruff", "mypy"} & set(_recipe(tmp_path / "a", fixture_git, {"pyproject.toml": dev})["test_dependencies"])
    no_test = dev.replace("test = [", "speed2 = [").replace('{include-group = "test"}', '{include-group = "speed2"}')
    assert {"ruff", "mypy"} <= set(_recipe(tmp_path / "b", fixture_git, {"pyproject.toml": no_test})["test_dependencies"])


PDM_PYPROJECT = """\
[build-system]
requires = ["pdm-backend"]
build-backend = "pdm.backend"

[project]
name = "mdlib"
version = "1.0"
dependencies = []

[project.optional-dependencies]
toc = ["python-slugify"]

[tool.pdm.dev-dependencies]
bench = ["mistune>=2.0"]
test = ["pytest", "pytest-cov"]
"""


def test_pdm_group_flags_name_groups_and_extras(tmp_path, fixture_git):
    """pdm's `-dG NAME` (a flag cluster), `-s NAME` (pdm < 1.5's sections) and `-G EXTRA` name groups
    (marko's CI and noxfile): never packages called `toc` or `bench`; an optional-dependency group
    named by -G installs its requirements, as pdm does."""
    noxfile = ('import nox\n\n\n@nox.session\ndef bench(session):\n'
               '    session.run("pdm", "install", "-dG", "bench", external=True)\n')
    workflow = "on: [push]\njobs:\n  test:\n    steps:\n      - run: pdm install -d -s toc\n      - run: pdm run pytest\n"
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": PDM_PYPROJECT, "noxfile.py": noxfile,
                                            ".github/workflows/ci.yml": workflow, "mdlib/__init__.py": ""})
    tests = recipe["test_dependencies"]
    assert {"python-slugify", "pytest", "pytest-cov"} <= set(tests)
    assert not {"toc", "bench", "-dG", "-s"} & set(tests), tests


def test_only_test_jobs_and_sessions_feed_the_test_dependencies(tmp_path, fixture_git):
    """marko 2020: a `Linting` job's `pip install mypy` (whose 2020 release needs typed-ast built on
    3.9) and a docs nox session's sphinx install are no test dependencies; a job named `build`
    that runs pytest (GitHub's template) still is a test job."""
    workflow = ("on: [push]\njobs:\n  Linting:\n    steps:\n      - run: |\n          pip install mypy flake8\n"
                "          mypy .\n  build:\n    steps:\n      - run: pip install trustme\n      - run: pytest\n"
                "  docs-build:\n    name: Build the docs\n    steps:\n      - run: pip install furo\n")
    noxfile = ('import nox\n\n\n@nox.session(python=["3.9"])\ndef tests(session):\n'
               '    session.install("pytest-mock")\n    session.run("pytest", "tests/")\n\n\n'
               '@nox.session\ndef docs(session):\n    session.install("pdm", "install", "-G", "doc", external=True)\n'
               '    session.install("sphinx-autobuild")\n\n\n@nox.session(name="type-check")\ndef types_(session):\n'
               '    session.install("pyright")\n')
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": PDM_PYPROJECT, "noxfile.py": noxfile,
                                            ".github/workflows/ci.yml": workflow, "mdlib/__init__.py": ""})
    tests = recipe["test_dependencies"]
    assert {"trustme", "pytest-mock"} <= set(tests), tests
    assert not {"mypy", "flake8", "furo", "sphinx-autobuild", "install", "pyright"} & set(tests), tests


def test_ci_uploaders_in_a_root_requirements_file_are_no_dependencies(tmp_path, fixture_git):
    """starlette 2018's requirements.txt lists codecov beside pytest: an uploader never runs in a
    test run, and PyPI serves no codecov release before 2022, so it failed the resolve as of 2018."""
    setup_py = 'from setuptools import setup\n\nsetup(name="asgilib", version="0.1", packages=["asgilib"])\n'
    recipe = _recipe(tmp_path, fixture_git, {"setup.py": setup_py, "asgilib/__init__.py": "",
                                            "requirements.txt": "requests\n\n# Testing\ncodecov\npytest\ntwine\n"})
    every = recipe["dependencies"] + recipe["test_dependencies"]
    assert "requests" in every and "pytest" in every
    assert not {"codecov", "twine"} & set(every), every


def test_the_projects_extras_a_requirements_file_installs_count(tmp_path, fixture_git):
    """starlette's requirements.txt begins `-e .[full]`: its tests import httpx, which only the
    `full` extra declares."""
    pyproject = PDM_PYPROJECT.replace('toc = ["python-slugify"]', 'toc = ["python-slugify"]\nfull = ["httpx>=0.22.0"]')
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": pyproject, "mdlib/__init__.py": "",
                                            "requirements.txt": "# Optionals\n-e .[full]\n\n# Testing\npytest==7.1.2\n"})
    assert "httpx>=0.22.0" in recipe["test_dependencies"] + recipe["dependencies"]
    assert "python-slugify" not in recipe["test_dependencies"] + recipe["dependencies"]


def test_a_github_expression_in_an_install_command_is_no_package(tmp_path, fixture_git):
    """anyio's downstream workflow installs `anyio[trio]@git+https://...@${{ github.ref_name }}`:
    the expression's inner words (`github.ref_name`) were read as a package."""
    workflow = ("on: [push]\njobs:\n  test:\n    steps:\n      - run: |\n"
                "          pip install mdlib@git+https://example.com/mdlib.git@${{ github.ref_name }}\n"
                "          pip install ${{ matrix.extra }} trustme\n      - run: pytest\n")
    recipe = _recipe(tmp_path, fixture_git, {"pyproject.toml": PDM_PYPROJECT, ".github/workflows/ci.yml": workflow,
                                            "mdlib/__init__.py": ""})
    tests = recipe["test_dependencies"]
    assert "trustme" in tests
    assert not [t for t in tests if "github" in t or "matrix" in t or "}}" in t], tests


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


@pytest.mark.skipif(uv_binary() is None, reason="needs uv")
def test_what_uv_refuses_is_resolved_by_pip_in_the_env_layer_as_of_the_same_date():
    """Twisted shipped only `.tar.bz2` sdists before 2021, which uv refuses (not PEP 625): the env
    layer resolves with pip's `--uploaded-prior-to` instead (the tooling first, at its own floor), and
    the env image is another one than uv's for the same set. A set whose sdists cannot get their
    isolated build requirements as of the date (setuptools>=40.8.0 for a setup.py-only one before
    2019: arrow 2013-2018 in the issue-21 corpus) is built again with the lifted tooling. (Building Twisted 20.3 itself needs a
    Python older than 3.11, which no offline base here provides: its C code includes longintrepr.h.)"""
    from agentmt.environments.images import make_env_dockerfile, make_env_tag
    from agentmt.environments.resolve import ResolutionFailed, resolve_lock, uv_refused
    from agentmt.types import TaskInstance

    with pytest.raises(ResolutionFailed) as e:
        resolve_lock(["twisted"], "3.9", "2020-06-01T00:00:00Z")
    assert uv_refused(str(e.value)), str(e.value)
    assert not uv_refused("Because six>=1.16 was not found and you require six>=1.16, we can conclude ...")
    recipe = {"python": "3.11", "dependencies": ["twisted"], "test_dependencies": ["pytest"],
              "build_dependencies": ["setuptools", "wheel"], "pin_date": "2020-06-01T00:00:00Z",
              "pin_floors": {"pytest": "2022-10-24T00:00:00Z", "setuptools": "2022-10-24T00:00:00Z"}}
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install={**recipe, "resolver": "pip"})
    lines = make_env_dockerfile(task, "agentmt-base:bookworm", with_ca=False).splitlines()
    assert any("pip help install | grep -q -- --uploaded-prior-to" in x for x in lines)  # an old pip fails early
    pip = [x for x in lines if "python -m pip install" in x]
    assert pip == ["RUN python -m pip install -q --upgrade --uploaded-prior-to 2022-10-24T00:00:00Z pytest setuptools",
                   "RUN python -m pip install -q --uploaded-prior-to 2020-06-01T00:00:00Z "
                   "-r /etc/agentmt/requirements.txt || python -m pip install -q --uploaded-prior-to "
                   "2020-06-01T00:00:00Z -r /etc/agentmt/requirements.txt --no-build-isolation"]
    uv_task = TaskInstance("o__r-1", "o/r", "0" * 40, "", "", "", install=recipe)
    assert make_env_tag(task, "b") != make_env_tag(uv_task, "b")
    assert not any("python -m pip install" in x for x in make_env_dockerfile(uv_task, "b", with_ca=False).splitlines())


@pytest.mark.skipif(uv_binary() is None, reason="needs uv")
def test_the_pip_fallback_installs_what_has_no_release_before_the_date_first():
    """tomlkit 2018: uv refused the set at poetry's msgpack sdist, and pip, with one date for all,
    found no atomicwrites (pytest 3 needs it; PyPI re-uploaded every release in 2022): the exemption
    is found requirement by requirement and installed first, at no date, which pip then keeps."""
    from agentmt.environments.images import make_pip_resolve_lines
    from agentmt.environments.resolve import NO_DATE, date_exemptions

    pin = "2018-11-09T14:47:23Z"
    exempt = date_exemptions(["twisted", "pytest>=3.6,<4.0"], "3.9", pin)
    assert exempt == ["atomicwrites"]
    lines = make_pip_resolve_lines({"pin_date": pin, "pin_floors": {n: NO_DATE for n in exempt}})
    assert lines[1] == f"RUN python -m pip install -q --upgrade --uploaded-prior-to {NO_DATE} atomicwrites"
    assert lines[2].startswith(f"RUN python -m pip install -q --uploaded-prior-to {pin} -r ")


HATCH_EXACT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "shapes"
version = "1.0"

[tool.hatch.build.targets.wheel]
dev-mode-exact = true
"""
OLD_SETUPTOOLS = '[build-system]\nrequires = ["setuptools<64", "wheel"]\nbuild-backend = "setuptools.build_meta"\n'
SETUP_CFG_ONLY = "[metadata]\nname = shapes\nversion = 1.0\n\n[options]\npackages = find:\n"
DISTUTILS_SETUP_PY = "from distutils.core import setup\n\nsetup(name='shapes', version='1.0', packages=['shapes'])\n"


@pytest.mark.docker
@pytest.mark.parametrize("packaging", [
    # hatchling's PEP 660 hook imports `editables` under --no-build-isolation
    {"pyproject.toml": HATCH_EXACT},
    # setuptools < 64 has no build_editable, and with no setup.py there is no `develop` either
    {"pyproject.toml": OLD_SETUPTOOLS, "setup.cfg": SETUP_CFG_ONLY},
    # a distutils-only setup.py has no `develop` command unless setuptools is imported first
    {"pyproject.toml": OLD_SETUPTOOLS.replace('build-backend = "setuptools.build_meta"\n', ""),
     "setup.py": DISTUTILS_SETUP_PY},
    # a backend that no longer builds with today's pip (marko 2020's pdm.builders.api imports pip
    # internals): neither install works, the source path install does
    {"pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "era_backend"\nbackend-path = ["."]\n',
     "era_backend.py": "raise ImportError('this backend needs the pip of its era')\n"},
], ids=["hatchling-editables", "setuptools63-no-setup-py", "distutils-setup-py", "backend-does-not-build"])
def test_every_backend_shape_installs_testbed_as_the_imported_code(packaging, tmp_path, fixture_git, docker_daemon):
    from agentmt.environments.buildtask import build_task
    from agentmt.environments.config import load_env_config
    from agentmt.environments.runtime import DockerEnvironment
    from agentmt.types import TaskInstance

    git, commit_files = fixture_git
    repo = tmp_path / "shapes"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = commit_files(repo, {**packaging, "shapes/__init__.py": "VALUE = 1\n",
                              "tests/test_shapes.py": "def test_v():\n    pass\n"}, "base")
    recipe = make_recipe(read_recipe_files(repo, sha), era="2024-03-01T00:00:00Z")
    recipe["pin_date"] = "2024-03-01T00:00:00Z"
    task = TaskInstance("o__shapes-1", "o/shapes", sha, "", "", "", install=recipe)
    build_task(task, load_env_config("try_pull=false"), repo, log_dir=tmp_path / "logs")
    probe = "cd / && python -c 'import shapes; print(shapes.__file__, shapes.VALUE)'"
    with DockerEnvironment(task.validation["image"]["tag"]) as env:
        out, rc = env.execute(probe)
        assert rc == 0 and out.split() == ["/testbed/shapes/__init__.py", "1"], out
        env.execute("echo 'VALUE = 2' > /testbed/shapes/__init__.py")  # an edit is what the tests import
        out, rc = env.execute(probe)
        assert rc == 0 and out.split()[-1] == "2", out
    subprocess.run(["docker", "rmi", task.validation["image"]["tag"]], capture_output=True, check=False)


def test_testbed_keeps_the_tags_of_the_past_only(tmp_path, fixture_git):
    """A version computed by `git describe --tags` needs the tags before the base commit; a tag
    after it (or on a branch the base does not contain) would leak the future."""
    import subprocess as sp

    from agentmt.environments.images import build_testbed

    git, commit_files = fixture_git
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit_files(repo, {"a.txt": "0"}, "c0")
    git(repo, "tag", "-a", "v0.1", "-m", "release 0.1")
    commit_files(repo, {"a.txt": "1"}, "c1")
    git(repo, "tag", "v0.2")
    base = commit_files(repo, {"a.txt": "2"}, "base")
    fix = commit_files(repo, {"a.txt": "3"}, "fix")
    git(repo, "tag", "v1.0")
    git(repo, "checkout", "-q", "-b", "side", "HEAD~2")
    commit_files(repo, {"b.txt": "x"}, "side")
    git(repo, "tag", "side-tag")
    build_testbed(repo, base, tmp_path / "testbed")

    def run(*args: str) -> str:
        return sp.run(["git", "-C", str(tmp_path / "testbed"), *args], capture_output=True, text=True).stdout.strip()

    assert run("tag", "-l").split() == ["v0.1", "v0.2"]
    assert run("describe", "--tags").startswith("v0.2-1-g")
    assert run("cat-file", "-t", fix) == ""  # the fix is still unreadable


def test_submodules_come_from_a_local_mirror_and_the_rest_are_named_missing(tmp_path, fixture_git):
    """tomlkit's tests read the git submodule tests/toml-test: /testbed gets its files at the recorded
    commit from a sibling mirror (the fetch layout MIRRORS/OWNER+NAME/repo); a submodule no local
    repository holds is listed, and validation names such a task's failure submodule_missing."""
    from agentmt.environments.testbed import build_testbed, missing_submodules
    from agentmt.environments.validate import SUBMODULE_MISSING, _or_submodule
    from agentmt.types import TaskInstance

    git, commit_files = fixture_git
    spec = tmp_path / "mirrors/acme+toml-test/repo"
    spec.mkdir(parents=True)
    git(spec, "init", "-q", "-b", "main")
    spec_sha = commit_files(spec, {"valid/int.toml": "a = 1\n"}, "spec")
    commit_files(spec, {"valid/int.toml": "a = 2\n"}, "later")  # the recorded commit is not the tip
    repo = tmp_path / "mirrors/acme+tomlib/repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    gitmodules = ('[submodule "tests/toml-test"]\n\tpath = tests/toml-test\n\turl = https://github.com/acme/toml-test.git\n'
                  '[submodule "docs/theme"]\n\tpath = docs/theme\n\turl = https://github.com/acme/theme.git\n')
    commit_files(repo, {".gitmodules": gitmodules, "tests/test_spec.py": "def test_x():\n    pass\n"}, "c0")
    for path in ("tests/toml-test", "docs/theme"):
        git(repo, "update-index", "--add", "--cacheinfo", f"160000,{spec_sha},{path}")
    git(repo, "commit", "-q", "-m", "submodules")
    base = git(repo, "rev-parse", "HEAD").strip()

    assert missing_submodules(repo, base) == ["docs/theme"]  # no acme+theme mirror
    build_testbed(repo, base, tmp_path / "testbed")
    assert (tmp_path / "testbed/tests/toml-test/valid/int.toml").read_text() == "a = 1\n"
    assert not (tmp_path / "testbed/docs/theme").exists() or not any((tmp_path / "testbed/docs/theme").iterdir())
    task = TaskInstance("acme__tomlib-1", "acme/tomlib", base, "", "", "", install={"submodules_missing": ["docs/theme"]})
    assert _or_submodule(task, "no_fail_to_pass") == SUBMODULE_MISSING
    task.install = {}
    assert _or_submodule(task, "no_fail_to_pass") == "no_fail_to_pass"
