"""A rollout against an endpoint given as http://user:KEY@host/v1, with keys in -c sampling.api_key,
-c agent.model.api_key and AGENTMT_LLM_API_KEY: no key reaches D_env, the manifest, the markers,
AGENTMT_HOME or the console."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from fake_endpoint import FakeEndpoint, chat_answer

from agentmt.rollouts.records import read_trajectories

pytestmark = pytest.mark.docker


def test_no_key_reaches_a_trajectory_or_the_console(demo_tasks, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl

    keys = {k: f"sk-planted{k}{uuid.uuid4().hex}" for k in ("url", "sampling", "agent", "env")}
    tasks = tmp_path / "task.jsonl"
    write_tasks_jsonl(demo_tasks[:1], tasks)
    home, out = tmp_path / "home", tmp_path / "out"
    with FakeEndpoint([(200, chat_answer("I will look around first."))]) as fake:
        url = fake.base_url.replace("http://", f"http://user:{keys['url']}@")
        res = subprocess.run(
            [sys.executable, "-m", "agentmt.cli.main", "rollout", str(tasks), "--out", str(out), "--model", url,
             "-k", "1", "-c", "grade=false", "-c", "agent.step_limit=2", "-c", f"sampling.api_key={keys['sampling']}",
             "-c", f"agent.model.api_key={keys['agent']}"],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "AGENTMT_HOME": str(home), "AGENTMT_LLM_API_KEY": keys["env"]})
    assert res.returncode == 0, res.stderr
    assert fake.posts, "the agent asked the endpoint"
    (traj,) = read_trajectories(out)
    assert traj.config["rollout"]["sampling"]["api_key"] == "<redacted>"
    assert "<redacted>" in traj.server and traj.steps
    for name, key in keys.items():
        assert key not in res.stdout + res.stderr, name
        hits = [p for p in [*out.rglob("*"), *home.rglob("*")] if p.is_file() and key.encode() in p.read_bytes()]
        assert not hits, (name, hits)
