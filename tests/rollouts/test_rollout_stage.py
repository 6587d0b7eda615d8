"""`agentmt rollout` on real demo task containers: gold replays, scripted rollouts, grading, resume, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmt import io
from agentmt.rollouts.records import read_trajectories

pytestmark = pytest.mark.docker


def test_gold_replays_resolve_every_validated_demo_task(demo_task_set, tmp_path):
    from agentmt.agents.gold import tests_action
    from agentmt.agents.gold_plan import file_changes
    from agentmt.rollouts.stage import run_rollouts

    folder, tasks = demo_task_set
    m = run_rollouts(folder, tmp_path / "gold", "model=gold", "containers=2")
    trajs = list(read_trajectories(tmp_path / "gold"))
    assert len(trajs) == len(tasks) == m.counts["resolved"] >= 6  # 100% of the validated tasks
    by_id = {t.instance_id: t for t in tasks}
    for t in trajs:
        task = by_id[t.instance_id]
        assert t.id == f"{t.instance_id}/replay" and t.source == "replay" and t.model == "gold"
        assert t.exit_status == "submitted" and t.resolved is True
        assert all(t.tests_status[name] == "PASSED" for name in task.FAIL_TO_PASS)
        assert t.report["outcome"] == "resolved" and t.image_digest == task.validation["image"]["id"]
        assert t.install == task.install and t.timings["grading_s"] > 0
        assert [m.role for m in t.messages][-2:] == ["assistant", "tool"]
        # it works as an agent would: reads the files it changes, one str_replace per hunk, creates
        # new files, runs the existing tests the test patch touches
        assert t.report["replay_mode"] == "edits" and t.report["replay_patch_files"] == {}
        calls = [(c.function.name, json.loads(c.function.arguments)) for m in t.messages for c in m.tool_calls]
        commands = [a.get("command") for name, a in calls if name == "str_replace_editor"]
        sections = [s for _, s, _ in file_changes(task.patch)]
        added = [s for s in sections if "\nnew file mode " in s]
        assert commands.count("create") == len(added)
        assert commands.count("str_replace") == sum(s.count("\n@@ ") for s in sections if s not in added)
        assert commands.count("view") == len(sections) - len(added)
        assert not any("agentmt_gold.patch" in json.dumps(a) for _, a in calls)
        observations = [m.content for m in t.messages if m.role == "tool"]
        if len(added) < len(sections):
            assert observations[0].startswith("Here's the result of running `cat -n` on /testbed/")
        if tests_action(task, "/testbed") is not None:
            assert [name for name, _ in calls][-2:] == ["bash", "submit"] and "PASSED" in observations[-2]
    assert m.extra["exit_status"] == {"submitted": len(tasks)}


def _script(path: Path, actions: list) -> str:
    path.write_text(json.dumps(actions))
    return f"scripted:{path}"


def test_scripted_rollouts_are_graded_and_carry_provenance(two_tasks, tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    # the agent cheats: it rewrites every test file to pass, then submits; grading restores the tests
    model = _script(tmp_path / "cheat.json", [
        {"bash": "cd /testbed && for f in tests/test_*.py; do printf 'def test_ok():\\n    pass\\n' > $f; done"},
        {"submit": True},
    ])
    m = run_rollouts(two_tasks, tmp_path / "out", f"model={model}", "k=2", "seed=10")
    trajs = list(read_trajectories(tmp_path / "out"))
    assert sorted(t.run_index for t in trajs) == [0, 0, 1, 1] and m.counts["trajectories"] == 4
    for t in trajs:
        assert t.source == "rollout" and t.exit_status == "submitted"
        assert t.submission == "", "test-file edits are excluded from the submission"
        assert t.resolved is False and t.report["patch_is_None"] is True
        assert t.seed is None or t.seed == 10 + t.run_index
        assert t.config["rollout"]["k"] == 2 and t.config["agent"]["step_limit"] >= 1
        assert t.agentmt_version and t.timings["wall_s"] > 0 and len(t.steps) == 2


def test_an_agent_that_breaks_the_container_still_gets_a_verdict(two_tasks, tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    model = _script(tmp_path / "rm.json", [{"bash": "rm -rf /testbed/* /testbed/.git"}, {"submit": True}])
    run_rollouts(two_tasks, tmp_path / "out", f"model={model}", "k=1")
    trajs = list(read_trajectories(tmp_path / "out"))
    assert len(trajs) == 2
    assert all(t.resolved is False and t.exit_status in ("submitted", "environment_error") for t in trajs)


def test_missing_image_is_an_environment_error_retried_by_the_next_run(demo_task_set, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.rollouts.stage import run_rollouts
    from agentmt.types import TaskInstance

    _, tasks = demo_task_set
    # a copy: the session fixture's tasks are shared with the later tests of this module
    good, bad = tasks[0], TaskInstance.from_dict(tasks[1].to_dict())
    bad.validation = {**bad.validation, "image": {**bad.validation["image"], "tag": "agentmt-task:does-not-exist"}}
    write_tasks_jsonl([good, bad], tmp_path / "tasks.jsonl")
    m = run_rollouts(tmp_path / "tasks.jsonl", tmp_path / "out", "model=gold")
    assert m.extra["exit_status"] == {"submitted": 1, "environment_error": 1}
    broken = [t for t in read_trajectories(tmp_path / "out") if t.exit_status == "environment_error"]
    assert broken[0].resolved is None and "does-not-exist" in broken[0].report["error"]
    again = run_rollouts(tmp_path / "tasks.jsonl", tmp_path / "out", "model=gold")
    assert again.counts["items_reused"] == 1 and again.counts["trajectories"] == 2


def test_replays_join_model_rollouts_only_when_asked(two_tasks, tmp_path):
    from agentmt.errors import StageConflictError
    from agentmt.rollouts.stage import run_rollouts

    model = _script(tmp_path / "s.json", [{"submit": True}])
    m = run_rollouts(two_tasks, tmp_path / "out", f"model={model}", "k=1")
    assert m.extra["source"] == {"rollout": 2}
    with pytest.raises(StageConflictError, match="--force"):  # a gold run is another stage config
        run_rollouts(two_tasks, tmp_path / "out", "model=gold")
    mixed = run_rollouts(two_tasks, tmp_path / "mixed", f"model={model}", "k=1", "include_replays=true")
    assert mixed.extra["source"] == {"replay": 2, "rollout": 2}
    assert {t.model for t in read_trajectories(tmp_path / "mixed") if t.source == "replay"} == {"gold"}


def test_a_larger_k_adds_attempts_to_the_same_folder(two_tasks, tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    model = _script(tmp_path / "s.json", [{"submit": True}])
    first = run_rollouts(two_tasks, tmp_path / "out", f"model={model}", "k=1")
    assert first.extra["exit_status"] == {"submitted": 2}, [t.report for t in read_trajectories(tmp_path / "out")]
    m = run_rollouts(two_tasks, tmp_path / "out", f"model={model}", "k=2", "containers=1")
    assert m.counts["items_reused"] == 2 and m.counts["trajectories"] == 4


def _markers(out: Path) -> list[Path]:
    """Finished units' markers (a kill may also leave a torn `.NAME.tmp` beside them)."""
    return [p for p in (out / io.DONE_DIR).glob("*") if not p.name.startswith(".")]


