"""Dependency resolution as of a date, with uv on the host: requirements → an exact lock. The host
never builds a package (`--no-build`); a set that needs a build is resolved inside the env layer's build.

Why on the host: resolving is network and metadata work that needs no image, so a lock is known
before any build, tasks whose locks are equal share one env image, and the env layer installs the
lock exactly (`--no-deps`), which is what makes a rebuild from the lock give the same versions.

Guarantee: `resolve_lock` returns `name==version` lines, or raises `ResolutionFailed` carrying the
resolver's explanation. Packages whose every release was re-uploaded after the pin date (PyPI's
atomicwrites was deleted and re-uploaded in 2022) are retried exempt from the date, and named.
What uv refuses but pip installs (`uv_refused`) falls back to pip with `--uploaded-prior-to`, in the
env layer (images.py); the recipe's `resolver` says which resolved its lock.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from agentmt.errors import AgentmtError

_NO_VERSIONS = re.compile(r"there (?:are|is) no versions of ([A-Za-z0-9][\w.\-]*)")
_MAX_EXEMPT = 3
# the glibc of each offline base (bullseye 2.31, bookworm 2.36, trixie 2.41): wheels it can load
_PLATFORM = "x86_64-manylinux_2_31"


# what uv refuses to read although pip installs it: sdists named before PEP 625 (Twisted shipped only
# `.tar.bz2` ones until 2021), and sdists whose metadata only their build gives: the host resolves with
# `--no-build`, since a build runs the package's setup.py, which may run only inside a container. Such a
# set is resolved by pip in the env layer instead (inside the docker build), and `resolver: pip` says so.
_UV_REFUSES = re.compile(r"non-PEP 625-compliant source distribution filename"
                         r"|building from source is disabled")


def uv_refused(message: str) -> bool:
    """Whether uv's failure is a refusal of an archive format pip still installs (pure)."""
    return bool(_UV_REFUSES.search(message))


class ResolutionFailed(AgentmtError):
    """uv found no set of versions satisfying the requirements (as of the pin date)."""

    def __init__(self, message: str, exempt: list[str]):
        super().__init__(message)
        self.exempt = exempt


def uv_binary() -> str | None:
    """uv next to this interpreter (the `env` extra installs it), else on PATH; None when absent."""
    local = Path(sys.executable).parent / "uv"
    return str(local) if local.exists() else shutil.which("uv")


NO_DATE = "2100-01-01T00:00:00Z"  # the cutoff of a package exempt from the pin date


def resolve_lock(requirements: list[str], python: str, pin_date: str | None, *,
                 floors: dict[str, str] | None = None, timeout_s: int = 600) -> tuple[list[str], list[str]]:
    """(lock lines, packages exempted from the date) for `requirements` on CPython `python`;
    `floors` gives some packages a later cutoff of their own (see `tooling_floors`)."""
    uv = uv_binary()
    assert uv, "resolve_lock needs uv (pip install uv)"
    exempt: list[str] = []
    with tempfile.TemporaryDirectory(prefix="agentmt-resolve-") as tmp:
        req = Path(tmp) / "requirements.in"
        req.write_text("".join(f"{r}\n" for r in requirements))
        while True:
            # --no-build: never run a third-party setup.py on the host to read its metadata
            cmd = [uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-build",
                   "--python-version", python, "--python-platform", _PLATFORM, str(req)]
            if pin_date:
                cmd += ["--exclude-newer", pin_date]
                cutoffs = {**(floors or {}), **{name: NO_DATE for name in exempt}}
                for name, date in sorted(cutoffs.items()):  # a per-package cutoff replaces the date for it
                    cmd += ["--exclude-newer-package", f"{name}={date}"]
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1", "NO_COLOR": "1"}
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, cwd=tmp,
                                     check=False)
            except subprocess.TimeoutExpired as e:
                raise ResolutionFailed(f"uv pip compile timed out after {timeout_s}s", exempt) from e
            if res.returncode == 0:
                lines = [ln.strip() for ln in res.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
                return lines, exempt
            missing = _NO_VERSIONS.findall(res.stderr)
            new = [m for m in missing if m not in exempt]
            if not pin_date or not new or len(exempt) >= _MAX_EXEMPT:
                raise ResolutionFailed(_explanation(res.stderr), exempt)
            exempt.append(new[0])


def date_exemptions(requirements: list[str], python: str, pin_date: str,
                    floors: dict[str, str] | None = None) -> list[str]:
    """The packages `resolve_lock` exempts from the date, found requirement by requirement: for the
    pip fallback (pip has one date for all), which is taken when uv refused the whole set before
    reaching them (tomlkit 2018: poetry's msgpack sdist first, pytest 3's atomicwrites, re-uploaded
    in 2022, never). A requirement uv refuses alone adds only what it exempted before refusing."""
    found: list[str] = []
    for req in requirements:
        try:
            _, exempt = resolve_lock([req], python, pin_date, floors=floors)
        except ResolutionFailed as e:
            exempt = e.exempt
        found += [x for x in exempt if x not in found]
    return found


# What runs the build and the tests rather than the project's code: an old release of these fails
# on a newer interpreter (setuptools 41 calls HTMLParser.unescape, gone in Python 3.9; pytest < 6.2.5
# breaks on 3.10), so they are resolved as of the interpreter's release when that is later.
TOOLING = ("setuptools", "wheel", "pip", "pytest")


def tooling_floors(build_requirements: list[str], python: str, pin_date: str | None) -> dict[str, str]:
    """Package → cutoff for the build backend(s) and the test runner: the later of the pin date and
    the release of `python`; {} when the pin date is already later (or there is none)."""
    from agentmt.environments.pins import PYTHON_RELEASES

    released = PYTHON_RELEASES.get(python)
    if not pin_date or not released or pin_date[:10] >= released:
        return {}
    names = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in build_requirements} | set(TOOLING)
    return {n: f"{released}T00:00:00Z" for n in sorted(names) if n}


def _explanation(stderr: str) -> str:
    """The resolver's own words, without the interpreter-download warnings that precede them."""
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("warning:")]
    return "\n".join(lines).strip()[:3000] or "uv pip compile failed without a message"
