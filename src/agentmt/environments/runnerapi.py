"""Test suites written against runner APIs that later releases removed keep a runner that has them.

The runner is lifted to the interpreter's era (`buildtask.lift_tooling`: pytest 2.8 of 2015 does not
run on Python 3.9), and the lifted release may no longer have what an old suite calls: pytest 4.0
removed `pytest_funcarg__NAME` fixtures and `request.getfuncargvalue` (pytest-xdist 2015: "unknown
hook 'pytest_funcarg__specssh'", INTERNALERROR before any test ran), pytest 5.0 the global
`pytest.config`, pytest 8.0 `pytest.warns(None)`. `runner_caps` reads the test files' syntax (not
their strings: a test that writes an old-style conftest for a child run is no use of the API) and
returns the caps an inferred recipe adds to its test dependencies, with the reason for each.
"""

from __future__ import annotations

import ast
from pathlib import Path


def _uses(tree: ast.AST) -> dict[str, str]:
    """{cap: what the code uses} for the removed pytest APIs found in one module's syntax tree (pure)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("pytest_funcarg__"):
            found.setdefault("pytest<4", f"`{node.name}` fixtures (removed in pytest 4.0)")
        elif isinstance(node, ast.Attribute) and node.attr == "getfuncargvalue":
            found.setdefault("pytest<4", "`request.getfuncargvalue` (removed in pytest 4.0)")
        elif isinstance(node, ast.Attribute) and node.attr == "config" and isinstance(node.value, ast.Name) \
                and node.value.id == "pytest":
            found.setdefault("pytest<5", "the global `pytest.config` (removed in pytest 5.0)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "warns" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "pytest" and node.args \
                and isinstance(node.args[0], ast.Constant) and node.args[0].value is None:
            found.setdefault("pytest<8", "`pytest.warns(None)` (removed in pytest 8.0)")
    return found


def removed_api_uses(sources: dict[str, str]) -> dict[str, str]:
    """{cap: reason} over test modules given as {path: text}; the tightest cap wins where several
    apply (pure). Modules that do not parse as Python 3 are skipped."""
    found: dict[str, str] = {}
    for path, text in sorted(sources.items()):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for cap, why in _uses(tree).items():
            found.setdefault(cap, f"{why}, in {path}")
    if not found:
        return {}
    tightest = min(found, key=lambda c: int(c.split("<", 1)[1]))
    return {tightest: found[tightest]}


def runner_caps(repo: str | Path, commit: str) -> dict[str, str]:
    """`removed_api_uses` of the repository's test files at `commit`."""
    from agentmt.environments.testimports import python_sources, repository_files, run_time_files
    from agentmt.testpaths import is_test_path

    tests = [p for p in run_time_files(repository_files(repo, commit)) if is_test_path(p)]
    return removed_api_uses(dict(python_sources(repo, commit, tests)))


def cap_runner(recipe: dict, repo: str | Path, commit: str) -> dict[str, str]:
    """Add to a pytest recipe's test dependencies the cap its tests need, recorded as `runner_caps`."""
    if recipe.get("test_runner") != "pytest":
        return {}
    caps = runner_caps(repo, commit)
    if caps:
        recipe["test_dependencies"] = [*(recipe.get("test_dependencies") or []), *caps]
        recipe["runner_caps"] = caps
    return caps
