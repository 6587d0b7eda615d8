"""`agentmt rollout TASKS --out DIR`: k graded rollouts per validated task, one Trajectory record each.

A stage of the runner (agentmt.runner): one unit per (task, attempt), whose marker holds its
Trajectory, so a rerun (after `kill -9` too) skips finished rollouts and rewrites the same shard;
an infrastructure failure is recorded as `environment_error` and left unmarked (`retry`), so the
next run retries it. Units run on threads by default (`containers` at once: rollouts wait on Docker
and the model server, not the CPU), or on Ray. Gold replays (`source: replay`) come from
`--model gold`, or join model rollouts in one output only with `include_replays=true`.
The fingerprint leaves out what does not change a rollout (k, concurrency, executor), so a rerun
with a larger k adds attempts instead of refusing the folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.errors import InputError
from agentmt.executors.local import ThreadExecutor
from agentmt.rollouts.config import RolloutConfig, load_rollout_config
from agentmt.rollouts.items import WorkItem, make_work_items
from agentmt.rollouts.records import write_trajectories
from agentmt.rollouts.run import ENVIRONMENT_ERROR, run_item
from agentmt.types import TaskInstance, Trajectory

SHARD = io.shard_name(0)
UNFINGERPRINTED = ("k", "containers", "model_slots", "executor", "retry_statuses")


def read_validated_tasks(tasks_dir: str | Path) -> list[TaskInstance]:
    """Tasks of an `env validate` output that carry an image and FAIL_TO_PASS tests."""
    from agentmt.environments.tasks import read_tasks

    tasks = list(read_tasks(tasks_dir))
    bad = [t.instance_id for t in tasks if not t.validation.get("image", {}).get("tag") or not t.FAIL_TO_PASS]
    if bad:
        raise InputError(f"{len(bad)} task(s) in {tasks_dir} are not validated (e.g. {bad[0]}): "
                         "pass the output folder of `agentmt env validate`")
    return tasks


def process_rollout(unit, ctx) -> dict[str, Any]:
    """Runner unit: roll out one (task, attempt); the Trajectory goes into the unit's marker."""
    from agentmt.agents import AgentConfig
    from agentmt.rollouts.models import build_model

    cfg = RolloutConfig.model_validate(ctx.shared["rollout"])
    agent_config = AgentConfig.model_validate(ctx.shared["agent"])
    item = WorkItem(TaskInstance.from_dict(unit.items["task"]), unit.items["run_index"], unit.items["replay"])
    model = build_model(item, cfg, ctx.shared)
    try:
        traj = run_item(item, model, agent_config, cfg)
    finally:
        model.close()
    if ctx.shared.get("progress"):
        print(f"rollout {traj.id}: {traj.exit_status} resolved={traj.resolved}", flush=True)
    # an infrastructure failure (no container, or grading that could not run) is the daemon's, not
    # the rollout's: no marker, the next run retries it
    infra = traj.exit_status in (ENVIRONMENT_ERROR, *cfg.retry_statuses) or (cfg.grade and traj.resolved is None)
    return {"trajectory": traj.to_dict(), "outputs": [], "retry": infra}


def _items(tasks: list[TaskInstance], cfg: RolloutConfig) -> list[WorkItem]:
    if cfg.model == "gold":
        return make_work_items(tasks, 1, replay=True)
    items = make_work_items(tasks, cfg.k, replay=False)
    return items + make_work_items(tasks, 1, replay=True) if cfg.include_replays else items


def run_rollouts(tasks_dir: str | Path, out_dir: str | Path, *specs: str, progress: bool = False,
                 executor=None, force: bool = False, config: RolloutConfig | None = None) -> io.Manifest:
    """Roll out every pending (task, attempt) of TASKS into OUT; returns the stage manifest.
    `config`: an already resolved RolloutConfig (eval's rollout part) instead of `specs`."""
    from agentmt.agents import AgentConfig, load_agent_config
    from agentmt.rollouts.models import serve_embedded
    from agentmt.runner import StageSpec, Unit, make_manifest, run_stage

    cfg = config if config is not None else load_rollout_config(*specs)
    out_dir = Path(out_dir)
    # "auto": each model's own action format (the embedded one has no tool template: XML text)
    agent_config = AgentConfig.model_validate({**load_agent_config().model_dump(), "action_format": "auto",
                                               **cfg.agent})
    tasks = read_validated_tasks(tasks_dir)
    items = _items(tasks, cfg)
    from agentmt.executors import InProcessExecutor, make_executor

    if executor is None:
        executor = ThreadExecutor(cfg.containers) if cfg.executor == "local" else \
            make_executor(cfg.executor, jobs=cfg.containers)
    # threads share the server's tokenizer and the model-slot semaphore; other executors pickle `shared`
    in_process = isinstance(executor, (ThreadExecutor, InProcessExecutor))
    units = [Unit(it.marker, {"task": it.task.to_dict(), "run_index": it.run_index, "replay": it.replay})
             for it in items]
    full = cfg.model_dump()
    spec = StageSpec(name="rollout", out_dir=out_dir, inputs=[tasks_dir], units=units, process=process_rollout,
                     config={k: v for k, v in full.items() if k not in UNFINGERPRINTED},
                     shared={"rollout": full, "agent": agent_config.model_dump(), "progress": progress},
                     setup=lambda: serve_embedded(cfg, in_process))
    run = run_stage(spec, executor=executor, force=force)
    trajs = [Trajectory.from_dict(info["trajectory"]) for info in run.infos if "trajectory" in info]
    write_trajectories(out_dir / SHARD, trajs)
    manifest = make_manifest(spec, run, shards=[SHARD])
    manifest.config = full
    manifest.counts.update(tasks=len(tasks), items=len(items), items_reused=run.reused)
    _count(manifest, trajs)
    manifest.write(out_dir)
    return manifest


def _count(manifest: io.Manifest, trajs: list[Trajectory]) -> None:
    c = manifest.counts
    c["trajectories"] = len(trajs)
    c["resolved"] = sum(t.resolved is True for t in trajs)
    c["ungraded"] = sum(t.resolved is None for t in trajs)
    manifest.extra["exit_status"] = dict(Counter(t.exit_status for t in trajs))
    manifest.extra["source"] = dict(Counter(t.source for t in trajs))
    manifest.extra["models"] = sorted({t.model for t in trajs})
    graded = [t for t in trajs if t.resolved is not None]
    manifest.extra["resolve_rate"] = round(c["resolved"] / len(graded), 4) if graded else None
