"""DockerEnvironment on a real daemon: isolation, limits, timeouts, file copy, and no leaked containers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import docker
import pytest

from agentmt.environments.runtime import (
    LABEL,
    DockerEnvironment,
    InfrastructureError,
    RuntimeConfig,
    reap_leaked_containers,
)

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def image(built_tasks):
    return built_tasks[0][0].validation["image"]["tag"]


def _ours():
    return docker.from_env().containers.list(all=True, filters={"label": LABEL})


def test_execute_limits_timeout_and_copy(image, tmp_path):
    cfg = RuntimeConfig(cpus=0.5, memory="256m", pids=64, timeout_s=30)
    with DockerEnvironment(image, cfg) as env:
        out, rc = env.execute("echo hi; pwd; exit 3")
        assert (out.split(), rc) == (["hi", "/testbed"], 3)
        attrs = env.container.attrs["HostConfig"]
        assert attrs["NetworkMode"] == "none" and attrs["NanoCpus"] == 5 * 10**8
        assert attrs["Memory"] == 256 * 2**20 and attrs["PidsLimit"] == 64
        out, _ = env.execute("python -c 'import socket; socket.create_connection((\"1.1.1.1\", 80), 2)' 2>&1")
        assert "unreachable" in out.lower() or "error" in out.lower()
        start = time.monotonic()
        out, rc = env.execute("sleep 60", timeout_s=2)
        assert rc == 124 and time.monotonic() - start < 15
        (tmp_path / "data.txt").write_text("payload\n")
        env.copy_to(tmp_path / "data.txt", "/tmp")
        assert env.execute("cat /tmp/data.txt")[0] == "payload\n"
        assert env.execute("mkdir -p /tmp/out")[1] == 0
        env.write_file("/tmp/out/x.txt", "made inside\n")
        back = env.copy_from("/tmp/out", tmp_path / "back")
        assert (back / "x.txt").read_text() == "made inside\n"
        name = env.name
    assert not [c for c in _ours() if c.name == name]


CHILD = """
import sys, time
from agentmt.environments.runtime import DockerEnvironment
env = DockerEnvironment(sys.argv[1])
print(env.name, flush=True)
time.sleep(600)
"""


def test_file_transfer_errors_are_labelled(image, tmp_path):
    (tmp_path / "f.txt").write_text("x\n")
    with DockerEnvironment(image, RuntimeConfig(timeout_s=30)) as env:
        with pytest.raises(FileNotFoundError, match="/no/such/dir"):
            env.copy_to(tmp_path / "f.txt", "/no/such/dir")
        with pytest.raises(FileNotFoundError):
            env.copy_from("/no/such/file", tmp_path)
        env.container.remove(force=True)  # the container vanishes under us (daemon restart, reaper)
        for call in (lambda: env.copy_to(tmp_path / "f.txt", "/tmp"),
                     lambda: env.write_file("/tmp/x.txt", "y"),
                     lambda: env.copy_from("/tmp/x.txt", tmp_path)):
            with pytest.raises(InfrastructureError, match="container is gone"):
                call()


def test_no_leaked_containers_after_kill_9(image):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, image], stdout=subprocess.PIPE, text=True,
                            env={**os.environ})
    name = proc.stdout.readline().strip()
    assert name.startswith("agentmt-")
    assert [c.name for c in _ours() if c.name == name] == [name]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # the killed process could not clean up; the next start (here: the reaper it runs) does
    assert name in reap_leaked_containers()
    leaked = [c.name for c in _ours() if c.name == name]
    assert leaked == []
    # a live owner's container is never reaped
    with DockerEnvironment(image) as env:
        assert env.name not in reap_leaked_containers()
        assert env.container.status in ("created", "running")


def test_failed_start_leaves_no_container(docker_daemon):
    # an image with no files: the container is created, then `sleep` cannot be started
    tag = "agentmt-test-empty:latest"
    tar = subprocess.run(["tar", "-cf", "-", "--files-from", "/dev/null"], capture_output=True, check=True).stdout
    subprocess.run(["docker", "import", "-", tag], input=tar, capture_output=True, check=True)
    try:
        with pytest.raises(InfrastructureError, match="could not start a container"):
            DockerEnvironment(tag, name="agentmt-test-unstartable")
        assert not [c for c in _ours() if c.name == "agentmt-test-unstartable"]
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
