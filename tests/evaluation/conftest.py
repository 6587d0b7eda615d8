"""The demo's bug-fix tasks, built and validated once per session (real images, real containers)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def demo_tasks(docker_daemon, tmp_path_factory):
    """Validated demo tasks; AGENTMT_TEST_DEMO_TASKS=PATH reuses a validated tasks file of an earlier build."""
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo

    if os.environ.get("AGENTMT_TEST_DEMO_TASKS"):
        return list(read_tasks(os.environ["AGENTMT_TEST_DEMO_TASKS"]))
    root = tmp_path_factory.mktemp("eval-demo")
    bugfix = build_demo(root / "demo").bugfix_prs
    info = build_demo_tasks(root, "runs=1", only_prs=bugfix)
    tasks = list(read_tasks(info["tasks"]))
    assert len(tasks) == len(bugfix), info["drops"]
    return tasks


@pytest.fixture
def two_tasks(demo_tasks, tmp_path):
    """A tasks file of two validated demo tasks."""
    from agentmt.environments.tasks import write_tasks_jsonl

    path = tmp_path / "two.jsonl"
    write_tasks_jsonl(demo_tasks[:2], path)
    return path
