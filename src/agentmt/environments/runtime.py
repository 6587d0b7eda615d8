"""Task containers: `DockerEnvironment` runs commands in an isolated container built from a task image.

Guarantees: containers have no network, CPU/memory/pids limits, a per-command timeout, no Linux
capabilities beyond `RuntimeConfig.cap_add` (plus a task's own `install.runtime_caps`), no-new-privileges
and a size-limited tmpfs /tmp; each is labelled with its owner (host + pid) and removed on `close()`,
on interpreter exit, and, when the owner was killed (kill -9), by `reap_leaked_containers()` which every
new environment runs first.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import posixpath
import shlex
import socket
import tarfile
import uuid
from pathlib import Path

from pydantic import BaseModel, Field

from agentmt.errors import InfrastructureError  # re-exported: callers import it from here too

LABEL = "agentmt.runtime"
LABEL_HOST = "agentmt.host"
LABEL_PID = "agentmt.pid"
# on the container's own layer: file transfers to and from the tmpfs /tmp pass through here
STAGE_DIR = "/.agentmt-stage"
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
    cap_add: list[str] = Field(default_factory=list)
    """Linux capabilities added back after dropping all (docker names: CHOWN, DAC_OVERRIDE, ...); the
    demo's and the rollout suites need none. A task needing more lists them in `install.runtime_caps`."""
    no_new_privileges: bool = True
    """Forbid gaining privileges through setuid binaries or file capabilities (`no-new-privileges`)."""
    scratch_size: str = "1g"
    """Size of the tmpfs mounted on /tmp (docker syntax: 512m, 1g), so scratch files cannot fill the disk;
    "" leaves /tmp on the container's writable layer."""
    user: str = ""
    """Run as this user ("name", "uid" or "uid:gid") where the image has one; "" = the image's user (root)."""
    read_only_root: bool = False
    """Mount the root filesystem read-only; `workdir` (a fresh copy of the image's) and /tmp stay writable.
    Off by default: a setup agent's `pip install` writes into the image's venv."""

    def with_caps(self, caps: list[str] | tuple[str, ...]) -> RuntimeConfig:
        """This config with `caps` (a task's `install.runtime_caps`) added to `cap_add`."""
        extra = [c.upper() for c in caps if c.upper() not in self.cap_add]
        return self.model_copy(update={"cap_add": [*self.cap_add, *extra]}) if extra else self


def task_runtime(runtime: RuntimeConfig | None, install: dict) -> RuntimeConfig:
    """`runtime` plus the capabilities a task's record says its tests need (`install.runtime_caps`)."""
    return (runtime or RuntimeConfig()).with_caps(install.get("runtime_caps") or [])


def make_security_options(cfg: RuntimeConfig) -> dict:
    """The `containers.run` keywords that box a task container in (capabilities, privileges, scratch)."""
    opts: dict = {"cap_drop": ["ALL"], "cap_add": list(cfg.cap_add) or None}
    if cfg.no_new_privileges:
        opts["security_opt"] = ["no-new-privileges"]
    if cfg.scratch_size:
        # exec: test suites run helpers from /tmp; nosuid/nodev: nothing there may raise privileges
        opts["tmpfs"] = {"/tmp": f"rw,exec,nosuid,nodev,size={cfg.scratch_size},mode=1777"}
    if cfg.user:
        opts["user"] = cfg.user
    if cfg.read_only_root:
        from docker.types import Mount

        # anonymous volumes: docker fills one from the image's folder, and its archive API can write there
        opts["read_only"] = True
        opts["mounts"] = [Mount(target=t, source=None, type="volume") for t in (cfg.workdir, STAGE_DIR)]
    return opts


