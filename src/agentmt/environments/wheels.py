"""Which release of a package an interpreter can install without building it (PyPI's JSON simple API).

`move_forward(task, log)`: when the env layer failed building the sdist of a locked release that
ships Linux wheels, none for the task's Python (its binaries were built for older interpreters, and
its sdist no longer builds there: numpy 1.17 on Python 3.9), that one package gets a per-package
cutoff (`--exclude-newer-package`) selecting its oldest later release with a wheel for the Python;
the lock is resolved again and the move recorded (`pin_forward`, and `name=cutoff` in `pin_exempt`).
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


# uv: "Failed to build `numpy==1.17.1`"; pip: "Failed building wheel for numpy"
_FAILED_BUILD = re.compile(r"Failed to build `([A-Za-z0-9][\w.\-]*)==[^`]+`|Failed building wheel for ([A-Za-z0-9][\w.\-]*)")


def failed_builds(log: str) -> list[str]:
    """The distributions whose build a failed env-layer log reports (pure)."""
    return list(dict.fromkeys(a or b for a, b in _FAILED_BUILD.findall(log)))


def move_forward(task, log: str) -> bool:
    """Move the packages whose sdist failed to build in `log` forward (module docstring) and resolve
    the lock again; False when none can move (then the build failure stands)."""
    from agentmt.environments.buildtask import without_project
    from agentmt.environments.images import make_requirements
    from agentmt.environments.resolve import ResolutionFailed, resolve_lock
    from agentmt.environments.trust import requirement_name

    r = task.install
    if r.get("lock_source") != "resolved" or not r.get("pin_date") or not r.get("python"):
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
