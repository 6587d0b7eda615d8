"""`mine github --executor ray --ray-address ADDR` mines on the Ray cluster at ADDR, not on a local one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from github_server import demo_server, make_demo

from agentmt import io
from agentmt.executors import make_executor
from agentmt.models.server import find_free_port
from agentmt.sources.github.clock import SystemClock
from agentmt.types import PullRequest

pytest.importorskip("ray")


def _ray_head(port: int, tmp: Path) -> subprocess.Popen:
    """A one-node Ray cluster in its own process group (`--block`: stopping it stops the cluster); Ray
    2.60's token authentication is off, as for a local test cluster (ENVIRONMENT.md)."""
    ray = Path(sys.executable).with_name("ray")
    return subprocess.Popen([str(ray), "start", "--head", f"--port={port}", "--num-cpus=2", "--block",
                             "--include-dashboard=false", f"--temp-dir={tmp}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env=dict(os.environ, RAY_AUTH_MODE="disabled"))


def _jobs(port: int) -> list:
    """The jobs (drivers) the cluster has seen, this one included."""
    import ray
    from ray._private import state  # no public listing without the dashboard

    ray.init(address=f"127.0.0.1:{port}", log_to_driver=False)
    try:
        return list(state.jobs())
    finally:
        ray.shutdown()


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_mining_runs_on_the_cluster_the_address_names(tmp_path, monkeypatch):
    from agentmt.sources.github.mine import mine_github

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    port = find_free_port()
    ray_tmp = Path("/tmp") / f"agentmt-ray-{port}"  # Ray's socket paths must stay short
    head = _ray_head(port, ray_tmp)
    try:
        demo = make_demo(tmp_path / "demo")
        gh, name = demo_server(SystemClock(), demo)
        specs = (f"api_url={gh.url}", f"clone_dir={tmp_path / 'clones'}", "filters.profile=gen")
        deadline = time.monotonic() + 120
        while True:  # the head is up once a driver can connect
            try:
                _jobs(port)
                break
            except (ConnectionError, RuntimeError):
                assert time.monotonic() < deadline, "the Ray head did not start"
                time.sleep(2)
        with gh:
            local = mine_github([name], tmp_path / "local", *specs, tokens=["good-token"])
            on_cluster = mine_github([name], tmp_path / "ray", *specs, tokens=["good-token"], executor=make_executor("ray", jobs=1, address=f"127.0.0.1:{port}"))
        # the cluster saw this test's probe, the mining driver and the count below: three jobs
        assert len(_jobs(port)) == 3 and on_cluster.extra["repos"] == {name: "mined"}
        assert on_cluster.counts == local.counts
        recs = {p.id: p.to_dict() for p in io.read_records(tmp_path / "ray", PullRequest)}
        assert recs and recs == {p.id: p.to_dict() for p in io.read_records(tmp_path / "local", PullRequest)}
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(ray_tmp, ignore_errors=True)
