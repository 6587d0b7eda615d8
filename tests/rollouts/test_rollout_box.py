"""The task container is a box: a scripted agent sees only the capabilities its task asks for,
no-new-privileges, and a read-only root where it may write only /testbed and /tmp."""

from __future__ import annotations

import copy
import json
import re

import pytest

from agentmt.rollouts.records import read_trajectories

pytestmark = pytest.mark.docker

PROBE = ("grep -E 'CapEff|NoNewPrivs' /proc/self/status; "
         "touch /etc/agentmt-escape && echo ESCAPED-ETC; touch /usr/agentmt-escape && echo ESCAPED-USR; "
         "touch /testbed/inside && touch /tmp/inside && echo WROTE-INSIDE; "
         "python3 -c 'import os; os.setuid(1)' 2>&1 | tail -1")


def test_a_scripted_agent_sees_its_box(demo_tasks, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.rollouts.stage import run_rollouts

    task = copy.deepcopy(demo_tasks[0])  # the session's tasks stay as they are for other tests
    task.install["runtime_caps"] = ["CHOWN"]  # the record asks for one capability
    tasks = tmp_path / "task.jsonl"
    write_tasks_jsonl([task], tasks)
    script = tmp_path / "probe.json"
    script.write_text(json.dumps([{"bash": PROBE}, {"submit": True}]))
    run_rollouts(tasks, tmp_path / "out", f"model=scripted:{script}", "k=1", "grade=false",
                 "runtime.read_only_root=true")
    (traj,) = read_trajectories(tmp_path / "out")
    seen = next(m.content for m in traj.messages if m.role == "tool" and "CapEff" in m.content)
    # CHOWN is capability bit 0: the effective set is exactly what the task asked for
    assert re.search(r"CapEff:\s+0000000000000001\b", seen), seen
    assert re.search(r"NoNewPrivs:\s+1\b", seen), seen
    assert "Read-only file system" in seen and "ESCAPED" not in seen, seen
    assert "WROTE-INSIDE" in seen, seen
    assert "PermissionError" in seen, seen  # no CAP_SETUID: root cannot even become another user
    assert traj.exit_status == "submitted"
