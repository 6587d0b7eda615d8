"""Which source a task's environment comes from, and the recipes made from a row's own definition.

Trust order (first that applies wins; `install.source` records it): a prebuilt image the row names
(`prebuilt_image`), the row's own Dockerfile (`swebench_task` for a swebench task repository,
else `row_dockerfile`), a SWE-rebench `install_config` (`swe_rebench`), the SWE-bench harness's
facts for the row's repo and version (`swebench_spec`), else agentmt's inference (`inferred`).
Everything here but `read_at` is pure.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentmt.environments.editable import PEP660_INSTALL, make_install_command
from agentmt.environments.rows.dockerrows import DOCKERFILE_KEYS, EVAL_KEYS, IMAGE_KEYS, first
from agentmt.types import TaskInstance

PREBUILT, ROW_DOCKERFILE, TASK_REPO = "prebuilt_image", "row_dockerfile", "swebench_task"
SWE_REBENCH, SWEBENCH_SPEC, INFERRED = "swe_rebench", "swebench_spec", "inferred"
EVAL_SCRIPT_PATH = "/agentmt/eval.sh"  # where a row's eval script is put in its image
# `pip install .` / `python -m pip install -e .[test]`: the project itself, which agentmt installs
# offline (the env layer already holds the dependencies; the instance layer has no network)
_PROJECT_INSTALL = re.compile(r"^(?:python\d*(?:\.\d+)? -m )?pip install (?:-e |--editable )?"
                              r"['\"]?\.(?:\[[^\]]*\])?['\"]?\s*$")
# a pre_install command that installs system packages: it needs the network, which only the env layer
# has, so it runs there (`system_commands`); `sudo` is dropped (builds run as root, bases have none)
_SYSTEM_CMD = re.compile(r"^(?:sudo\s+)?(?:\w+=\S*\s+)*(?:apt-get|apt|dpkg|add-apt-repository)\b")


@dataclass(slots=True)
class RowSources:
    """What a task's row offers to build its environment from ("" / None when it offers nothing)."""

    image: str = ""
    dockerfile: str = ""
    eval_script: str = ""
    install_config: dict | None = None
    task_repo: str = ""


def row_sources(task: TaskInstance) -> RowSources:
    """The environment sources among the row's own columns (`validation.extra_fields`)."""
    extra = task.validation.get("extra_fields") or {}
    config = extra.get("install_config")
    if isinstance(config, str):
        import json

        config = json.loads(config) if config.strip() else None
    return RowSources(image=first(extra, IMAGE_KEYS), dockerfile=first(extra, DOCKERFILE_KEYS),
                      eval_script=first(extra, EVAL_KEYS), install_config=config or None,
                      task_repo=str(extra.get("task_repo") or ""))


def _packages(value: Any) -> list[str]:
    """A package list given as a list or as one space-separated string."""
    if not value:
        return []
    return [str(p) for p in value] if isinstance(value, list) else shlex.split(str(value))


def _runner(test_cmd: str) -> str:
    return "django" if "runtests.py" in test_cmd else "unittest" if "unittest" in test_cmd else "pytest"


def _python(version: str, available: list[str]) -> dict[str, Any]:
    """The recipe's Python fields for a version the row states; `python` None when no base has it."""
    from agentmt.environments.recipe import DEBIAN_PYTHONS

    python = version if version in available else None
    return {"python": python, "python_target": version, "python_spec": "", "python_stated": [version],
            "base_release": DEBIAN_PYTHONS.get(python or "", "bookworm")}


def make_install_config_recipe(config: dict, base: dict, available: list[str],
                               read: Callable[[str], str | None]) -> dict[str, Any]:
    """A recipe from a SWE-rebench `install_config`; `base` is the inferred recipe, read only for the
    build backend and the project's name; `read(path)` gives a file of the repository at the commit.
    `pre_install` commands run before the install in the instance layer, which has no network; those
    that need it go to the env layer: apt-like ones as `system_commands`, `pip install PKG` as packages."""
    from agentmt.environments.declared import requirement_lines

    deps = _packages(config.get("pip_packages"))
    packages = config.get("packages") or ""
    reqs = _packages(config.get("reqs_path"))
    if packages == "requirements.txt" or reqs:
        for path in reqs or ["requirements.txt"]:
            lines, _ = requirement_lines(read(path) or "")
            deps += lines
    elif packages and not str(packages).endswith((".yml", ".yaml", ".txt")):
        deps += _packages(packages)  # conda names in the harness's specs; most have the same name on PyPI
    row_install = str(config.get("install") or "")
    # the project itself: the editable install with inference's fallbacks (editable.make_install_command)
    project = not row_install or _PROJECT_INSTALL.match(row_install.strip())
    install = make_install_command(PEP660_INSTALL) if project else row_install
    system, pre = split_pre_install(_packages_cmds(config.get("pre_install")))
    # `pip install PKG...` steps need the index too: their packages join the env layer's set
    piped = {part: _pip_install_packages(part, read) for part in pre}
    deps += [x for pkgs in piped.values() if pkgs for x in pkgs]
    steps = [*(part for part, pkgs in piped.items() if pkgs is None), install]
    test_cmd = str(config["test_cmd"] if not isinstance(config["test_cmd"], list) else " && ".join(config["test_cmd"]))
    return {**base, **_python(str(config.get("python") or base.get("python_target") or ""), available),
            "dependencies": list(dict.fromkeys(deps)), "test_dependencies": [],
            "install": " && ".join(s for s in steps if s), "install_row": row_install,
            "system_commands": make_system_commands(system), "pre_install_system": system,
            "pre_install_pip": [part for part, pkgs in piped.items() if pkgs is not None],
            "test_cmd": test_cmd, "test_runner": _runner(test_cmd), "sources": ["install_config"],
            # no date cutoff: the row's pins were resolved when its dataset was built, not as of the
            # PR (SWE-rebench pins pytest releases newer than many of its tasks' base commits)
            "pin_date": None, "source": SWE_REBENCH}


