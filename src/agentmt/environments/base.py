"""Base images: reuse a cached tag, else pull from a registry, else bootstrap offline from Debian.

Guarantee: `ensure_base_image(release)` returns a local tag holding Debian `release` with python3,
venv, pip, git and CA certificates, building it at most once per daemon (the tag is the cache, and
its lock is the daemon's, whichever AGENTMT_HOME asks). Docker is reached through dockerapi (the SDK).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentmt.environments import dockerapi
from agentmt.environments.dockerapi import image_exists  # noqa: F401  (re-exported: the tag is the cache)
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


# Image locks live beside the daemon's tags, not under AGENTMT_HOME: two runs with different homes on
# one daemon retagged agentmt-base:bookworm under each other. World-writable and sticky, as /tmp is.
LOCK_ROOT = Path(tempfile.gettempdir()) / "agentmt-image-locks"


def image_lock_path(tag: str) -> Path:
    import re

    return LOCK_ROOT / re.sub(r"[^\w.-]", "_", dockerapi.daemon_id()) / (re.sub(r"[^\w.-]", "_", tag) + ".lock")


@contextmanager
def image_lock(tag: str) -> Iterator[None]:
    """Hold the daemon-wide lock for making image `tag` (an flock keyed by the daemon's ID), so workers
    and runs that need the same missing image make it once: the others wait, then find it built."""
    import fcntl
    import os

    path = image_lock_path(tag)
    for folder in (path.parent.parent, path.parent):
        if not folder.is_dir():
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o1777)  # another user's run on the same daemon takes the same locks
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
        _BRIDGE.append(dockerapi.has_network("bridge"))
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
        try:
            dockerapi.build(tag, network=build_network(), dockerfile=dockerfile)
        except dockerapi.ImageBuildError as e:
            raise BaseImageError(f"building {tag} from python:{version}-slim failed: {e.log.strip()[-300:]}") from e
    return tag


def _pull_as(source: str, tag: str, log, then: str = "bootstrapping offline") -> bool:
    if not source:
        return False
    try:
        dockerapi.pull(source)
    except dockerapi.DockerCallError as e:
        log(f"base image: no registry image {source} ({str(e).split(' failed: ', 1)[-1]}); {then}")
        return False
    if tag:
        dockerapi.tag(source, tag)
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
        try:
            dockerapi.import_tar(iter(lambda: tar.stdout.read(1 << 20), b""), tag, changes=["ENV LANG=C.UTF-8"])
            error = ""
        except dockerapi.DockerCallError as e:
            error = str(e)
        # Drop our copy of the pipe: if the import stopped reading early, tar then gets SIGPIPE
        # instead of blocking forever on a full pipe that nobody reads.
        tar.stdout.close()
        tar.wait()
        if error or tar.returncode != 0:
            raise BaseImageError(f"docker import of {tag} failed: {error or f'tar exited {tar.returncode}'}")
    log(f"base image: imported {tag}")
