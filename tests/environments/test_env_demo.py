"""End to end on the demo: its bug-fix PRs become validated tasks whose F2P lists match the demo's."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker


def test_demo_bugfix_prs_become_validated_tasks(tmp_path, docker_daemon):
    from agentmt.environments.demo import build_demo_tasks
    from agentmt.environments.runtime import DockerEnvironment
    from agentmt.environments.tasks import read_tasks
    from agentmt.sources.demo import build_demo

    bugfix = build_demo(tmp_path / "demo").bugfix_prs
    result = build_demo_tasks(tmp_path, "runs=2", only_prs=bugfix)
    assert result["validated"] == len(bugfix) >= 6 and not result["drops"]
    tasks = {int(t.instance_id.rsplit("-", 1)[1]): t for t in read_tasks(result["tasks"])}
    for number, expected in result["expected_fail_to_pass"].items():
        assert sorted(tasks[number].FAIL_TO_PASS) == sorted(expected)
        assert tasks[number].PASS_TO_PASS, "the demo's other tests pass on both sides"
        assert result["flake_rates"][tasks[number].instance_id] == {}
    # no future history on the demo: the fix commit of a bug-fix task is not readable in /testbed
    task = tasks[bugfix[0]]
    with DockerEnvironment(task.validation["image"]["tag"]) as env:
        out, rc = env.execute(f"git cat-file -t {task.validation['head_commit']}")
        assert rc != 0
        assert env.execute("git for-each-ref --format='%(refname)'")[0].split() == ["refs/heads/main"]
