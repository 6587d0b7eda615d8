"""Linters, formatters, type checkers, doc builders and type stubs: CI jobs run them, a test run does
not, so an inferred recipe leaves out each one that no Python file of the repository imports.

Requirements files and `dev` extras list them beside pytest, and their era's builds are what fails
first on a newer interpreter: typed-ast, which mypy and black required in 2018–2019, has no wheel
for Python 3.9 and its sdist no longer compiles there (starlette, loguru); Sphinx 1.x pulls a
MarkupSafe whose setup.py imports `setuptools.Feature`, gone since setuptools 46 (arrow). A tool the
code does import (a Sphinx extension's tests import sphinx, a mypy plugin's tests import mypy) stays.
A pytest plugin that runs one (pytest-mypy, pytest-flake8) is not a tool here: it stays, and pulls
its tool in with it.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentmt.environments.trust import requirement_name as _name

DEV_TOOLS = frozenset({
    "mypy", "black", "flake8", "pylint", "isort", "pyflakes", "pycodestyle", "pep8", "autopep8", "yapf",
    "ruff", "bandit", "pydocstyle", "pyright", "pyre-check", "blacken-docs", "doc8",
    "sphinx", "sphinx-rtd-theme", "sphinx-autobuild", "furo", "mkdocs", "mkdocs-material", "recommonmark",
    "myst-parser", "readme-renderer", "check-manifest",
})
_TOOL_PREFIXES = ("flake8-", "sphinx-", "sphinxcontrib-", "types-", "mkdocs-")


def is_dev_tool(req: str) -> bool:
    """Whether a requirement names a linter, formatter, type checker, doc builder or stub package (pure)."""
    name = _name(req)
    return name in DEV_TOOLS or name.startswith(_TOOL_PREFIXES)


def _module(name: str) -> str:
    return name.replace("-", "_")


def imported_modules(repo: str | Path, commit: str, modules: set[str]) -> set[str]:
    """Which of `modules` some Python file of `repo` at `commit` imports (`import m`, `from m...`),
    documentation folders aside."""
    from agentmt.errors import GitError
    from agentmt.sources.gitproc import first_line, run_git

    if not modules:
        return set()
    alternatives = "|".join(sorted(re.escape(m) for m in modules))
    pattern = rf"^\s*(import|from)\s+({alternatives})([.\s,]|$)"
    # the docs' own conf.py imports its theme and extensions: building docs is not a test run
    proc = run_git(Path(repo), "grep", "-h", "-o", "-E", pattern, commit, "--", "*.py",
                   ":(exclude)docs/**", ":(exclude)doc/**")
    if proc.returncode not in (0, 1):  # 1: nothing matched
        raise GitError(first_line(proc.stderr) or f"git grep exited with {proc.returncode}")
    out = proc.stdout.decode("utf-8", "replace")
    found = set()
    for line in out.splitlines():
        m = re.match(r"\s*(?:import|from)\s+([\w]+)", line)
        if m and m.group(1) in modules:
            found.add(m.group(1))
    return found


def leave_out_dev_tools(recipe: dict, repo: str | Path, commit: str) -> list[str]:
    """Remove from `recipe`'s dependencies and test dependencies the dev tools nothing imports; the
    removed lines are recorded as `dev_tools_left_out` and returned."""
    lists = ("dependencies", "test_dependencies")
    tools = {_name(r) for key in lists for r in recipe.get(key) or [] if is_dev_tool(r)}
    kept = imported_modules(repo, commit, {_module(n) for n in tools})
    removed = []
    for key in lists:
        if not recipe.get(key):
            continue
        keep = [r for r in recipe[key] if not (is_dev_tool(r) and _module(_name(r)) not in kept)]
        removed += [r for r in recipe[key] if r not in keep]
        recipe[key] = keep
    if removed:
        recipe["dev_tools_left_out"] = removed
    return removed
