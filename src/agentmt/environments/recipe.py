"""Install recipe inference: which Python, which dependencies, how to install, how to run tests.

`make_recipe(files)` is pure: it reads a mapping path → text of the repository's packaging and CI
files (pyproject.toml, setup.cfg, setup.py, requirements*.txt, tox.ini, noxfile.py, CI workflows)
and returns a plain dict stored in `TaskInstance.install`. `read_recipe_files` collects that mapping
from a git commit.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

RECIPE_FORMAT = 2
RECIPE_GLOBS = (
    "pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "noxfile.py", "pytest.ini",
    "requirements.txt", "manage.py", "runtests.py", "tests/runtests.py",
)
# any requirements file at the top level or in a requirements/ folder (includes are followed)
_REQ_FILE = re.compile(r"^(requirements[^/]*\.txt|[^/]*requirements\.txt|requirements/[^/]+\.txt)$")
_TEST_REQ = re.compile(r"(^|/)(requirements[-_/]?(dev|test|tests|testing|ci)|(dev|test|tests|ci)[-_]requirements)\.txt$")
_DEFAULT_TEST_DEPS = ["pytest"]
_TEST_EXTRAS = ("test", "tests", "testing", "dev")
# PEP 518's default when a project names no build requirements
# (unversioned: PEP 518's "setuptools>=40.8.0" cannot resolve as of a date before 2018)
_DEFAULT_BUILD_DEPS = ["setuptools", "wheel"]
# The offline base images: Debian release by its python3 (ENVIRONMENT.md).
DEBIAN_PYTHONS = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}


def read_recipe_files(repo: str | Path, commit: str) -> dict[str, str]:
    """The recipe-relevant files present at `commit` (plus CI workflows), path → text."""
    from agentmt.sources.gitproc import git, run_git

    listing = git(repo, "ls-tree", "-r", "--name-only", "-z", commit).decode("utf-8", "replace").split("\0")
    wanted = [
        p for p in listing
        if p in RECIPE_GLOBS or _REQ_FILE.match(p) or _TEST_REQ.search(p)
        or re.match(r"\.github/workflows/[^/]+\.ya?ml$", p)
    ]
    out = {}
    for p in wanted:
        res = run_git(repo, "show", f"{commit}:{p}")
        if res.returncode == 0:
            out[p] = res.stdout.decode("utf-8", "replace")
    return out


def make_recipe(files: dict[str, str], default_python: str = "3.11", *, era: str | None = None,
                available: list[str] | None = None) -> dict[str, Any]:
    """Infer the install recipe from the files at the base commit (pure); `sources` lists the files
    each decision came from, most trusted first. `era` (the pin date) bounds the Python chosen;
    `available` lists the Pythons a base image can provide (default: the offline Debian ones)."""
    from agentmt.environments import declared as d
    from agentmt.environments.editable import PEP660_INSTALL, editable_build_requirements, make_install_command
    from agentmt.environments.pins import choose_python
    from agentmt.environments.trust import Requirement, pick_trusted

    pyproject = _toml(files.get("pyproject.toml", ""))
    readers: list[tuple[str, d.Declared]] = []
    for path in sorted(p for p in files if p.startswith(".github/workflows/")):
        readers.append((path, d.read_workflow(files[path])))
    if "tox.ini" in files:
        readers.append(("tox.ini", d.read_tox(files["tox.ini"])))
    if "noxfile.py" in files:
        readers.append(("noxfile.py", d.read_nox(files["noxfile.py"])))
    if pyproject:
        readers.append(("pyproject.toml", d.read_pyproject(pyproject)))
    if "setup.cfg" in files:
        readers.append(("setup.cfg", d.read_setup_cfg(files["setup.cfg"])))
    if "setup.py" in files:
        readers.append(("setup.py", d.read_setup_py(files["setup.py"])))
    sources: list[str] = []
    reqs: list[Requirement] = []
    extras_map: dict[str, tuple[list[str], str]] = {}  # normalised extra → (requirements, declaring file)
    groups_map: dict[str, list] = {}
    wanted: list[tuple[str, str, str]] = []  # (extra | group, name, the file whose command names it)
    req_files: list[tuple[str, str]] = []  # (requirements file, the file whose command names it)
    pythons: list[str] = []
    python_spec, runner = "", ""
    setup_requires: list[str] = []
    name = ""
    for path, got in readers:
        if not any((got.deps, got.test_deps, got.extras, got.extras_map, got.req_files, got.python_spec,
                    got.pythons, got.runner, got.build_deps, got.name, got.groups, got.groups_map)):
            continue
        sources.append(path)
        reqs += [Requirement(x, path, False) for x in got.deps]
        reqs += [Requirement(x, path, True) for x in got.test_deps]
        for extra, listed in got.extras_map.items():
            extras_map.setdefault(_norm(extra), (list(listed), path))
        for group, listed in got.groups_map.items():
            groups_map.setdefault(group, list(listed))
        wanted += [("extra", x, path) for x in got.extras] + [("group", g, path) for g in got.groups]
        req_files += [(f, path) for f in got.req_files]
        pythons += got.pythons
        python_spec = python_spec or got.python_spec  # the packaging metadata is the hard constraint
        runner = runner or got.runner  # the most trusted command wins
        setup_requires += got.build_deps
        name = name or got.name
    # the project's own extras a requirements file installs (starlette: `-e .[full]`)
    for f in _dedup([*(f.lstrip("./") for f, _ in req_files),
                     *(p for p in files if p == "requirements.txt" or _TEST_REQ.search(p))]):
        wanted += [("extra", x, f) for x in d.project_extras(files.get(f, ""))]
    # extras and groups named by a command install as that command's source; else the test-like ones
    # the project declares (a "dev" extra, with linters and docs, only when it has no test extra)
    named = [x for x in _TEST_EXTRAS if x != "dev" and _norm(x) in extras_map] or ["dev"]
    wanted += [("extra", x, "") for x in named]
    groups = {_norm(g) for g in groups_map}
    wanted += [("group", g, "pyproject.toml")
               for g in ([x for x in _TEST_EXTRAS if x != "dev" and x in groups] or ["dev"]) if g in groups]
    done: set[tuple[str, str]] = set()
    for kind, item, via in wanted:
        if (kind, _norm(item)) in done:
            continue
        done.add((kind, _norm(item)))
        if kind == "group" and _norm(item) not in groups and _norm(item) in extras_map:
            kind = "extra"  # pdm's `-G NAME` names an optional-dependency group as well as a dev group
        if kind == "extra" and _norm(item) in extras_map:
            listed, declared_in = extras_map[_norm(item)]
            reqs += [Requirement(x, via or declared_in, True) for x in listed]
        elif kind == "group":
            reqs += [Requirement(x, via, True) for x in d.group_requirements(groups_map, item)]
    for path in sorted(files):
        if path == "requirements.txt" and "requirements.txt" not in (f for f, _ in req_files):
            reqs += [Requirement(x, path, False) for x in _requirement_tree(files, path, set())]
            sources.append(path)
    named_files = {f.lstrip("./"): via for f, via in reversed(req_files)}  # the first naming wins
    for path in _dedup([*(f.lstrip("./") for f, _ in req_files), *sorted(p for p in files if _TEST_REQ.search(p))]):
        if path in files:
            via = f" via {named_files[path]}" if path in named_files else ""
            reqs += [Requirement(x, path + via, True) for x in _requirement_tree(files, path, set())]
            sources.append(path)
    # CI tooling (tox, pre-commit, coverage uploaders) is not what the tests import, and its build
    # chains (pre-commit → nodeenv) are what fails first as of an old date
    reqs = [r for r in reqs if not (r.test and (r.line.startswith(".") or _req_name(r.line) in TOOLING))
            and not (r.source.endswith(".txt") and _req_name(r.line) in NEVER_IN_TESTS)]
    reqs, conflicts = pick_trusted(reqs)
    deps = [r.line for r in reqs if not r.test]
    test_deps = [r.line for r in reqs if r.test]
    runner = runner or _test_runner(files)
    if runner == "pytest" and not any(_req_name(x) == "pytest" for x in test_deps + deps):
        test_deps += _DEFAULT_TEST_DEPS
    if runner == "pytest" and _setup_cfg_pytest_section(files):
        # pytest 4 made its deprecations errors, the `[pytest]` section of setup.cfg among them:
        # a runner lifted to the interpreter's era refused to start (found on jpadilla/pyjwt 2015)
        test_deps.append("pytest<4")
    installable = any(p in files for p in ("pyproject.toml", "setup.py", "setup.cfg"))
    build_system = pyproject.get("build-system", {})
    stated = sorted(set(pythons), key=lambda v: tuple(map(int, v.split("."))))
    python, target = choose_python(python_spec, stated, era, list(available or DEBIAN_PYTHONS), default_python)
    return {
        "format": RECIPE_FORMAT,
        "python": python,  # None: no base image provides a Python the project allows
        "python_target": target,
        "python_spec": python_spec,
        "python_stated": stated,
        "base_release": DEBIAN_PYTHONS.get(python or "", "bookworm"),
        "dependencies": _dedup(deps),
        # setup_requires (setuptools-scm, ...) must be there before `setup.py develop` runs offline
        # ... and what the backend's editable hook needs under --no-build-isolation (hatchling: editables)
        "build_dependencies": _dedup((list(build_system.get("requires", [])) or _DEFAULT_BUILD_DEPS) + setup_requires
                                     + editable_build_requirements(str(build_system.get("build-backend", "")))),
        "test_dependencies": _dedup(t for t in test_deps if t not in deps),
        # packages two sources constrained differently: the more trusted one's lines were kept (trust.py)
        "requirement_conflicts": conflicts,
        # --no-build-isolation: the build backend comes from the env layer, so no network is needed;
        # --use-pep517: without it a setup.py-only project goes through `setup.py develop`, which
        # setuptools >= 80 runs as a nested, isolated (network-needing) pip install
        # (then a plain + path install where the backend has no editable hook: editable.py)
        "install": make_install_command(PEP660_INSTALL) if installable else "",
        "setup_py": "setup.py" in files,
        # `use_2to3=True`: the code is Python 2, converted on install for Python 3 (setuptools did
        # until 58); the tests run on a converted copy of the tree (grading.make_test_script)
        **({"convert_2to3": True} if re.search(r"\buse_2to3\b", files.get("setup.py", "")) else {}),
        "project_name": name,
        "test_runner": runner,
        "test_cmd": _test_cmd(runner),
        "sources": _dedup(sources),
    }


from agentmt.environments.declared import NEVER_IN_TESTS, TOOLING


def _requirement_tree(files: dict[str, str], path: str, seen: set[str]) -> list[str]:
    """A requirements file's requirements, following `-r` includes among the collected files."""
    from agentmt.environments.declared import requirement_lines

    if path in seen or path not in files:
        return []
    seen.add(path)
    reqs, includes = requirement_lines(files[path])
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for inc in includes:
        reqs += _requirement_tree(files, (folder + inc).replace("/./", "/"), seen)
    return reqs


