"""The demo's bug-fix tasks, built and validated once per session (images are reused across sessions)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_tasks(docker_daemon, tmp_path_factory):
    """(validated tasks folder, list of TaskInstance) for the demo's bug-fix PRs."""
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo

    root = tmp_path_factory.mktemp("rollout-tasks")
    bugfix = build_demo(root / "demo").bugfix_prs
    result = build_demo_tasks(root, "runs=1", only_prs=bugfix)
    assert result["validated"] == len(bugfix), result["drops"]
    return result["tasks"], list(read_tasks(result["tasks"]))


@pytest.fixture
def two_tasks(demo_tasks, tmp_path):
    """A tasks file holding the first two validated demo tasks."""
    from agentmt.environments.tasks import write_tasks_jsonl

    path = tmp_path / "two.jsonl"
    write_tasks_jsonl(demo_tasks[1][:2], path)
    return path
