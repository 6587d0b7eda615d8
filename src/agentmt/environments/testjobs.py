"""Which CI jobs and nox sessions run the tests: what the others install (linters, docs builders,
release tools) is no test dependency. Pure functions over names and command text."""

from __future__ import annotations

import re

# CI jobs and nox sessions by these names lint, type-check, document or ship: what they install is no
# test dependency (marko 2020's Linting job: `pip install mypy`; its docs session: sphinx, pdm)
_NOT_TEST_JOB = re.compile(r"lint(?:ing|ers?)?|docs?|documentation|typing|types|type-?check(?:ing)?|mypy|pyright"
                           r"|pre-?commit|style|format(?:ting)?|flake8|pylint|ruff|black|isort|codespell|spell(?:ing)?"
                           r"|build|dist|package|packaging|release|publish|deploy|upload|wheels?|bench(?:marks?)?"
                           r"|check-?manifest|readme|changelog")
# a command that runs a test suite, whatever the job is called (GitHub's template job `build` runs pytest)
_RUNS_TESTS = re.compile(r"\bpy\.?test\b|runtests\.py|-m\s+unittest\b|\b(?:tox|nox)\b|\bmake\s+(?:test|check)"
                         r"|setup\.py\s+test\b")


def is_test_job(name: str, commands: str) -> bool:
    """False for a CI job or nox session named for linting, docs, typing, packaging or benchmarks
    (any word of its name) that runs no test suite; True otherwise."""
    words = [w for w in re.split(r"[\s_/:()\[\]]+", name.lower()) if w]
    words += [part for w in words for part in w.split("-")]  # lint-python, docs-build
    return not any(_NOT_TEST_JOB.fullmatch(w) for w in words) or bool(_RUNS_TESTS.search(commands))


_NOX_SESSION = re.compile(r"^@nox\.session\b(?P<args>\([^)]*\))?\s*(?:^@.*\n\s*)*^def\s+(?P<func>\w+)\s*\(", re.M)
_TOP_LEVEL = re.compile(r"^\S", re.M)


def nox_sessions(text: str) -> list[tuple[str, str]]:
    """(session name, its function's source up to the next top-level statement) per `@nox.session`
    function of a noxfile; the whole file as one unnamed session when it declares none."""
    found = list(_NOX_SESSION.finditer(text))
    if not found:
        return [("", text)]
    out = []
    for m in found:
        end = _TOP_LEVEL.search(text, text.find("\n", m.end()) + 1 or len(text))
        named = re.search(r"name\s*=\s*['\"]([^'\"]+)['\"]", m.group("args") or "")
        start = text.rindex("def", m.start(), m.start("func"))  # the decorator names nox itself
        out.append((named.group(1) if named else m.group("func"), text[start:end.start() if end else len(text)]))
    return out
