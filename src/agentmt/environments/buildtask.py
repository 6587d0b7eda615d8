"""One task's environment: recipe as of its pin date, the Python for it, images, the recorded lock.

`build_task(task, cfg, repo)` fills `task.install` (recipe, `pin_date`, `lock`, `lock_source`) and
`task.validation["image"]` (tags, digests, the installed freeze), or raises `RecordDropped` (`python_unavailable`, `resolution_failed`,
`install_error`) after recording on the task what a reader needs to debug it (`record_drop`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from agentmt.environments.config import EnvConfig
from agentmt.errors import RecordDropped
from agentmt.types import TaskInstance

PYTHON_UNAVAILABLE = "python_unavailable"
LOG_TAIL = 4000  # characters of a build or test log kept with a dropped task


def record_drop(task: TaskInstance, stage: str, reason: str, detail: str, **extra: Any) -> RecordDropped:
    """Mark `task` dropped (reason, detail, stage) in its validation record; returns the exception to raise."""
    task.validation.update(status="dropped", outcome=reason,
                           drop={"stage": stage, "reason": reason, "detail": detail, **extra})
    return RecordDropped(reason, detail)


def commit_date(repo: str | Path, sha: str) -> str:
    """The committer date of `sha` (ISO 8601), "" when git cannot read it."""
    from agentmt.sources.gitproc import GitError, git

    try:
        return git(repo, "show", "-s", "--format=%cI", sha).decode().strip()
    except GitError:
        return ""


def _name(requirement: str) -> str:
    import re

    return re.split(r"[\s<>=!~;\[@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


# pip builds editables through PEP 660's build_editable, which setuptools has only from 64 on
# (and today's pip no longer falls back to `setup.py develop` for older ones)
_EDITABLE_SETUPTOOLS = (64,)
_TEST_RUNNERS = {"pytest"}


def _fit_install_to_setuptools(recipe: dict) -> None:
    """With an era setuptools older than 64 in the lock, install a setup.py project the way its era
    did (`setup.py develop`, in-process: no network, no isolation), else a plain + path install.
    Only the project's own install is swapped: a row's steps around it (SWE-rebench pre_install) stay."""
    from agentmt.environments.editable import DEVELOP_INSTALL, PEP660_INSTALL, make_install_command

    pins = {(_name(x), x.split("==", 1)[1]) for x in recipe.get("lock") or [] if "==" in x}
    version = next((v for n, v in pins if n == "setuptools"), "")
    nums = tuple(int(p) for p in version.split(".")[:1] if p.isdigit())
    if nums and nums < _EDITABLE_SETUPTOOLS and recipe.get("install") and recipe.get("setup_py", True):
        from agentmt.environments.rowsource import SWE_REBENCH

        pep660, install = make_install_command(PEP660_INSTALL), recipe["install"]
        if pep660 in install:
            recipe["install"] = install.replace(pep660, make_install_command(DEVELOP_INSTALL))
        elif recipe.get("source") != SWE_REBENCH:  # a row's own install command is its definition
            recipe["install"] = make_install_command(DEVELOP_INSTALL)


def _locked_version(lock: list[str], name: str) -> tuple[int, ...]:
    """The release of `name` pinned in `lock` as a tuple of its leading numbers; () when not pinned."""
    import re

    for line in lock:
        if "==" in line and _name(line) == name:
            return tuple(int(p) for p in re.findall(r"\d+", line.split("==", 1)[1])[:3])
    return ()


PLAIN_ASSERT = "--assert=plain"
NO_COVERAGE_THRESHOLD = "--cov-fail-under=0"
NO_STEPWISE = "-p no:stepwise"


def fit_test_cmd_to_pytest(recipe: dict) -> None:
    """pytest < 3.0 swaps builtins.AssertionError for its reinterpreting subclass while configuring,
    then checks that `assert False` is caught by it; from Python 3.9 the assert statement raises the
    real class (LOAD_ASSERTION_ERROR), so configuring dies with INTERNALERROR before any test runs.
    `--assert=plain` skips the swap (found on pytest-dev/pluggy 2015: pytest 2.7.1 on Python 3.9)."""
    from agentmt.environments.pins import version_key

    cmd = recipe.get("test_cmd") or ""
    old_pytest = (0,) < _locked_version(recipe.get("lock") or [], "pytest") < (3,)
    python = version_key(recipe.get("python") or "0")
    if recipe.get("test_runner") == "pytest" and old_pytest and python >= (3, 9) and "--assert" not in cmd:
        # in PYTEST_ADDOPTS too: a plugin's tests run pytest again (pytester), and those runs
        # configure themselves (pytest-xdist 2015: every acceptance test failed with the INTERNALERROR)
        recipe["test_cmd"] = cmd = f"env PYTEST_ADDOPTS={PLAIN_ASSERT} {cmd} {PLAIN_ASSERT}"
    # pytest 3.10's stepwise plugin writes to the cache at session end, which -p no:cacheprovider
    # removed: INTERNALERROR after the tests ran (pytest-dev/pytest#4304; tomlkit 2018)
    if recipe.get("test_runner") == "pytest" and (3, 10) <= _locked_version(recipe.get("lock") or [], "pytest") < (4, 1) \
            and NO_STEPWISE not in cmd and "cacheprovider" in cmd:
        recipe["test_cmd"] = cmd = f"{cmd} {NO_STEPWISE}"
    # a coverage threshold (addopts --cov-fail-under=100, coverage's fail_under) fails a run of the
    # task's few test files whose tests all pass (arrow-935); pytest-cov >= 2.0 takes the last value
    if recipe.get("test_runner") == "pytest" and _locked_version(recipe.get("lock") or [], "pytest-cov") >= (2,) \
            and NO_COVERAGE_THRESHOLD not in cmd:
        recipe["test_cmd"] = f"{cmd} {NO_COVERAGE_THRESHOLD}"


def without_project(lock: list[str], project: str) -> list[str]:
    """The lock minus the project's own distribution (names compared normalised, PEP 503)."""
    own = _name(project).replace(".", "-") if project else ""
    return [x for x in lock if not own or _name(x).replace(".", "-") != own]


