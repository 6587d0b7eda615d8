"""Two nodes on one machine: a Ray cluster whose second node has its own Docker daemon.

Node A is the machine's daemon (it built the demo's task images); node B is a second `dockerd` with its
own socket, data root, exec root and pidfile, which starts empty and gets each task image by pulling the
digest `env build` pushed to a local registry. The gold replays of the validated demo tasks run on both
nodes; the driver is killed mid-stage and rerun, and the result loses nothing, runs nothing twice and
equals a single-node run apart from timings and node names.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import localnodes  # tests/localnodes.py
import pytest

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.docker, pytest.mark.skipif(shutil.which("dockerd") is None or os.geteuid() != 0,
                                                     reason="a second Docker daemon needs dockerd and root")]

TEST_DURATION = re.compile(r"\bin \d+(?:\.\d+)?s\b")  # pytest's run time, in the graded observations


@pytest.fixture(scope="module")
def second_daemon(docker_daemon):
    """DOCKER_HOST of an empty second dockerd: node B's runtime."""
    with localnodes.second_dockerd() as url:
        yield url


@pytest.fixture(scope="module")
def cluster(second_daemon):
    """Address of a two-node Ray cluster, node A on the default daemon and node B on the second."""
    with localnodes.ray_cluster(["", second_daemon]) as address:
        yield address


@pytest.fixture(scope="module")
def pushed_tasks(demo_tasks, local_registry, tmp_path_factory) -> Path:
    """Three validated demo tasks with their images pushed to the registry (as `env build -c registry=...`)."""
    from agentmt.environments import dockerapi
    from agentmt.environments.registry import record_push
    from agentmt.environments.tasks import write_tasks_jsonl

    tasks = [type(t).from_dict(t.to_dict()) for t in demo_tasks[:3]]  # two in flight, and one to wait
    tags = localnodes.own_tags(tasks, "test-nodes")
    for task in tasks:
        record_push(task, f"{local_registry}/agentmt")
    path = tmp_path_factory.mktemp("two-nodes") / "tasks.jsonl"
    write_tasks_jsonl(tasks, path)
    yield path
    for tag in tags:
        dockerapi.remove(tag)


def _outcome(traj) -> dict:
    """A trajectory without what measures time or names the machine (timings, node, step times), nor the
    execution settings its config records that do not change a rollout (executor, containers: the CLI's)."""
    from agentmt.rollouts.stage import UNFINGERPRINTED

    d = traj.to_dict()
    for key in ("timings", "node", "steps"):
        d.pop(key)
    d["config"]["rollout"] = {k: v for k, v in d["config"]["rollout"].items() if k not in UNFINGERPRINTED}
    return json.loads(TEST_DURATION.sub("in Xs", json.dumps(d, sort_keys=True)))


def _images_on(url: str) -> set[str]:
    import docker

    return {tag for image in docker.DockerClient(base_url=url).images.list() for tag in image.tags}


@pytest.mark.timeout(900)
def test_rollouts_on_two_nodes_equal_one_node_after_a_killed_driver(cluster, second_daemon, pushed_tasks,
                                                                     tmp_path):
    from agentmt.rollouts.records import read_trajectories
    from agentmt.rollouts.stage import run_rollouts

    local = run_rollouts(pushed_tasks, tmp_path / "one-node", "model=gold")
    reference = {t.id: _outcome(t) for t in read_trajectories(tmp_path / "one-node")}
    assert local.counts["resolved"] == len(reference) == 3

    # two nodes, two units in flight; the driver is killed (-9) once the first unit's marker is written
    out = tmp_path / "two-nodes"
    cmd = [sys.executable, "-m", "agentmt.cli.main", "rollout", str(pushed_tasks), "--out", str(out),
           "--model", "gold", "--executor", "ray", "--ray-address", cluster, "-j", "2"]
    driver = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while not any((out / ".done").glob("*.parquet")) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.poll() is None, f"the driver ended before any unit finished: {driver.stderr.read()[-2000:]}"
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait(timeout=30)
    finished_before = {p.name for p in (out / ".done").glob("*.parquet")}
    assert 0 < len(finished_before) < len(reference)

    # the rerun: nothing lost, nothing twice, the single-node run's trajectories apart from timings and nodes
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{len(finished_before)} reused" in rerun.stdout
    trajs = list(read_trajectories(out))
    assert sorted(t.id for t in trajs) == sorted(reference)  # each once
    assert {t.id: _outcome(t) for t in trajs} == reference
    # every node ran a unit, each on its own daemon; node B pulled what it ran from the registry
    ran_on = {t.node["ray_node_id"]: t.node["docker_host"] for t in trajs}
    assert sorted(ran_on.values()) == ["", second_daemon]
    on_b = [t.instance_id for t in trajs if t.node["docker_host"] == second_daemon]
    tasks = {t["instance_id"]: t for t in map(json.loads, pushed_tasks.read_text().splitlines())}
    assert {tasks[i]["validation"]["image"]["tag"] for i in on_b} <= _images_on(second_daemon)
