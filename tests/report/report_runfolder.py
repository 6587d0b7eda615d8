"""Run folders for the report tests, written with agentmt's own writers (io.Manifest, write_records),
so they have exactly the layout the stages write."""

from __future__ import annotations

import json
from pathlib import Path

from agentmt import io
from agentmt.types import FunctionCall, Message, ToolCall, Trajectory

HOSTILE = "<script>window.__pwned = 1; console.error('xss')</script>"


def make_trajectory(tid: str, iid: str, run_index: int, num_steps: int, resolved: bool | None = True,
                    observation: str = "ok") -> Trajectory:
    """A trajectory of `num_steps` tool calls; step 2's observation is `observation`, step 3's is long."""
    msgs = [Message(role="system", content="You are an agent."), Message(role="user", content="Fix the bug.")]
    for i in range(1, num_steps + 1):
        call = ToolCall(id=f"c{i}", function=FunctionCall(name="bash", arguments=json.dumps({"command": f"echo {i}"})))
        msgs.append(Message(role="assistant", content=f"thinking {i}", tool_calls=[call]))
        obs = observation if i == 2 else ("line\n" * 400 if i == 3 else f"out {i}")
        msgs.append(Message(role="tool", content=obs, tool_call_id=f"c{i}"))
    return Trajectory(id=tid, instance_id=iid, run_index=run_index, model="m", messages=msgs,
                      exit_status="submitted" if resolved is not None else "limits_exceeded",
                      submission="diff --git a/x.py b/x.py\n-old <b>\n+new </pre>\n", resolved=resolved,
                      tests_status={"tests/test_x.py::test_a": "PASSED", "tests/test_x.py::test_b": "FAILED"},
                      report={"resolved": bool(resolved)}, num_tokens=1234)


def _stage(folder: Path, stage: str, counts=None, drops=None, extra=None) -> Path:
    m = io.Manifest(stage=stage, extra=extra or {})
    m.counts.update(counts or {})
    m.drops.update(drops or {})
    m.write(folder)
    return folder


def _rollouts(folder: Path, trajs: list[Trajectory]) -> None:
    io.write_records(folder / io.shard_name(0), trajs, Trajectory)
    statuses: dict[str, int] = {}
    for t in trajs:
        statuses[t.exit_status] = statuses.get(t.exit_status, 0) + 1
    _stage(folder, "rollout", {"trajectories": len(trajs), "resolved": sum(bool(t.resolved) for t in trajs)},
           extra={"exit_status": statuses})


def _eval(folder: Path, model: str, resolved: dict[str, bool]) -> None:
    trajs = [make_trajectory(f"{iid}/0", iid, 0, 4, ok, HOSTILE) for iid, ok in resolved.items()]
    _rollouts(folder / "runs", trajs)
    rate = sum(resolved.values()) / len(resolved)
    io.write_json(folder / "report.json", {
        "model_name_or_path": model, "pass@1": rate, "k": 1, "pass@1_": rate, "num_runs": 1,
        "num_tasks": len(resolved), "spread": {"min": rate, "max": rate, "std": 0.0},
        "model_failures": len(resolved) - sum(resolved.values()), "infra_failures": 0})
    lines = [json.dumps({"instance_id": iid, "runs": [{"run_index": 0, "resolved": ok, "exit_status": "submitted",
                                                       "trajectory_id": f"{iid}/0"}]}) for iid, ok in resolved.items()]
    (folder / "results.jsonl").write_text("\n".join(lines) + "\n")
    _stage(folder, "eval", {"tasks": len(resolved), "resolved": sum(resolved.values())}, extra={"pass@1": rate})


def write_validated_tasks(folder: Path) -> None:
    """An env validate output's task records: t1 passed 3 of 3 gold runs, t2 2 of 3 (SWE-rebench rows);
    t3, mined, passed 3 of 3; t4 was dropped at validation (0 of 3)."""
    from agentmt.environments.tasks import write_tasks_jsonl
    from agentmt.types import TaskInstance

    def task(iid, dataset, passed, **v):
        return TaskInstance(iid, "o/r", "c", "", "", "", install={"source": "swe_rebench" if dataset else "inferred"},
                            validation={**({"dataset": dataset} if dataset else {}),
                                        "gold_runs": {"passed": passed, "of": 3}, **v})

    write_tasks_jsonl([task("t1", "swe-rebench", 3, status="validated"), task("t2", "swe-rebench", 2),
                       task("t3", None, 3)], folder / "tasks.jsonl")
    write_tasks_jsonl([task("t4", "swe-rebench", 0, drop={"stage": "validate", "reason": "gold_not_resolved"})],
                      folder / "failed" / "tasks.jsonl")


