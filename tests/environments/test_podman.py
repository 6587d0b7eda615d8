"""A rollout through Podman's Docker-compatible socket: DOCKER_HOST is the whole runtime choice.

Podman runs rootful here with its own storage in a temp folder (nothing touches the machine's
podman or Docker state). Skips only when podman is not installed (`apt-get install podman`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.skipif(shutil.which("podman") is None,
                                                     reason="podman is not installed (apt-get install podman)")]

# Podman's default limits raise nofile/nproc to the kernel's maximum, which a container init may only do
# with CAP_SYS_RESOURCE; sandboxed hosts (this CI VM) lack it and every start failed with "error setting
# rlimit type 7: operation not permitted". Limits below the host's hard limit need no capability.
CONTAINERS_CONF = '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n'


@pytest.fixture
def podman_socket():
    """DOCKER_HOST of a podman service on a fresh storage root; stopped and its storage removed after."""
    root = Path(tempfile.mkdtemp(prefix="agentmt-pod-", dir="/tmp"))  # short: a unix socket path has 107 bytes
    (root / "containers.conf").write_text(CONTAINERS_CONF)
    podman = ["podman", "--root", str(root / "storage"), "--runroot", str(root / "run")]
    env = {**os.environ, "CONTAINERS_CONF": str(root / "containers.conf")}
    url = f"unix://{root}/podman.sock"
    service = subprocess.Popen([*podman, "system", "service", "--time=0", url], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (root / "podman.sock").exists():
            assert service.poll() is None and time.monotonic() < deadline, "podman system service did not start"
            time.sleep(0.2)
        yield url, podman, env
    finally:
        service.terminate()
        service.wait(timeout=30)
        subprocess.run([*podman, "system", "reset", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.timeout(600)
def test_a_gold_rollout_through_podmans_socket(demo_tasks, podman_socket, tmp_path, monkeypatch):
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.rollouts.records import read_trajectories
    from agentmt.rollouts.stage import run_rollouts

    url, podman, env = podman_socket
    task = demo_tasks[0]
    tag = task.validation["image"]["tag"]
    # the image moves into podman's storage as a tarball (`podman pull --tls-verify=false` from a registry
    # works the same): the Docker daemon that built it is not used again
    save = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
    subprocess.run([*podman, "load"], stdin=save.stdout, env=env, check=True, capture_output=True, timeout=300)
    assert save.wait(timeout=60) == 0
    # a name only podman's storage holds: a resolved rollout cannot have run on the Docker daemon
    only_here = f"localhost/agentmt-podman-only:{tmp_path.name}"
    subprocess.run([*podman, "tag", tag, only_here], env=env, check=True, capture_output=True)
    task = type(task).from_dict(task.to_dict())
    task.validation["image"]["tag"] = only_here
    write_tasks_jsonl([task], tmp_path / "one.jsonl")

    monkeypatch.setenv("DOCKER_HOST", url)
    manifest = run_rollouts(tmp_path / "one.jsonl", tmp_path / "out", "model=gold")
    [traj] = list(read_trajectories(tmp_path / "out"))
    assert manifest.counts["resolved"] == 1 and traj.resolved is True and traj.exit_status == "submitted"
    assert traj.node["docker_host"] == url
    # the rollout's and the grading's containers were removed from podman too
    ps = subprocess.run([*podman, "ps", "-a", "--format", "{{.Names}}"], env=env, capture_output=True, text=True)
    assert ps.returncode == 0 and ps.stdout.strip() == ""