def lift_tooling(floors: dict[str, str], closure: list[str], recipe: dict) -> dict[str, str]:
    """The per-package cutoffs that lift tooling to the interpreter's era (pure): `floors` (build
    backend and test runner) widened to `closure`, what they pull in as of that date, except the
    project's runtime dependencies. The runner and its closure keep the pin date when the runner
    depends on the project itself (pytest → pluggy: a newer runner calls APIs the code does not have
    yet), when the project pins its runner exactly (marshmallow 2018's pytest==3.3.1 broke on a
    lifted attrs 20, which dropped the `convert` argument pytest 3.3 passes), or when the project
    depends on its runner at run time, a plugin of it (pytest-xdist 2019's tests stand in for
    `atexit.register` with `list.append`, which pytest 6 calls with arguments): then only the build
    backend is lifted."""
    date = next(iter(floors.values()))
    tests = [*(recipe.get("test_dependencies") or []), *(recipe.get("dependencies") or [])]
    pinned = any(_name(x) in _TEST_RUNNERS and "==" in x for x in tests)
    plugin = any(_name(x) in _TEST_RUNNERS for x in recipe.get("dependencies") or [])
    if pinned or plugin or without_project(closure, recipe.get("project_name") or "") != closure:
        return {n: d for n, d in floors.items() if n not in _TEST_RUNNERS}
    runtime = {_name(d) for d in recipe.get("dependencies") or []}
    return {**floors, **{n: date for n in map(_name, closure) if n not in runtime}}


def given_lock(cfg: EnvConfig, task: TaskInstance) -> list[str] | None:
    """The lock that overrides resolution: `env.lock` (a freeze file), or with `env.reuse_locks` the
    lock recorded on the task by an earlier build; None when the task is to be resolved."""
    if cfg.lock:
        lines = Path(cfg.lock).read_text().splitlines()
        return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]
    if cfg.reuse_locks and task.install.get("lock"):
        return list(task.install["lock"])
    return None


def available_pythons(cfg: EnvConfig) -> list[str]:
    """The Pythons a base image can be had for: the offline Debian ones, every release where a
    registry answers (`python:X.Y-slim`)."""
    from agentmt.environments.base import registry_answers
    from agentmt.environments.pins import PYTHON_RELEASES, version_key
    from agentmt.environments.recipe import DEBIAN_PYTHONS

    if cfg.try_pull and registry_answers():
        return [v for v in PYTHON_RELEASES if version_key(v) >= (3, 6)]
    return list(DEBIAN_PYTHONS)


