"""A stage that leaves units for the next run (infrastructure failures: no marker) is not done: the
next `agentmt run` runs it again, where it had skipped it as unchanged and its "rerun to retry them"
could never happen (an eval whose task images had been pruned kept its two environment errors)."""

from __future__ import annotations

import json

import pytest

from agentmt.environments.tasks import write_tasks_jsonl
from agentmt.pipeline import run_pipeline
from agentmt.types import TaskInstance

PIPELINE = """
name: retry
stages:
  - name: replays
    kind: rollout
    inputs: {tasks: ./tasks.jsonl}
    options: {model: gold}
"""


@pytest.mark.docker
@pytest.mark.timeout(300)
def test_a_stage_with_units_left_to_retry_runs_again(tmp_path, docker_daemon):
    task = TaskInstance("o__r-1", "o/r", "0" * 40, "diff --git a/x b/x\n", "", "", FAIL_TO_PASS=["test_x.py::t"],
                        validation={"status": "validated", "image": {"tag": "agentmt-task:gone-retry-test"}})
    write_tasks_jsonl([task], tmp_path / "tasks.jsonl")
    (tmp_path / "p.yaml").write_text(PIPELINE)
    run = tmp_path / "run"

    (first,) = run_pipeline(tmp_path / "p.yaml", run, echo=lambda *_: None)
    assert first.status == "ran" and "1 unit(s) left for the next run" in first.summary, first.summary
    marker = json.loads((run / ".pipeline" / "replays.json").read_text())
    assert marker["state"] == "retry"
    manifest = json.loads((run / "replays" / "manifest.json").read_text())
    assert manifest["extra"]["units_to_retry"] == 1

    (again,) = run_pipeline(tmp_path / "p.yaml", run, echo=lambda *_: None)
    assert again.status == "ran", again.summary  # not "skipped": the environment error is tried again
