"""Which release of a package an interpreter can install without building it (PyPI's JSON simple API).

`move_forward(task, log)`: when the env layer failed building the sdist of a locked release that
ships Linux wheels, none for the task's Python (its binaries were built for older interpreters, and
its sdist no longer builds there: numpy 1.17 on Python 3.9), that one package gets a per-package
cutoff (`--exclude-newer-package`) selecting its oldest later release with a wheel for the Python;
the lock is resolved again and the move recorded (`pin_forward`, and `name=cutoff` in `pin_exempt`).
Where pip resolves in the image (a set uv refused: no lock yet), the release that failed is the one
pip chose as of the pin date, and the move is a tooling-style floor (`pin_floors`) that the env
layer installs first and pip then keeps (anyio 2019: uvloop 0.12 and coverage 4.5 on Python 3.9);
a package pip found no file of at all as of the date, only wheels for older Pythons, moves the same
way (tqdm 2020's tensorflow 2.1, whose first release with a cp39 wheel is 2.5).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.request
from datetime import datetime, timedelta

INDEX_URL = "https://pypi.org/simple/"
# the offline bases' glibc is 2.31 at the oldest (bullseye): wheels for it and every older manylinux
_PLATFORMS = [f"manylinux_2_{m}_x86_64" for m in range(31, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]


@functools.lru_cache(maxsize=4096)
def index_files(name: str) -> tuple[dict, ...]:
    """The files PyPI lists for a project (PEP 691 JSON: filename, upload-time, yanked)."""
    from packaging.utils import canonicalize_name

    req = urllib.request.Request(f"{INDEX_URL}{canonicalize_name(name)}/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return tuple(json.load(resp).get("files", []))


@functools.lru_cache(maxsize=16)
def supported_tags(python: str) -> frozenset:
    """The wheel tags CPython `python` ("3.11") installs on the offline bases."""
    from packaging.tags import compatible_tags, cpython_tags

    version = tuple(int(p) for p in python.split(".")[:2])
    interpreter = f"cp{version[0]}{version[1]}"
    return frozenset([*cpython_tags(version, platforms=_PLATFORMS),
                      *compatible_tags(version, interpreter=interpreter, platforms=_PLATFORMS)])


def forward_cutoff(files: tuple[dict, ...], version: str, python: str) -> str | None:
    """The cutoff (one second after the upload) that selects the oldest release after `version` with
    a wheel for `python`, when `version` has compiled wheels but none for it; else None (pure)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    tags = supported_tags(python)
    fits: dict = {}  # release → upload times of the wheels that fit
    compiled: set = set()
    for f in files:
        if not f.get("filename", "").endswith(".whl") or f.get("yanked"):
            continue
        try:
            _, release, _, wheel_tags = parse_wheel_filename(f["filename"])
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if any("linux" in t.platform for t in wheel_tags):  # built for Linux: its sdist needs compiling
            compiled.add(release)
        if wheel_tags & tags and f.get("upload-time"):
            fits.setdefault(release, []).append(f["upload-time"])
    try:
        locked = Version(version)
    except InvalidVersion:
        return None
    if locked not in compiled or locked in fits:
        return None
    later = sorted(r for r in fits if r > locked and not r.is_prerelease)
    if not later:
        return None
    uploaded = datetime.fromisoformat(max(fits[later[0]]).replace("Z", "+00:00")) + timedelta(seconds=1)
    return uploaded.strftime("%Y-%m-%dT%H:%M:%SZ")


# uv: "Failed to build `numpy==1.17.1`"; pip: "Failed building wheel for numpy", "Failed to build
# 'coverage' when getting requirements to build wheel", and its summaries "× Failed to build
# installable wheels for some pyproject.toml based projects" / "× Encountered error while generating
# package metadata." followed by "╰─> uvloop" (several: "a, b")
_FAILED_BUILD = re.compile(r"Failed to build `([A-Za-z0-9][\w.\-]*)==[^`]+`|Failed building wheel for ([A-Za-z0-9][\w.\-]*)"
                           r"|Failed to build '([A-Za-z0-9][\w.\-]*)'"
                           r"|(?:based projects|generating package metadata\.)\s*\n\s*╰─> ([^\n]+)")


