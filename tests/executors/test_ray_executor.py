"""The Ray executor on a local cluster: the same stages give the same bytes as in-process runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmt import io

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def prs(tmp_path_factory) -> Path:
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    root = tmp_path_factory.mktemp("ray")
    info = build_demo(root / "demo")
    mine_git(info.repo_path, root / "prs", "shard_size=4", "progress=false", "filters.profile=gen",
             metadata_dir=info.metadata_dir)
    return root / "prs"


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))} | \
           {p.name: p.read_bytes() for p in sorted(out.glob("*.jsonl"))}


@pytest.mark.timeout(300)
def test_ray_tasks_stage_gives_the_bytes_of_a_local_run(cluster, prs, tmp_path):
    from agentmt.environments.stages import tasks_from_prs
    from agentmt.executors import make_executor

    tasks_from_prs(prs, tmp_path / "tasks-local")
    m = tasks_from_prs(prs, tmp_path / "tasks-ray", executor=make_executor("ray", jobs=2))
    assert m.counts["prs_in"] > 0 and _files(tmp_path / "tasks-local") == _files(tmp_path / "tasks-ray")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ray_render_gives_the_bytes_of_a_local_run(cluster, prs, tmp_path, embedded_checkpoint):
    from agentmt.corpus.render import render_ctx
    from agentmt.executors import make_executor
    from agentmt.executors.ray import RayExecutor

    on_ray = make_executor("ray", jobs=2)
    assert isinstance(on_ray, RayExecutor)
    # curation on: its three passes run on Ray too (a fixed salt: each output folder makes its own)
    specs = ("progress=false", "curation.pseudonym_salt=ray-test")
    local = render_ctx(prs, tmp_path / "ctx-local", "gen", *specs, no_llm=True)
    remote = render_ctx(prs, tmp_path / "ctx-ray", "gen", *specs, no_llm=True, executor=on_ray)
    assert len(local.shards) > 1 and remote.counts == local.counts
    assert _files(tmp_path / "ctx-local") == _files(tmp_path / "ctx-ray")
    # what ran on Ray left its markers: a local rerun reuses every shard
    again = render_ctx(prs, tmp_path / "ctx-ray", "gen", *specs, no_llm=True)
    assert again.counts == local.counts


def test_unit_errors_come_back_as_themselves(cluster, tmp_path):
    from agentmt.errors import InputError
    from agentmt.executors.ray import RayExecutor

    with pytest.raises(InputError, match="does not exist") as info:
        list(RayExecutor(jobs=1).map(io.shard_files, [(tmp_path / "missing",)]))
    assert "Traceback" not in str(info.value)  # one line, not Ray's wrapped traceback


def test_a_worker_keeps_its_own_nodes_docker_host(cluster):
    import os

    from agentmt.executors.ray import RayExecutor
    from agentmt.rollouts.records import node_info

    # the driver's runtime handed over as env must not reach the unit: its node's own (here the default) does
    env = {"DOCKER_HOST": "unix:///driver/docker.sock", "AGENTMT_PROBE": "1"}
    [(_, info)] = list(RayExecutor(jobs=1).map(node_info, [()], env=env))
    assert info["docker_host"] == os.environ.get("DOCKER_HOST", "") != env["DOCKER_HOST"]
    assert info["ray_node_id"] == ray.get_runtime_context().get_node_id()
