"""The demo's bug-fix tasks, built and validated once per session (images are reused across sessions)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_tasks(docker_daemon, tmp_path_factory):
    """(validated tasks folder, list of TaskInstance) for the demo's bug-fix PRs.

    Only the bug-fix PRs are turned into tasks (the PR shard is filtered first): rollouts need
    validated tasks, and the demo's other PRs (binary, non-UTF-8, docs-only) only cost time here.
    """
    from agentmt import io
    from agentmt.environments.stages import build_envs, tasks_from_prs, validate_envs
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git
    from agentmt.types import PullRequest

    root = tmp_path_factory.mktemp("rollout-tasks")
    info = build_demo(root / "demo")
    mine_git(info.repo_path, root / "prs-all", "progress=false", metadata_dir=info.metadata_dir)
    prs = [pr for pr in io.read_records(root / "prs-all", PullRequest) if pr.number in set(info.bugfix_prs)]
    io.write_records(root / "prs" / io.shard_name(0), prs, PullRequest)
    tasks_from_prs(root / "prs", root / "tasks")
    build_envs(root / "tasks", root / "built", repo=info.repo_path)
    m = validate_envs(root / "built", root / "validated", "runs=1")
    assert m.counts["tasks_out"] == len(info.bugfix_prs), dict(m.drops)
    return root / "validated", list(read_tasks(root / "validated"))


@pytest.fixture
def two_tasks(demo_tasks, tmp_path):
    """A tasks file holding the first two validated demo tasks."""
    from agentmt.environments.tasks import write_tasks_jsonl

    path = tmp_path / "two.jsonl"
    write_tasks_jsonl(demo_tasks[1][:2], path)
    return path
