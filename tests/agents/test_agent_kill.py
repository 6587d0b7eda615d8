"""No task container outlives an agent run, even when the process running it is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import docker
import pytest

from agentmt.environments.runtime import LABEL, reap_leaked_containers

pytestmark = pytest.mark.docker

CHILD = """
import json, sys
from agentmt.agents import load_agent_config, run_agent
from agentmt.environments.runtime import DockerEnvironment
from agentmt.agents.scripted import ScriptedModel
from agentmt.types import TaskInstance

task = TaskInstance.from_dict(json.loads(sys.argv[1]))
env = DockerEnvironment(task.validation["image"]["tag"])
print(env.name, flush=True)
run_agent(task, env, ScriptedModel([{"bash": "sleep 600"}]), load_agent_config())
"""


def _ours(name: str) -> list[str]:
    return [c.name for c in docker.from_env().containers.list(all=True, filters={"label": LABEL}) if c.name == name]


@pytest.mark.timeout(180)
def test_kill_9_mid_command_leaves_no_container(task):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(task.to_dict())], stdout=subprocess.PIPE,
                            text=True, env={**os.environ})
    try:
        name = proc.stdout.readline().strip()
        assert name.startswith("agentmt-") and _ours(name) == [name]
        container = docker.from_env().containers.get(name)
        # wait (bounded by the test timeout) until the agent's command runs inside the container
        while not any("sleep 600" in " ".join(p) for p in container.top()["Processes"]):
            assert proc.poll() is None, "the agent process ended early"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert name in reap_leaked_containers()  # what the next DockerEnvironment does first
    assert _ours(name) == []
