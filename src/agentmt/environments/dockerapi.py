"""The one Docker client: image build, push, pull, tag, inspect, import, remove and one-shot reads,
all through the docker SDK against the daemon `docker.from_env()` names (DOCKER_HOST, else the
default socket), so no `docker` binary is needed at run time.

Guarantees: a failed build raises `ImageBuildError` carrying its whole log; a failed pull, push or
import raises `DockerCallError` whose message is the daemon's first line; `daemon_id()` names the
daemon (image locks are keyed by it, not by AGENTMT_HOME).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable

from agentmt.errors import AgentmtError, InfrastructureError

# builds and pulls print nothing for minutes while pip resolves: a read timeout shorter than a step
# would cut a healthy build
READ_TIMEOUT_S = 3600
_CLIENTS: dict[tuple[int, str], object] = {}  # per process (a forked worker must not share a socket) and host


class ImageBuildError(AgentmtError):
    """A docker build failed; `log` holds its output (an install error, not a task failure)."""

    def __init__(self, message: str, log: str):
        super().__init__(message)
        self.log = log


class DockerCallError(InfrastructureError):
    """A pull, push, import or read the daemon refused (the message is its reason)."""


class ImageNotFound(DockerCallError):
    """A pull the registry answered: it has no such image (a down registry is a plain DockerCallError)."""


def connect(timeout: int = READ_TIMEOUT_S):
    """A new docker SDK client for the daemon DOCKER_HOST names (else the default socket), answered a
    ping; InfrastructureError when no daemon answers. A container session holds its own (runtime.py)."""
    import docker

    try:
        made = docker.from_env(timeout=timeout)
        made.ping()
    except Exception as e:  # the daemon boundary: say so once, with the reason
        raise InfrastructureError(f"Docker daemon not reachable: {e}") from e
    return made


def client():
    """The docker SDK client this process shares for the daemon DOCKER_HOST names."""
    key = (os.getpid(), os.environ.get("DOCKER_HOST", ""))
    if key not in _CLIENTS:
        _CLIENTS[key] = connect()
    return _CLIENTS[key]


def daemon_id() -> str:
    """The daemon's own ID (`docker info`'s ID): the same for every AGENTMT_HOME that uses it."""
    return client().info()["ID"]


def _first_line(error: Exception | str) -> str:
    # the daemon's own words where it gave some (not the SDK's request URL), its whole first line:
    # cut at a fixed width it ended mid-address
    text = str(getattr(error, "explanation", None) or error)
    return (text.strip().splitlines() or ["no answer"])[0]


def image_exists(ref: str) -> bool:
    import docker.errors

    try:
        client().api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as e:  # a malformed reference is no image either
        if e.status_code in (400, 404):
            return False
        raise
    return True


def image_id(ref: str) -> str:
    """The local image id (`sha256:...`) of `ref`; DockerCallError when there is none."""
    import docker.errors

    try:
        return client().api.inspect_image(ref)["Id"]
    except docker.errors.APIError as e:
        raise DockerCallError(f"no image {ref}: {_first_line(e)}") from e


def image_labels(ref: str) -> dict[str, str]:
    return client().api.inspect_image(ref)["Config"].get("Labels") or {}


def has_network(name: str) -> bool:
    import docker.errors

    try:
        client().api.inspect_network(name)
    except docker.errors.APIError:
        return False
    return True


def build(tag: str, *, network: str, context: str | None = None, dockerfile: str | None = None,
          labels: dict[str, str] | None = None) -> str:
    """Build `tag` from a context folder or a lone Dockerfile text with the classic builder, removing
    intermediate containers even on failure (`--rm --force-rm`); returns the log."""
    fileobj = io.BytesIO(dockerfile.encode()) if dockerfile is not None else None
    lines: list[str] = []
    error = ""
    try:
        stream = client().api.build(path=context, fileobj=fileobj, tag=tag, rm=True, forcerm=True,
                                    network_mode=network, labels=labels or None, decode=True)
        for chunk in stream:
            lines.append(chunk.get("stream", ""))
            if "error" in chunk:
                error = chunk["error"]
                lines.append(error + "\n")
    except Exception as e:  # a daemon that broke off mid-build: the log so far is what there is
        error = error or f"{type(e).__name__}: {e}"
        lines.append(f"{error}\n")
    log = "".join(lines)
    if error:
        raise ImageBuildError(f"docker build of {tag} failed ({_first_line(error)[:200]})", log)
    return log


def pull(ref: str) -> str:
    """Pull `ref` (`repo:tag` or `repo@sha256:...`); returns the local image id."""
    from docker.utils import parse_repository_tag

    import docker.errors

    repository, tag = parse_repository_tag(ref)
    try:
        return client().images.pull(repository, tag=tag or "latest").id
    except docker.errors.NotFound as e:
        raise ImageNotFound(f"pull {ref} failed: {_first_line(e)[:300]}") from e
    except Exception as e:
        raise DockerCallError(f"pull {ref} failed: {_first_line(e)[:300]}") from e


def tag(source: str, target: str) -> None:
    from docker.utils import parse_repository_tag

    repository, name = parse_repository_tag(target)
    client().api.tag(source, repository, name or "latest", force=True)


def push(target: str) -> str:
    """Push `target` (`registry/repo:tag`); returns the manifest digest the registry answered."""
    from docker.utils import parse_repository_tag

    repository, name = parse_repository_tag(target)
    digest = ""
    try:
        for chunk in client().api.push(repository, tag=name, stream=True, decode=True):
            if "error" in chunk:
                raise DockerCallError(f"push {target} failed: {_first_line(chunk['error'])[:300]}")
            digest = (chunk.get("aux") or {}).get("Digest", digest)
    except DockerCallError:
        raise
    except Exception as e:
        raise DockerCallError(f"push {target} failed: {_first_line(e)[:300]}") from e
    if not digest:
        raise DockerCallError(f"push {target}: the registry answered no digest")
    return digest


def import_tar(chunks: Iterable[bytes], tag: str, *, changes: list[str]) -> None:
    """`docker import` a root filesystem tar streamed as `chunks` into `tag`."""
    from docker.utils import parse_repository_tag

    repository, name = parse_repository_tag(tag)
    try:
        client().api.import_image(src=chunks, repository=repository, tag=name, changes=changes, stream_src=True)
    except Exception as e:
        raise DockerCallError(f"import of {tag} failed: {_first_line(e)[:300]}") from e


def remove(ref: str) -> bool:
    """Remove (or untag) `ref`; False when the daemon refuses (a child image or a container uses it)."""
    import docker.errors

    try:
        client().api.remove_image(ref)
    except docker.errors.APIError:
        return False
    return True


def run_read(image: str, entrypoint: str, args: list[str]) -> tuple[int, str]:
    """(exit code, stdout or the error's stderr) of `entrypoint args` in a throwaway container of
    `image` with no network, removed afterwards."""
    import docker.errors

    try:
        out = client().containers.run(image, args, entrypoint=[entrypoint], network_mode="none", remove=True,
                                      stdout=True, stderr=False)
    except docker.errors.ContainerError as e:
        return e.exit_status, (e.stderr or b"").decode("utf-8", "replace")
    except docker.errors.APIError as e:
        raise DockerCallError(f"running {entrypoint} in {image} failed: {_first_line(e)[:300]}") from e
    return 0, out.decode("utf-8", "replace")