def _packages_cmds(value: Any) -> list[str]:
    return [str(c) for c in value] if isinstance(value, list) else [str(value)] if value else []


def split_pre_install(steps: list[str]) -> tuple[list[str], list[str]]:
    """(system, project) pre_install commands (pure): each step is split at `&&` / `;`; the parts that
    install system packages (apt-get, apt, dpkg; `sudo` dropped) are system commands, the rest stay
    in order for the instance layer (they may edit /testbed, which only exists there)."""
    system, project = [], []
    for step in steps:
        for part in (p.strip() for p in re.split(r"\s*(?:&&|;)\s*", step)):
            if part:
                (system if _SYSTEM_CMD.match(part) else project).append(re.sub(r"^sudo\s+", "", part))
    return system, project


_PIP_INSTALL = re.compile(r"^(?:python\d*(?:\.\d+)? -m )?pip3? install\s+(.*)$")
_PIP_FLAGS = {"-U", "--upgrade", "-q", "--quiet", "--no-cache-dir", "--pre", "--force-reinstall", "-I",
              "--ignore-installed", "--user"}


def _pip_install_packages(part: str, read: Callable[[str], str | None]) -> list[str] | None:
    """The requirements a pre_install `pip install` of packages names (`-r FILE` read at the commit);
    None when `part` is something else or installs a path, URL or the project (it then stays a step)."""
    from agentmt.environments.declared import requirement_lines

    m = _PIP_INSTALL.match(part)
    if not m:
        return None
    words, out = shlex.split(m.group(1)), []
    while words:
        word = words.pop(0)
        if word in ("-r", "--requirement") and words:
            out += requirement_lines(read(words.pop(0)) or "")[0]
        elif word in _PIP_FLAGS:
            continue
        elif word.startswith(("-", ".", "/", "git+")) or "://" in word:
            return None  # an option not known here, a path or a URL: pip's own business, in its layer
        else:
            out.append(word)
    return out or None


def make_system_commands(system: list[str]) -> list[str]:
    """The env layer's RUN command for the system steps ([] when none): non-interactive, the package
    lists fetched first (bases ship none) and removed after."""
    if not system:
        return []
    return [" && ".join(["export DEBIAN_FRONTEND=noninteractive", "apt-get update -q", *system,
                         "rm -rf /var/lib/apt/lists/*"])]


def make_spec_recipe(spec: dict, base: dict, available: list[str],
                     read: Callable[[str], str | None] = lambda path: None) -> dict[str, Any]:
    """The inferred recipe with the harness's Python and test packages: its pins win over the
    repository's for the same package, and each such conflict is recorded (`pin_conflicts`). The
    repository's own requirement files (`read(path)`) are kept only where the harness installs them too."""
    from agentmt.environments.buildtask import _name
    from agentmt.environments.declared import requirement_lines
    from agentmt.environments.rows.swebench_specs import SOURCE

    pinned = {_name(p): p for p in spec["packages"]}
    conflicts = [{"package": _name(d), "kept": pinned[_name(d)], "dropped": d}
                 for d in [*base.get("dependencies", []), *base.get("test_dependencies", [])]
                 if _name(d) in pinned and d != pinned[_name(d)]]
    kept = [d for d in base.get("test_dependencies", []) if _name(d) not in pinned]
    # the harness names its packages and never reads requirements.txt (requests 2.0's pins invoke 0.2's
    # pexpect-u, whose setup.py no longer runs): its lines leave the recipe's dependencies too
    unread = set() if spec.get("repo_test_requirements") else set(requirement_lines(read("requirements.txt") or "")[0])
    return {**base, **_python(spec["python"], available),
            "dependencies": [d for d in base.get("dependencies", []) if _name(d) not in pinned and d not in unread],
            "requirements_not_installed": sorted(unread),
            "test_dependencies": [*spec["packages"], *(kept if spec.get("repo_test_requirements") else [])],
            "pin_conflicts": conflicts,
            "sources": [SOURCE, *base.get("sources", [])], "source": SWEBENCH_SPEC,
            # no date cutoff, as the harness resolves: its pins were chosen in 2023-24, not as of the
            # PR (setuptools==68.0.0 and atomicwrites==1.4.1 for pytest 4.x/5.x tasks of 2019)
            "pin_date": None}


def choose_recipe(task: TaskInstance, base: dict, available: list[str],
                  read: Callable[[str], str | None]) -> dict[str, Any]:
    """The recipe from the most trusted definition the row offers, else `base` (inferred)."""
    from agentmt.environments.rows.swebench_specs import lookup

    sources = row_sources(task)
    if sources.install_config:
        return make_install_config_recipe(sources.install_config, base, available, read)
    spec = lookup(task.repo, task.version) if task.version else None
    if spec:
        return make_spec_recipe(spec, base, available, read)
    return {**base, "source": INFERRED}


def read_at(repo: str | Path, commit: str) -> Callable[[str], str | None]:
    """`read(path)`: a file of `repo` at `commit`, None when it is not there."""
    from agentmt.sources.gitproc import run_git

    def read(path: str) -> str | None:
        res = run_git(repo, "show", f"{commit}:{path}")
        return res.stdout.decode("utf-8", "replace") if res.returncode == 0 else None

    return read


def count_sources(tasks: list[TaskInstance]) -> dict[str, int]:
    """How many tasks were built from each source (`install.source`; tasks never built are left out)."""
    from collections import Counter

    return dict(sorted(Counter(t.install.get("source") or INFERRED for t in tasks if t.install).items()))