def pick_python(spec: str, default: str) -> str:
    """The newest offline-available Python satisfying a `requires-python`-style lower/upper bound."""
    candidates = sorted(DEBIAN_PYTHONS, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    ok = [v for v in candidates if satisfies(v, spec)]
    if default in ok:
        return default
    return ok[0] if ok else default


def satisfies(version: str, spec: str) -> bool:
    """PEP 440 matching (`==3.*`, `~=3.9`, `>=3.8,<3.12`); an unparsable spec constrains nothing."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(spec.strip()).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


_PYTEST_SECTION = re.compile(r"^\[pytest\]\s*$", re.MULTILINE)


def _setup_cfg_pytest_section(files: dict[str, str]) -> bool:
    """Whether pytest's configuration is a `[pytest]` section of setup.cfg (pytest.ini and tox.ini's
    `[pytest]` are read before it)."""
    if "pytest.ini" in files or _PYTEST_SECTION.search(files.get("tox.ini", "")):
        return False
    return bool(_PYTEST_SECTION.search(files.get("setup.cfg", "")))


def _test_runner(files: dict[str, str]) -> str:
    if "manage.py" in files and "tests/runtests.py" in files:
        return "django"
    blob = "\n".join(files.values())
    if "pytest" in blob or "tests/" in blob or not blob:
        return "pytest"
    if "unittest" in blob:
        return "unittest"
    return "pytest"


def _test_cmd(runner: str) -> str:
    # -rA prints one "STATUS test_id" line per test, which the parsers (and swebench's) read
    return {
        "pytest": "python -m pytest -rA -v -p no:cacheprovider",  # -v: pytest < 5 has no -rA passes
        "unittest": "python -m unittest -v",  # given dotted modules (grading.test_targets)
        "django": "python tests/runtests.py --verbosity 2",
    }[runner]


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return {}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower().replace("_", "-")


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
