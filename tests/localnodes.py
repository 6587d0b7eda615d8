"""Stand-ins for a cluster's machines on this one: a registry, a second Docker daemon, a Ray cluster whose
nodes each have their own DOCKER_HOST. Context managers that stop what they started (by process group)
and remove its storage; used by the tests and benchmarks/bench_nodes.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], bool], what: str, proc: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up in {timeout_s:.0f} s")
        time.sleep(0.3)


def stop(*procs: subprocess.Popen) -> None:
    """SIGTERM to the process groups we started (`ray start --block` and dockerd stop their children on it),
    all at once: each takes seconds to wind down."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _short_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))  # unix socket paths have 107 bytes at most


@contextlib.contextmanager
def _serving(proc: subprocess.Popen, root: Path, answers: Callable[[], bool], what: str, timeout_s: float):
    """Wait until `proc` answers, hold it for the with-block, then stop it and remove its folder."""
    try:
        wait_for(answers, what, proc, timeout_s)
        yield
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def registry() -> Iterator[str]:
    """`127.0.0.1:PORT` of a Debian `docker-registry` serving from a temp folder (loopback: no TLS needed)."""
    root = _short_dir("agentmt-registry-")
    addr = f"127.0.0.1:{free_port()}"
    (root / "config.yml").write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
                                     f"http:\n  addr: {addr}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(root / "config.yml")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://{addr}/v2/", timeout=2).close()
            return True
        except OSError:
            return False

    with _serving(proc, root, answers, "docker-registry", 30):
        yield addr


@contextlib.contextmanager
def second_dockerd() -> Iterator[str]:
    """DOCKER_HOST of an empty dockerd with its own socket, data root, exec root and pidfile."""
    import docker

    root = _short_dir("agentmt-node-")
    url = f"unix://{root}/docker.sock"
    with open(root / "dockerd.log", "wb") as log:
        proc = subprocess.Popen(["dockerd", "-H", url, "--data-root", str(root / "data"), "--exec-root",
                                 str(root / "exec"), "--pidfile", str(root / "docker.pid"), "--bridge=none"],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def answers() -> bool:
        try:
            return docker.DockerClient(base_url=url, timeout=5).ping()
        except Exception:  # not listening yet
            return False

    with _serving(proc, root, answers, "the second dockerd", 90):
        yield url


@contextlib.contextmanager
def ray_cluster(docker_hosts: list[str]) -> Iterator[str]:
    """Address of a Ray cluster with one node per entry of `docker_hosts` ("" = the default daemon), one CPU
    each, so N units in flight occupy all N nodes; this process is connected to it as the driver."""
    import ray

    temp = _short_dir("agentmt-ray-")
    port = free_port()
    # Ray 2.60 turns token auth on for `ray start --head`, and then a second node cannot join
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("DOCKER_HOST", None)  # each node gets its own below, never the driver's
    ray_bin = str(Path(sys.executable).with_name("ray"))
    address = f"127.0.0.1:{port}"
    nodes: list[subprocess.Popen] = []

    def start(docker_host: str, *args: str) -> subprocess.Popen:
        node_env = {**env, **({"DOCKER_HOST": docker_host} if docker_host else {})}
        nodes.append(subprocess.Popen(
            [ray_bin, "start", "--block", "--num-cpus=1", "--disable-usage-stats",
             f"--dashboard-agent-listen-port={free_port()}", *args], env=node_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        return nodes[-1]

    # the driver, and drivers started from here. Never restored: a Ray driver caches its auth mode for
    # the life of the process, and a later local ray.init with the variable unset starts a GCS that
    # wants a token the cached driver config does not send (tests/conftest.py sets it for the session)
    os.environ["RAY_AUTH_MODE"] = "disabled"
    try:
        head = start(docker_hosts[0], "--head", f"--port={port}", f"--temp-dir={temp}", "--include-dashboard=false")
        wait_for(lambda: (temp / "session_latest").exists(), "the Ray head", head)
        for host in docker_hosts[1:]:
            start(host, f"--address={address}")
        ray.init(address=address, log_to_driver=False)
        wait_for(lambda: sum(n["Alive"] for n in ray.nodes()) == len(docker_hosts), "the Ray nodes", nodes[-1])
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        stop(*nodes)
        shutil.rmtree(temp, ignore_errors=True)


def own_tags(tasks: list, label: str) -> list[str]:
    """Point each task's image tag at a name of this run's own (`agentmt-LABEL:...`) for the image id it was
    built as: another run building the same demo on a shared daemon retags the shared name under our feet
    (the pushed image then is not the one built). Returns the new tags, for the caller to remove."""
    from agentmt.environments import dockerapi

    tags = []
    for task in tasks:
        image = task.validation["image"]
        image["tag"] = f"agentmt-{label}:{image['tag'].rsplit(':', 1)[-1]}-{os.getpid()}"
        dockerapi.tag(image["id"], image["tag"])
        tags.append(image["tag"])
    return tags

