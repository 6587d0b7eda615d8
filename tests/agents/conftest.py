"""The demo's bug-fix tasks, built and validated once per session (real images, real containers)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def demo_tasks(docker_daemon, tmp_path_factory):
    """Validated demo tasks (one validation run each: these tests exercise the agent, not flakiness).

    AGENTMT_TEST_DEMO_TASKS=PATH reuses a validated tasks file of an earlier build (saves minutes locally).
    """
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo

    if os.environ.get("AGENTMT_TEST_DEMO_TASKS"):
        return list(read_tasks(os.environ["AGENTMT_TEST_DEMO_TASKS"]))

    root = tmp_path_factory.mktemp("agent-demo")
    bugfix = build_demo(root / "demo").bugfix_prs
    info = build_demo_tasks(root, "runs=1", only_prs=bugfix)
    tasks = list(read_tasks(info["tasks"]))
    assert len(tasks) == len(bugfix), info["drops"]
    return tasks


@pytest.fixture(scope="session")
def task(demo_tasks):
    """The truncate() task: textkit/strings.py, tests in tests/test_strings.py."""
    return next(t for t in demo_tasks if "strings.py" in t.patch)


@pytest.fixture
def env(task):
    from agentmt.environments.runtime import DockerEnvironment, RuntimeConfig

    with DockerEnvironment(task.validation["image"]["tag"], RuntimeConfig(memory="512m", timeout_s=120)) as e:
        yield e
