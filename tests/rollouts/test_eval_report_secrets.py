"""`agentmt eval` against an endpoint given as http://user:KEY@host/v1, with keys in -c sampling.api_key,
-c agent.model.api_key and AGENTMT_LLM_API_KEY, then `agentmt report` over it: no key reaches a file under
the run folder (eval's outputs and the report's HTML), AGENTMT_HOME or either command's console."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from fake_endpoint import FakeEndpoint, chat_answer

pytestmark = pytest.mark.docker


@pytest.mark.timeout(600)
def test_no_key_reaches_an_eval_its_report_or_the_console(demo_tasks, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl

    keys = {k: f"sk-planted{k}{uuid.uuid4().hex}" for k in ("url", "sampling", "agent", "env")}
    tasks = tmp_path / "task.jsonl"
    write_tasks_jsonl(demo_tasks[:1], tasks)
    home, run = tmp_path / "home", tmp_path / "run"
    env = {**os.environ, "AGENTMT_HOME": str(home), "AGENTMT_LLM_API_KEY": keys["env"]}
    with FakeEndpoint([(200, chat_answer("I will look around first."))]) as fake:
        url = fake.base_url.replace("http://", f"http://user:{keys['url']}@")
        ev = subprocess.run(
            [sys.executable, "-m", "agentmt.cli.main", "eval", str(tasks), "--out", str(run / "eval"), "--model", url,
             "-c", "eval_demo", "-c", f"sampling.api_key={keys['sampling']}", "-c", f"agent.model.api_key={keys['agent']}"],
            capture_output=True, text=True, timeout=500, env=env)
    assert ev.returncode == 0, ev.stderr
    assert fake.posts, "the agent asked the endpoint"
    rep = subprocess.run([sys.executable, "-m", "agentmt.cli.main", "report", str(run), "--out", str(run / "report")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert rep.returncode == 0, rep.stderr
    pages = list((run / "report").rglob("*.html"))
    assert any(p.parent.name == "eval_runs" for p in pages)  # the report shows the eval's trajectory
    for name, key in keys.items():
        assert key not in ev.stdout + ev.stderr + rep.stdout + rep.stderr, name
        hits = [p for p in [*run.rglob("*"), *home.rglob("*")] if p.is_file() and key.encode() in p.read_bytes()]
        assert not hits, (name, hits)
