"""`mine github --executor ray`: one task per repository, the same records as the local executor."""

from __future__ import annotations

import pytest
from github_server import DemoRepo, demo_server, make_demo

from agentmt import io
from agentmt.executors import make_executor
from agentmt.sources.github.clock import SystemClock
from agentmt.sources.github.mine import mine_github
from agentmt.types import PullRequest

pytest.importorskip("ray")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ray_executor_gives_the_local_records(tmp_path):
    demo = make_demo(tmp_path / "demo")
    gh, name = demo_server(SystemClock(), demo)
    gh.add_repo(DemoRepo(demo / "metadata", demo / "repo", full_name="agentmt-demo/textkit-fork"))
    names = [name, "agentmt-demo/textkit-fork", "nobody/nothing"]
    with gh:
        specs = (f"api_url={gh.url}", f"clone_dir={tmp_path / 'clones'}", "filters.profile=gen")
        local = mine_github(names, tmp_path / "local", *specs, tokens=["good-token"])
        ray_m = mine_github(names, tmp_path / "ray", *specs, tokens=["good-token"], executor=make_executor("ray", jobs=2))
    assert ray_m.extra["repos"] == local.extra["repos"] == {
        name: "mined", "agentmt-demo/textkit-fork": "mined", "nobody/nothing": "repo_not_found"}
    assert ray_m.counts == local.counts and ray_m.extra["api_requests"] == local.extra["api_requests"]
    recs = {p.id: p.to_dict() for p in io.read_records(tmp_path / "ray", PullRequest)}
    assert recs == {p.id: p.to_dict() for p in io.read_records(tmp_path / "local", PullRequest)}
    assert len(recs) == 44
