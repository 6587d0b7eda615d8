"""`mine github` through the stage runner: one unit per repository on local worker processes gives the
records of an in-process run, reruns reuse every finished repository, and another config is refused."""

from __future__ import annotations

import pytest
from github_server import DemoRepo, demo_server, make_demo

from agentmt import io
from agentmt.errors import StageConflictError
from agentmt.executors import make_executor
from agentmt.sources.github.clock import SystemClock
from agentmt.sources.github.mine import mine_github
from agentmt.types import PullRequest


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_worker_processes_give_the_in_process_records_and_reruns_reuse(tmp_path):
    demo = make_demo(tmp_path / "demo")
    gh, name = demo_server(SystemClock(), demo)
    gh.add_repo(DemoRepo(demo / "metadata", demo / "repo", full_name="agentmt-demo/textkit-fork"))
    names = [name, "agentmt-demo/textkit-fork", "nobody/nothing"]
    specs = (f"api_url={gh.url}", f"clone_dir={tmp_path / 'clones'}", "filters.profile=gen")
    with gh:
        here = mine_github(names, tmp_path / "here", *specs, tokens=["good-token"])
        two = mine_github(names, tmp_path / "two", *specs, tokens=["good-token"], executor=make_executor("local", jobs=2))
        asked = len(gh.log)
        again = mine_github(names, tmp_path / "two", *specs, tokens=["good-token"], executor=make_executor("local", jobs=2))
        assert len(gh.log) == asked and again.extra["api_requests"] == 0  # every repository's unit was reused
        with pytest.raises(StageConflictError, match="--force"):
            mine_github(names, tmp_path / "two", *specs, "page_size=7", tokens=["good-token"])
    assert two.extra["repos"] == here.extra["repos"] == {
        name: "mined", "agentmt-demo/textkit-fork": "mined", "nobody/nothing": "repo_not_found"}
    assert two.counts == here.counts == again.counts and two.drops == here.drops
    assert two.extra["api_requests"] == here.extra["api_requests"] > 0
    assert two.shards == here.shards
    # the runner's unit markers: one per repository, the unavailable-free ones all finished
    assert io.read_json(tmp_path / "two" / ".stage.json")["stage"] == "mine_github"
    assert io.done_info(tmp_path / "two", "agentmt-demo__textkit-fork")["info"]["status"] == "mined"
    recs = {p.id: p.to_dict() for p in io.read_records(tmp_path / "two", PullRequest)}
    assert len(recs) == 44 and recs == {p.id: p.to_dict() for p in io.read_records(tmp_path / "here", PullRequest)}