def failed_builds(log: str) -> list[str]:
    """The distributions whose build a failed env-layer log reports (pure)."""
    names = []
    for groups in _FAILED_BUILD.findall(log):
        found = next(g for g in groups if g)
        names += [n.strip() for n in found.split(",") if n.strip()] if groups[3] else [found]
    return list(dict.fromkeys(names))


# pip, where no release as of the date has a file for the interpreter at all (only wheels for older
# Pythons: tensorflow 2.1 of early 2020 on 3.9): "No matching distribution found for tensorflow"
_NO_MATCHING = re.compile(r"No matching distribution found for ([A-Za-z0-9][\w.\-]*)")


def release_as_of(files: tuple[dict, ...], date: str) -> str | None:
    """The newest final release with a file uploaded before `date`: what pip picks as of it when
    nothing constrains the version (pure)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion

    releases = set()
    for f in files:
        name = f.get("filename", "")
        if f.get("yanked") or not f.get("upload-time") or f["upload-time"] >= date:
            continue
        try:
            version = parse_wheel_filename(name)[1] if name.endswith(".whl") else parse_sdist_filename(name)[1]
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
        if not version.is_prerelease:
            releases.add(version)
    return str(max(releases)) if releases else None


def _move_pip_floors(task, names: list[str]) -> bool:
    """The pip path of `move_forward`: a floor per failed package, from the release pip chose."""
    r = task.install
    forward = dict(r.get("pin_forward") or {})
    for name in names:
        if name in forward:
            continue
        try:
            files = index_files(name)
        except OSError:
            continue
        version = release_as_of(files, r["pin_date"])
        cut = forward_cutoff(files, version, r["python"]) if version else None
        if cut:
            forward[name] = cut
    if forward == (r.get("pin_forward") or {}):
        return False
    r.update(pin_forward=forward, pin_floors={**(r.get("pin_floors") or {}), **forward})
    return True


def move_forward(task, log: str) -> bool:
    """Move the packages whose sdist failed to build in `log` forward (module docstring) and resolve
    the lock again; False when none can move (then the build failure stands)."""
    from agentmt.environments.buildtask import without_project
    from agentmt.environments.images import make_requirements
    from agentmt.environments.resolve import ResolutionFailed, resolve_lock
    from agentmt.environments.trust import requirement_name

    r = task.install
    if not r.get("pin_date") or not r.get("python"):
        return False
    if r.get("resolver") == "pip" and r.get("lock_source") != "resolved":
        names = [*failed_builds(log), *_NO_MATCHING.findall(log)]
        return _move_pip_floors(task, list(dict.fromkeys(map(requirement_name, names))))
    if r.get("lock_source") != "resolved":
        return False
    locked = {requirement_name(x): x.split("==", 1)[1] for x in r.get("lock") or [] if "==" in x}
    forward = dict(r.get("pin_forward") or {})
    for name in map(requirement_name, failed_builds(log)):
        if name in locked and name not in forward:
            try:
                cut = forward_cutoff(index_files(name), locked[name], r["python"])
            except OSError:
                cut = None
            if cut:
                forward[name] = cut
    if forward == (r.get("pin_forward") or {}):
        return False
    try:
        lock, exempt = resolve_lock(make_requirements(task).splitlines(), r["python"], r["pin_date"],
                                    floors={**(r.get("pin_floors") or {}), **forward})
    except ResolutionFailed:
        return False
    r.update(lock=without_project(lock, r.get("project_name") or ""), pin_forward=forward,
             pin_exempt=[*exempt, *(f"{n}={d}" for n, d in sorted(forward.items()))])
    return True