def prepare_recipe(task: TaskInstance, cfg: EnvConfig, repo: Path) -> None:
    """Make the recipe when the task has none, with the pin date resolved from `cfg.pin_date`: from
    the row's own definition where it has one (rowsource.choose_recipe), else inferred."""
    from agentmt.environments.declared import refuse_direct_urls
    from agentmt.environments.devtools import leave_out_dev_tools
    from agentmt.environments.pins import resolve_pin_date
    from agentmt.environments.recipe import make_recipe, read_recipe_files
    from agentmt.environments.rowsource import choose_recipe, read_at
    from agentmt.environments.runnerapi import cap_runner
    from agentmt.environments.testimports import add_unprovided_imports

    commit = task.environment_setup_commit or task.base_commit
    if not task.install:
        pin = resolve_pin_date(cfg.pin_date, commit_date=commit_date(repo, commit), pr_created=task.created_at)
        available = available_pythons(cfg)
        inferred = make_recipe(read_recipe_files(repo, commit), cfg.default_python, era=pin, available=available)
        leave_out_dev_tools(inferred, repo, commit)  # linters and doc builders nothing imports
        add_unprovided_imports(inferred, repo, commit, [task.patch, task.test_patch])  # imported, undeclared
        cap_runner(inferred, repo, commit)  # a suite that calls what the lifted runner removed
        task.install = choose_recipe(task, inferred, available, read_at(repo, commit))
        task.install.setdefault("pin_date", pin)  # a row's own recipe may say it has none
    # code from a URL is neither pinned by date nor reviewed by an index: only where the config allows it
    refuse_direct_urls(task.install, cfg.allow_direct_urls)
    lock = given_lock(cfg, task)
    if lock is not None:
        task.install.update(lock=lock, lock_source="given")


def _build_images(task: TaskInstance, repo: Path, base: str, log_dir: Path | None):
    """`build_task_image`, again after moving forward a dependency whose era sdist failed to build and
    which has a wheel for the Python later on (wheels.move_forward: numpy 1.17 on 3.9), or with a C
    toolchain in the env layer (`install.compiler`) when a build failed for want of one (pyjwt 2014
    tests with pycrypto, which has no wheel)."""
    from agentmt.environments.images import ImageBuildError, build_task_image, needs_compiler
    from agentmt.environments.wheels import move_forward

    try:
        return build_task_image(task, repo, base, log_dir=log_dir)
    except ImageBuildError as e:
        if move_forward(task, e.log):
            pass
        elif not task.install.get("compiler") and needs_compiler(e.log):
            task.install["compiler"] = True
        else:
            raise
    return _build_images(task, repo, base, log_dir)


def build_task(task: TaskInstance, cfg: EnvConfig, repo: Path, *, log_dir: Path | None = None,
               locks: dict[str, list[str]] | None = None) -> TaskInstance:
    """Build (or reuse) the task's images and record its lock; `locks` caches env tag → lock. When the
    recipe holds inference's guesses (`imports_added`, `index_instead`) and the build is dropped for
    any reason but the Python, they are taken out again and the build rerun as declared."""
    from agentmt.environments.base import use_build_network
    from agentmt.environments.rowbuild import build_from_row

    use_build_network(cfg.build_network)
    if build_from_row(task, cfg, repo, log_dir=log_dir):  # the row's prebuilt image or its Dockerfile
        return task
    prepare_recipe(task, cfg, repo)
    if not guesses(task.install):
        return _build_recipe(task, cfg, repo, log_dir, locks)
    install, validation = copy.deepcopy(task.install), copy.deepcopy(task.validation)
    try:
        return _build_recipe(task, cfg, repo, log_dir, locks)
    except RecordDropped as e:
        if task.validation.get("outcome") == PYTHON_UNAVAILABLE:
            raise
        # a guessed distribution that does not exist, does not resolve or does not build as of the
        # pin date: the recipe as declared, with the reason on the task
        task.install, task.validation = install, validation
        without_guesses(task.install, str(e))
    return _build_recipe(task, cfg, repo, log_dir, locks)


GUESSES = ("imports_added", "index_instead")  # requirements inference added beyond what was declared


def guesses(recipe: dict) -> list[str]:
    """The requirement lines inference added to `recipe` (testimports, declared.index_name)."""
    return [g for key in GUESSES for g in recipe.get(key) or []]


def without_guesses(recipe: dict, why: str) -> None:
    """Take the guesses back out of the recipe's lists, recording them and why (`guesses_unusable`)."""
    from agentmt.environments.declared import RECIPE_REQUIREMENTS

    added = set(guesses(recipe))
    for key in GUESSES:
        recipe.pop(key, None)
    for key in RECIPE_REQUIREMENTS:
        if recipe.get(key):
            recipe[key] = [r for r in recipe[key] if r not in added]
    recipe["guesses_unusable"] = {"added": sorted(added), "why": why[:500]}


