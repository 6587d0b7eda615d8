"""Rollouts past one node: throughput on a 1- and a 2-node Ray cluster, and what a node pays to get images.

Node A runs on this machine's Docker daemon; node B on a second, empty dockerd (its own socket and data
root), which gets each task image by pulling the digest pushed to a local registry (`ensure_image`). One
CPU per Ray node, so jobs = nodes. Work: the demo's validated tasks, each twice under distinct ids, as gold
replays through the agent loop plus grading (the container-bound part of a rollout, no model time).
Both nodes share this machine's cores with everything else running on it: the 2-node figure is a floor.

    python benchmarks/bench_nodes.py [VALIDATED_TASKS]   (default: builds the demo's tasks)
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

COPIES = 2
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _tasks(work: Path, given: str | None):
    from agentmt.environments.tasks import read_tasks

    if given:
        return list(read_tasks(given))
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.sources.demo import build_demo

    bugfix = build_demo(work / "demo").bugfix_prs
    return list(read_tasks(build_demo_tasks(work, "runs=1", only_prs=bugfix[:4])["tasks"]))


def layer_sizes(ref: str) -> dict[str, int]:
    """{blob digest: compressed bytes} of the layers and config of `host:port/repo@sha256:...`."""
    host, rest = ref.split("/", 1)
    repo, digest = rest.split("@")
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{digest}", headers={"Accept": MANIFEST_V2})
    manifest = json.load(urllib.request.urlopen(req, timeout=30))
    blobs = [manifest["config"], *manifest["layers"]]
    return {b["digest"]: b["size"] for b in blobs}


def push_and_cold_pull(tasks: list, registry: str, node: str) -> tuple[list[float], list[float], list[int]]:
    """Push each task image to `registry` (recording its digest), then get each on the empty daemon
    `node` through `ensure_image`, as a unit there does first. (push seconds, pull seconds, unique blob
    bytes in the registry after each push)."""
    from agentmt.environments import dockerapi
    from agentmt.environments.registry import ensure_image, record_push

    push_s, pull_s, stored, blobs = [], [], [], {}
    for task in tasks:
        start = time.monotonic()
        record_push(task, f"{registry}/agentmt")
        push_s.append(time.monotonic() - start)
        blobs.update(layer_sizes(task.validation["image"]["ref"]))
        stored.append(sum(blobs.values()))
    os.environ["DOCKER_HOST"] = node  # ensure_image talks to the daemon DOCKER_HOST names
    try:
        for task in tasks:
            assert not dockerapi.image_exists(task.validation["image"]["tag"])
            start = time.monotonic()
            ensure_image(task)
            pull_s.append(time.monotonic() - start)
    finally:
        del os.environ["DOCKER_HOST"]
    return push_s, pull_s, stored


def _copy(task, suffix: str):
    c = copy.deepcopy(task)
    c.instance_id = f"{task.instance_id}-{suffix}"
    return c


def _rollouts(tasks_file: Path, out: Path, address: str, jobs: int) -> float:
    from agentmt.executors.ray import RayExecutor
    from agentmt.rollouts.stage import run_rollouts

    start = time.monotonic()
    m = run_rollouts(tasks_file, out, "model=gold", executor=RayExecutor(address, jobs=jobs))
    seconds = time.monotonic() - start
    assert m.counts["resolved"] == m.counts["items"], m.extra
    return seconds


def _measure(work: Path, tasks: list) -> dict:
    """Pushes, node B's cold pulls, and the rollout seconds on 1 and 2 nodes."""
    import localnodes

    from agentmt.environments.tasks import write_tasks_jsonl

    figures: dict = {}
    with localnodes.registry() as registry, localnodes.second_dockerd() as node_b:
        # node B's cold pulls run in this process with node B's DOCKER_HOST
        push_s, pull_s, stored = push_and_cold_pull(tasks, registry, node_b)
        figures["push_s"] = [round(s, 1) for s in push_s]
        figures["registry_bytes"] = stored[-1]
        figures["pull_s"] = [round(s, 1) for s in pull_s]

        items = [_copy(t, f"copy{i}") for i in range(COPIES) for t in tasks]
        write_tasks_jsonl(items, work / "items.jsonl")
        figures["items"] = len(items)
        for nodes in (["", node_b][:1], ["", node_b]):
            # one unit per node first: each node's Ray worker imports agentmt once, outside the timing
            write_tasks_jsonl([_copy(t, "warm") for t in tasks[:len(nodes)]], work / "warm.jsonl")
            with localnodes.ray_cluster(nodes) as address:
                _rollouts(work / "warm.jsonl", work / f"warm-{len(nodes)}", address, len(nodes))
                figures[f"seconds_{len(nodes)}_nodes"] = round(
                    _rollouts(work / "items.jsonl", work / f"out-{len(nodes)}", address, len(nodes)), 1)
    return figures


def main(work: Path, given: str | None = None) -> dict:
    import localnodes

    from agentmt.environments import dockerapi

    tasks = _tasks(work, given)
    figures: dict = {"tasks": len(tasks)}
    tags = localnodes.own_tags(tasks, "bench-nodes")
    try:
        figures.update(_measure(work, tasks))
    finally:
        for tag in tags:
            dockerapi.remove(tag)
    n = figures["items"]
    t1, t2 = figures["seconds_1_nodes"], figures["seconds_2_nodes"]
    print(f"{figures['tasks']} demo task images pushed: {figures['push_s']} s each; registry holds "
          f"{figures['registry_bytes'] / 1e6:.0f} MB of unique blobs ({figures['registry_bytes'] / 1e6 / len(tasks):.0f} "
          f"MB/task at this sharing)")
    print(f"node B's cold pulls by digest: {figures['pull_s']} s (the first brings the shared base layers)")
    print(f"{n} gold replays + grading: 1 node {t1:.1f} s ({n / t1 * 60:.1f} tasks/min), "
          f"2 nodes {t2:.1f} s ({n / t2 * 60:.1f} tasks/min), speedup {t1 / t2:.2f}x")
    return figures


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(main(Path(tmp), sys.argv[1] if len(sys.argv) > 1 else None)))