def _leftover_containers(pid: int) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=agentmt.pid={pid}"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


@pytest.mark.timeout(600)
def test_resume_after_kill_9_loses_nothing_and_duplicates_nothing(demo_task_set, tmp_path):
    from agentmt.rollouts.stage import run_rollouts

    folder, tasks = demo_task_set
    out = tmp_path / "out"
    model = _script(tmp_path / "slow.json", [{"bash": "sleep 2"}, {"submit": True}])
    cmd = [sys.executable, "-m", "agentmt.cli.main", "rollout", str(folder), "--out", str(out),
           "--model", model, "-k", "2", "-c", "containers=2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(_markers(out)) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(_markers(out))
    assert 2 <= done_before < 2 * len(tasks), "the kill must land mid-stage"
    m = run_rollouts(folder, out, f"model={model}", "k=2", "containers=2")
    trajs = list(read_trajectories(out))
    assert m.counts["items_reused"] >= done_before
    assert sorted(t.id for t in trajs) == sorted(f"{t.instance_id}/{i}" for t in tasks for i in range(2))
    assert not _leftover_containers(proc.pid), "the killed run's containers are reaped"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_rollouts_on_ray_match_the_local_records(two_tasks, tmp_path):
    pytest.importorskip("ray")
    from agentmt.rollouts.stage import run_rollouts

    local = run_rollouts(two_tasks, tmp_path / "local", "model=gold")
    on_ray = run_rollouts(two_tasks, tmp_path / "ray", "model=gold", "executor=ray", "containers=2")
    assert on_ray.counts["resolved"] == local.counts["resolved"] == 2
    strip = lambda t: (t.id, t.submission, t.resolved, t.tests_status)  # noqa: E731 (timings differ)
    assert [strip(t) for t in read_trajectories(tmp_path / "ray")] == \
        [strip(t) for t in read_trajectories(tmp_path / "local")]
