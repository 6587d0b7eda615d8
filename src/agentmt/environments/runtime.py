"""Task containers: `DockerEnvironment` runs commands in an isolated container built from a task image.

Guarantees: containers have no network, CPU/memory/pids limits and a per-command timeout; each is
labelled with its owner (host + pid) and removed on `close()`, on interpreter exit, and, when the
owner was killed (kill -9), by `reap_leaked_containers()` which every new environment runs first.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import socket
import tarfile
import uuid
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt.errors import InfrastructureError  # re-exported: callers import it from here too

LABEL = "agentmt.runtime"
LABEL_HOST = "agentmt.host"
LABEL_PID = "agentmt.pid"
TIMEOUT_EXIT = 124  # coreutils `timeout` exit status, also returned when the host-side guard fires


class RuntimeConfig(BaseModel):
    """Limits for one task container."""

    cpus: float = 1.0
    """CPU cores the container may use."""
    memory: str = "2g"
    """Memory limit (docker syntax: 512m, 2g); exceeding it kills the process (OOM)."""
    pids: int = 512
    """Maximum number of processes, so a fork bomb cannot take the host down."""
    timeout_s: int = 300
    """Default per-command timeout in seconds; the command is killed and returns exit 124."""
    workdir: str = "/testbed"
    """Working directory of executed commands."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for executed commands."""


def _client():
    import docker

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as e:  # the daemon boundary: say so once, with the reason
        raise InfrastructureError(f"Docker daemon not reachable: {e}") from e
    return client


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leaked_containers(client=None) -> list[str]:
    """Remove agentmt containers on this host whose owning process is gone; returns their names."""
    import docker

    client = client or _client()
    host = socket.gethostname()
    removed = []
    # sparse: no inspect per container, which raced with containers other threads were removing
    for c in client.containers.list(all=True, sparse=True, filters={"label": [LABEL, f"{LABEL_HOST}={host}"]}):
        pid = int((c.attrs.get("Labels") or {}).get(LABEL_PID, "0") or 0)
        if pid and _pid_alive(pid):
            continue
        try:
            c.remove(force=True)
        except docker.errors.APIError as e:  # another reaper (a concurrent rollout) got there first
            if e.status_code not in (404, 409):
                raise
            continue
        removed.append((c.attrs.get("Names") or [c.id])[0].lstrip("/"))
    return removed


_LIVE: dict[str, DockerEnvironment] = {}


@atexit.register
def _close_all() -> None:
    for env in list(_LIVE.values()):
        env.close()


class DockerEnvironment:
    """One running container for one task image; use as a context manager."""

    def __init__(self, image: str, config: RuntimeConfig | None = None, *, name: str | None = None):
        self.image = image
        self.config = config or RuntimeConfig()
        self.client = _client()
        reap_leaked_containers(self.client)
        self.name = name or f"agentmt-{uuid.uuid4().hex[:12]}"
        cfg = self.config
        try:
            self.container = self.client.containers.run(
                image, command=["sleep", "infinity"], name=self.name, detach=True,
                network_mode="none", nano_cpus=int(cfg.cpus * 1e9), mem_limit=cfg.memory,
                memswap_limit=cfg.memory, pids_limit=cfg.pids, working_dir=cfg.workdir,
                labels={LABEL: "1", LABEL_HOST: socket.gethostname(), LABEL_PID: str(os.getpid())},
            )
        except Exception as e:
            self._remove_unstarted()
            raise InfrastructureError(f"could not start a container from {image}: {e}") from e
        _LIVE[self.name] = self

    def _remove_unstarted(self) -> None:
        """Remove the container a failed `run` may have created but not started (it would linger, labelled
        with our live pid, until this process exits). Best effort: the run's own error is what we report."""
        with contextlib.suppress(Exception):  # the daemon itself may be what failed
            self.client.containers.get(self.name).remove(force=True)

    def __enter__(self) -> DockerEnvironment:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def execute(self, command: str, *, timeout_s: int | None = None, workdir: str | None = None) -> tuple[str, int]:
        """Run `command` with bash; returns (stdout+stderr, exit code); exit 124 means it timed out."""
        timeout = timeout_s or self.config.timeout_s
        # `timeout -k` kills the whole command inside the container; the OOM killer shows as 137.
        # Not a login shell: /etc/profile would reset PATH and hide the image's venv.
        wrapped = ["timeout", "-k", "5", str(timeout), "bash", "-c", command]
        try:
            res = self.container.exec_run(wrapped, workdir=workdir or self.config.workdir,
                                          environment=self.config.env, demux=False)
        except Exception as e:
            raise InfrastructureError(f"exec in {self.name} failed: {e}") from e
        out = (res.output or b"").decode("utf-8", "replace")
        return out, res.exit_code if res.exit_code is not None else -1

    def copy_to(self, src: str | Path, dest_dir: str) -> None:
        """Copy a host file or folder into `dest_dir` inside the container."""
        src = Path(src)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(src, arcname=src.name)
        self._archive_call("copy into", dest_dir, self.container.put_archive, dest_dir, buf.getvalue())

    def write_file(self, path: str, text: str) -> None:
        """Write `text` to the absolute `path` inside the container."""
        data = text.encode("utf-8")
        info = tarfile.TarInfo(name=os.path.basename(path))
        info.size = len(data)
        info.mode = 0o644
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.addfile(info, io.BytesIO(data))
        folder = os.path.dirname(path) or "/"
        self._archive_call("write into", folder, self.container.put_archive, folder, buf.getvalue())

    def copy_from(self, path: str, dest_dir: str | Path) -> Path:
        """Copy a file or folder out of the container into `dest_dir`; returns the host path."""
        stream, _ = self._archive_call("copy out of", path, self.container.get_archive, path)
        buf = io.BytesIO(b"".join(stream))
        with tarfile.open(fileobj=buf) as tar:
            tar.extractall(dest_dir, filter="data")
        return Path(dest_dir) / os.path.basename(path.rstrip("/"))

    def _archive_call(self, what: str, path: str, fn, *args):
        """A file transfer: a missing path inside the container is the caller's FileNotFoundError;
        a vanished container or an unreachable daemon is an InfrastructureError (never the task's)."""
        import docker.errors
        import requests

        try:
            return fn(*args)
        except docker.errors.NotFound as e:
            if "no such container" in str(e).lower():
                raise InfrastructureError(f"{what} {self.name} failed: the container is gone ({e})") from e
            raise FileNotFoundError(f"{path} does not exist in {self.name}") from e
        except (docker.errors.APIError, requests.exceptions.ConnectionError) as e:
            raise InfrastructureError(f"{what} {self.name} failed: {e}") from e

    def close(self) -> None:
        """Remove the container (idempotent)."""
        if _LIVE.pop(self.name, None) is None:
            return
        import docker.errors

        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:  # already gone (reaped, daemon restarted): nothing to remove
            pass