def make_full_run(root: Path) -> Path:
    """Every kind of stage output the report reads: D_ctx, D_env, environments, rollouts, training, eval."""
    _stage(root / "prs-py", "mine_git", {"prs_kept": 18}, {"bot_author": 1, "too_many_python_files": 2})
    _stage(root / "ctx-py", "ctx_render", {"kept": 16}, {"binary_file": 1}, {"format": "py", "tokens": {"py": 12868}})
    _stage(root / "ctx-gen", "ctx_render", {"kept": 21}, {}, {"format": "gen", "tokens": {"gen": 21249}})
    _stage(root / "envs", "env.build", {"tasks_in": 4, "tasks_out": 3}, {"install_failed": 1})
    _stage(root / "tasks-valid", "env.validate", {"tasks_in": 3, "tasks_out": 2}, {"no_fail_to_pass": 1},
           {"flake_rates": {"t1": {"tests/test_x.py::test_flaky": 0.4}, "t2": {}}})
    write_validated_tasks(root / "tasks-valid")
    _rollouts(root / "rollouts", [make_trajectory("t1/0", "t1", 0, 100, True, HOSTILE),
                                  make_trajectory("t1/1", "t1", 1, 5, False),
                                  make_trajectory("t2/0", "t2", 0, 7, None)])
    _stage(root / "d-env", "envdata.render", {"tokens_pass": 2294, "tokens_fail": 2052})
    # the counts each training stage's data step writes: packed documents' tokens for MT, samples' for SFT
    for name, stage, losses, counts in [
            ("mt/stage1_ctx_gen", "train_mt:stage1_ctx_gen", [3.1, 2.9, 2.7], {"doc_tokens": 8761, "pad_tokens": 7}),
            ("mt/stage2_ctx_py_env", "train_mt:stage2_ctx_py_env", [2.6, 2.4], {"doc_tokens": 81384}),
            ("sft", "train_sft", [2.0, 1.7, 1.5, 1.4], {"tokens": 4096, "assistant_tokens": 900})]:
        folder = root / name
        _stage(folder, stage, {"optimizer_steps": len(losses), **counts})
        (folder / "loss.jsonl").write_text("".join(json.dumps({"step": i + 1, "loss": v}) + "\n"
                                                   for i, v in enumerate(losses)) + '{"step": 9, "lo')  # torn line
    _eval(root / "eval-base", "embedded", {"t3": False, "t4": False})
    _eval(root / "eval-sft", "sft/final", {"t3": True, "t4": False})
    io.write_json(root / "timings.json", {"pipeline": "demo", "total_seconds": 42.5, "stages": [
        {"stage": "prs-py", "kind": "mine_git", "status": "ran", "seconds": 1.5, "seconds_when_run": 1.5,
         "summary": "kept 18 of 23 PRs"},
        {"stage": "envs", "kind": "env_build", "status": "failed", "seconds": 41.0, "seconds_when_run": 41.0,
         "summary": "InfrastructureError: <no daemon>"},
        # unchanged since an earlier run: 0 s this run, the earlier run's time kept
        {"stage": "ctx-py", "kind": "ctx_render", "status": "skipped", "seconds": 0.0, "seconds_when_run": 1368.2,
         "summary": "unchanged"},
        {"stage": "eval-base", "kind": "eval", "status": "skipped", "seconds": 0.0, "seconds_when_run": 75.3,
         "summary": "unchanged"}]})
    for name, state in [("prs-py", "done"), ("envs", "started"), ("ctx-py", "done"), ("eval-base", "done"),
                        ("report", "started")]:  # `agentmt run`'s markers: the report stage is running
        io.write_json(root / ".pipeline" / f"{name}.json", {"state": state})
    return root