def _client():
    from agentmt.environments import dockerapi

    return dockerapi.connect(timeout=600)  # its own: a long exec here never holds up another thread's


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
            c.remove(force=True, v=True)
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
                **make_security_options(cfg),
            )
        except Exception as e:
            self._remove_unstarted()
            raise InfrastructureError(f"could not start a container from {image}: {e}") from e
        _LIVE[self.name] = self

    def _remove_unstarted(self) -> None:
        """Remove the container a failed `run` may have created but not started (it would linger, labelled
        with our live pid, until this process exits). Best effort: the run's own error is what we report."""
        with contextlib.suppress(Exception):  # the daemon itself may be what failed
            self.client.containers.get(self.name).remove(force=True, v=True)

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
        self._put(dest_dir, "copy into", lambda tar, prefix: tar.add(src, arcname=prefix + src.name))

    def write_file(self, path: str, text: str, *, parents: bool = False) -> None:
        """Write `text` to the absolute `path` inside the container; `parents`: make its missing folders."""
        data = text.encode("utf-8")

        def add(tar: tarfile.TarFile, prefix: str) -> None:
            info = tarfile.TarInfo(name=prefix + os.path.basename(path))
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

        folder = os.path.dirname(path) or "/"
        if parents and not self._on_scratch(folder):  # the tar's own path makes the folders
            self._put("/", "write into", lambda tar, prefix: add(tar, prefix + folder.lstrip("/") + "/"))
        else:
            self._put(folder, "write into", add, parents=parents)

    def copy_from(self, path: str, dest_dir: str | Path) -> Path:
        """Copy a file or folder out of the container into `dest_dir`; returns the host path."""
        source, stage = path, None
        if self._on_scratch(path):  # the archive API reads the layers under the tmpfs: copy it out first
            stage = self._stage_dir()
            if self._as_root(f"test -e {shlex.quote(path)} || exit 3; mkdir -p {stage} && cp -a "
                             f"{shlex.quote(path.rstrip('/'))} {stage}/") == 3:
                raise FileNotFoundError(f"{path} does not exist in {self.name}")
            source = f"{stage}/{os.path.basename(path.rstrip('/'))}"
        try:
            stream, _ = self._archive_call("copy out of", path, self.container.get_archive, source)
            buf = io.BytesIO(b"".join(stream))
        finally:
            if stage:
                self._as_root(f"rm -rf {stage}")
        with tarfile.open(fileobj=buf) as tar:
            tar.extractall(dest_dir, filter="data")
        return Path(dest_dir) / os.path.basename(path.rstrip("/"))

    def _on_scratch(self, path: str) -> bool:
        """Whether `path` lies on the tmpfs /tmp, which docker's archive API cannot see (moby #22020)."""
        norm = posixpath.normpath(path)
        return bool(self.config.scratch_size) and (norm == "/tmp" or norm.startswith("/tmp/"))

    def _stage_dir(self) -> str:
        return f"{STAGE_DIR}/{uuid.uuid4().hex[:12]}"

    def _put(self, folder: str, what: str, add, *, parents: bool = False) -> None:
        """Unpack the tar that `add(tar, prefix)` writes into `folder`; a folder on the scratch tmpfs is
        reached through a staging folder on the container's own layer and a `cp` inside."""
        stage = self._stage_dir() if self._on_scratch(folder) else None
        # the read-only root's STAGE_DIR is a volume that exists; elsewhere the tar's own path makes it
        target = folder if not stage else STAGE_DIR if self.config.read_only_root else "/"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            add(tar, posixpath.relpath(stage, target) + "/" if stage else "")
        self._archive_call(what, folder, self.container.put_archive, target, buf.getvalue())
        if not stage:
            return
        q = shlex.quote(folder)
        check = f"mkdir -p {q}" if parents else f"test -d {q}"
        rc = self._as_root(f"{check} || {{ rm -rf {stage}; exit 3; }}; cp -a {stage}/. {q}/; s=$?; "
                           f"rm -rf {stage}; exit $s")
        if rc == 3:
            raise FileNotFoundError(f"{folder} does not exist in {self.name}")
        if rc != 0:
            raise InfrastructureError(f"{what} {self.name} failed: the copy from staging exited {rc}")

    def _as_root(self, command: str) -> int:
        """Exit code of a file-transfer helper command, run as root whatever `user` the commands run as."""
        import docker.errors

        try:
            res = self.container.exec_run(["bash", "-c", command], user="0", workdir="/")
        except docker.errors.NotFound as e:
            raise InfrastructureError(f"file transfer in {self.name} failed: the container is gone ({e})") from e
        except Exception as e:
            raise InfrastructureError(f"exec in {self.name} failed: {e}") from e
        return res.exit_code if res.exit_code is not None else -1

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
            self.container.remove(force=True, v=True)  # v: the read-only root's anonymous volumes too
        except docker.errors.NotFound:  # already gone (reaped, daemon restarted): nothing to remove
            pass