def _build_recipe(task: TaskInstance, cfg: EnvConfig, repo: Path, log_dir: Path | None,
                  locks: dict[str, list[str]] | None) -> TaskInstance:
    """`build_task` for the task's recipe as it stands: resolve, build, record the lock and image."""
    from agentmt.environments.base import build_network, ensure_base_image, ensure_python_image
    from agentmt.environments.images import (
        RESOLUTION_FAILED,
        ImageBuildError,
        build_failure,
        make_requirements,
        read_lock,
    )
    from agentmt.environments.recipe import DEBIAN_PYTHONS
    from agentmt.environments.resolve import (
        NO_DATE,
        ResolutionFailed,
        date_exemptions,
        resolve_lock,
        tooling_floors,
        uv_binary,
        uv_refused,
    )

    r = task.install
    if "python" in r and not r["python"]:
        raise record_drop(task, "build", PYTHON_UNAVAILABLE,
                          f"Python {r.get('python_target')} (requires-python {r.get('python_spec')!r}, "
                          f"stated {r.get('python_stated')}) is provided by no base image",
                          python=r.get("python_target"))
    if r.get("lock_source") != "given" and uv_binary():
        python = r.get("python") or cfg.default_python
        try:
            floors = tooling_floors(r.get("build_dependencies") or [], python, r.get("pin_date"))
            if floors:  # the floor covers what the build backend and test runner pull in, too
                tooling = [*(r.get("build_dependencies") or []), *(r.get("test_dependencies") or [])]
                closure, _ = resolve_lock(tooling or ["setuptools"], python, next(iter(floors.values())))
                floors = lift_tooling(floors, closure, r)
            lock, exempt = resolve_lock(make_requirements(task).splitlines(), python, r.get("pin_date"),
                                        floors=floors)
        except ResolutionFailed as e:
            if not uv_refused(str(e)):
                raise record_drop(task, "build", RESOLUTION_FAILED, str(e), pin_exempt=e.exempt) from e
            # an archive uv refuses (a pre-PEP 625 sdist): pip resolves as of the same date in the
            # env layer, and the image's freeze becomes the lock; what has no release before the
            # date is installed first without one (pip keeps it), as uv's per-package cutoff does
            exempt = date_exemptions(make_requirements(task).splitlines(), python, r["pin_date"], floors) \
                if r.get("pin_date") else []
            floors = {**(floors or {}), **{name: NO_DATE for name in exempt}}
            r.update(resolver="pip", resolver_reason=str(e)[:500], pin_floors=floors, pin_exempt=exempt)
        else:
            # the project itself, when its test runner depends on it (pytest → pluggy), comes from
            # /testbed: a locked release of it in site-packages would shadow the code under test
            lock = without_project(lock, r.get("project_name") or "")
            r.update(lock=lock, lock_source="resolved", resolver="uv", pin_exempt=exempt, pin_floors=floors)
    _fit_install_to_setuptools(r)
    if r.get("python") and r["python"] not in DEBIAN_PYTHONS:  # a registry's python:X.Y-slim
        base = ensure_python_image(r["python"], try_pull=cfg.try_pull)
    else:
        base = ensure_base_image(r.get("base_release") or cfg.base_release, try_pull=cfg.try_pull)
    try:
        img = _build_images(task, repo, base, log_dir)
    except ImageBuildError as e:
        reason, message = build_failure(e.log)
        # `error`/`log` kept at the top level too: readers of format-1 failed tasks look there
        task.validation.update(error=str(e), log=e.log[-LOG_TAIL:])
        raise record_drop(task, "build", reason, message, log_tail=e.log[-LOG_TAIL:]) from e
    locks = {} if locks is None else locks
    if img.env_tag not in locks:
        locks[img.env_tag] = read_lock(img.env_tag)
    if r.get("lock_source") not in ("given", "resolved"):  # resolved inside the image: its freeze
        r.update(lock=locks[img.env_tag], lock_source="frozen")
    fit_test_cmd_to_pytest(r)  # the runner's release is known only now (frozen locks: from the image)
    from agentmt.environments.testbed import missing_submodules

    if missing := missing_submodules(repo, task.base_commit):  # validation names their failures
        r["submodules_missing"] = missing
    task.validation["image"] = {"installed": locks[img.env_tag]}  # what the image holds (pip included)
    task.validation["image"].update(tag=img.tag, id=img.image_id, env_tag=img.env_tag, env_id=img.env_id,
                                    base=base, build_network=build_network())
    task.validation["build_seconds"] = round(img.seconds, 2)
    return task
