"""Base images: reuse a cached tag, else pull from a registry, else bootstrap offline from Debian.

Guarantee: `ensure_base_image(release)` returns a local tag holding Debian `release` with python3,
venv, pip, git and CA certificates, building it at most once per machine (the tag is the cache).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentmt.errors import AgentmtError

BASE_REPOSITORY = "agentmt-base"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = "python3,python3-venv,python3-pip,git,ca-certificates"
# Registry images with the same contents, tried before bootstrapping (skipped quickly when no
# registry answers). The official python images carry git and venv.
REGISTRY_IMAGES = {"bookworm": "python:3.11-bookworm", "bullseye": "python:3.9-bullseye",
                   "trixie": "python:3.13-trixie"}


class BaseImageError(AgentmtError):
    """No base image could be pulled or bootstrapped (an infrastructure failure)."""


def base_tag(release: str = "bookworm") -> str:
    return f"{BASE_REPOSITORY}:{release}"


def _note(message: str) -> None:
    """Progress of base-image making, on stderr: a command's stdout is its result line."""
    print(message, file=sys.stderr)


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def image_lock_path(tag: str) -> Path:
    import re

    from agentmt import settings

    return settings.home() / "images" / "locks" / (re.sub(r"[^\w.-]", "_", tag) + ".lock")


@contextmanager
def image_lock(tag: str) -> Iterator[None]:
    """Hold the machine-wide lock for making image `tag` (an flock under AGENTMT_HOME), so workers
    that need the same missing image make it once: the others wait, then find it built."""
    import fcntl

    path = image_lock_path(tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        yield


def ensure_base_image(release: str = "bookworm", *, try_pull: bool = True, log=_note) -> str:
    """The base image tag for `release`, built or pulled when missing."""
    tag = base_tag(release)
    if image_exists(tag):
        return tag
    with image_lock(tag):  # two build workers each ran debootstrap for the same release before
        if image_exists(tag):
            return tag
        if try_pull and registry_answers(log) and _pull_as(REGISTRY_IMAGES.get(release, ""), tag, log):
            return tag
        build_base_offline(release, tag, log=log)
    return tag


BUILD_NETWORKS = ("auto", "bridge", "host")
_BUILD_NETWORK = {"setting": "auto"}  # this process's `env.build_network` (set per task by build_task)
_BRIDGE: list[bool] = []  # memo of `daemon_has_bridge()` for this process


def use_build_network(setting: str) -> None:
    """Make `setting` (one of BUILD_NETWORKS) the network of this process's package-installing builds."""
    assert setting in BUILD_NETWORKS, setting
    _BUILD_NETWORK["setting"] = setting


def daemon_has_bridge() -> bool:
    """Whether the Docker daemon offers its default bridge network (probed once per process)."""
    if not _BRIDGE:
        res = subprocess.run(["docker", "network", "inspect", "bridge"], capture_output=True, check=False)
        _BRIDGE.append(res.returncode == 0)
    return _BRIDGE[0]


def build_network() -> str:
    """The `docker build --network` of builds that install packages: `host` only when configured, or under
    `auto` when the daemon has no bridge (started with --bridge=none); else the daemon's bridge."""
    setting = _BUILD_NETWORK["setting"]
    if setting == "auto":
        setting = "bridge" if daemon_has_bridge() else "host"
    return "default" if setting == "bridge" else setting  # `default`: docker build's name for the bridge


_REGISTRY: list[bool] = []  # memo of `registry_answers()` for this process
PROBE_IMAGE = "python:3.11-slim"
PROBE_TTL_S = 3600  # a pipeline's stages run in several processes: one probe (and one note) per hour


def registry_answers(log=_note) -> bool:
    """Whether a container registry serves images here: probed with a small pull once per process,
    and the answer kept an hour for the machine (AGENTMT_HOME/images/registry.json)."""
    import json
    import time

    from agentmt import io, settings

    if not _REGISTRY:
        memo = settings.home() / "images" / "registry.json"
        try:
            seen = json.loads(memo.read_text())
            fresh = seen.get("image") == PROBE_IMAGE and time.time() - seen["at"] < PROBE_TTL_S
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            fresh = False
        if fresh:
            _REGISTRY.append(bool(seen["answers"]))
        else:
            _REGISTRY.append(_pull_as(PROBE_IMAGE, "", log, then="using the offline Debian bases"))
            io.write_json(memo, {"image": PROBE_IMAGE, "answers": _REGISTRY[0], "at": time.time()})
    return _REGISTRY[0]


def ensure_python_image(version: str, *, try_pull: bool = True, log=_note) -> str:
    """A base image with CPython `version`: the offline Debian base whose python3 it is, else (where a
    registry answers) `python:X.Y-slim` with git added. BaseImageError when neither can provide it."""
    from agentmt.environments.recipe import DEBIAN_PYTHONS

    if version in DEBIAN_PYTHONS:
        return ensure_base_image(DEBIAN_PYTHONS[version], try_pull=try_pull, log=log)
    tag = f"{BASE_REPOSITORY}:py{version}"
    if image_exists(tag):
        return tag
    if not (try_pull and registry_answers(log)):
        raise BaseImageError(f"no base image provides Python {version} (offline bases: {', '.join(DEBIAN_PYTHONS)})")
    dockerfile = (f"FROM python:{version}-slim\nRUN apt-get update && apt-get install -y --no-install-recommends "
                  "git ca-certificates && rm -rf /var/lib/apt/lists/*\n")
    with image_lock(tag):
        if image_exists(tag):
            return tag
        res = subprocess.run(["docker", "build", "--network", build_network(), "-t", tag, "-"],
                             input=dockerfile, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise BaseImageError(f"building {tag} from python:{version}-slim failed: {res.stderr.strip()[-300:]}")
    return tag


def _pull_as(source: str, tag: str, log, then: str = "bootstrapping offline") -> bool:
    if not source:
        return False
    try:
        res = subprocess.run(["docker", "pull", "-q", source], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    if res.returncode != 0:
        # docker's whole first line: cut at a fixed width it ended mid-address
        reason = (res.stderr.strip().splitlines() or ["no answer"])[0]
        log(f"base image: no registry image {source} ({reason}); {then}")
        return False
    if tag:
        subprocess.run(["docker", "tag", source, tag], check=True)
    return True


def build_base_offline(release: str, tag: str, *, mirror: str = DEBIAN_MIRROR, log=_note) -> None:
    """debootstrap a minimal Debian root into a temp dir and `docker import` it as `tag`."""
    if shutil.which("debootstrap") is None:
        raise BaseImageError("debootstrap is missing: run scripts/ensure-docker.sh (installs it)")
    with tempfile.TemporaryDirectory(prefix="agentmt-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        log(f"base image: debootstrap {release} into {root} (about a minute)")
        res = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", release, str(root), mirror],
            capture_output=True, text=True,
        )
        if res.returncode != 0:
            raise BaseImageError(f"debootstrap {release} failed: {res.stderr.strip()[-300:]}")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(
            ["docker", "import", "-c", "ENV LANG=C.UTF-8", "-", tag], stdin=tar.stdout, capture_output=True,
        )
        # Drop our copy of the pipe: if the import stopped reading early, tar then gets SIGPIPE
        # instead of blocking forever on a full pipe that nobody reads.
        tar.stdout.close()
        tar.wait()
        if imp.returncode != 0 or tar.returncode != 0:
            raise BaseImageError(f"docker import of {tag} failed: {imp.stderr.decode()[-300:]}")
    log(f"base image: imported {tag}")
