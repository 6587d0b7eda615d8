"""`agentmt rollout TASKS --out DIR`: k graded rollouts per validated task, one Trajectory record each.

A stage of the runner (agentmt.runner): one unit per (task, attempt), which writes its own
trajectory shard `OUT/<instance>__<attempt>.parquet` (atomic) and whose marker holds only the
trajectory's id and outcome, so a rerun (after `kill -9` too) reuses finished shards as they are; an
infrastructure failure is recorded as `environment_error` and left unmarked (`retry`), so the next
run retries it. The manifest is counted from the shards' outcome columns, a batch at a time: the
driver never holds the trajectories, so its memory stays flat as their number grows (a rerun also
removes shards of attempts it no longer asks for). Units run on threads by default (`containers` at
once: rollouts wait on Docker and the model server, not the CPU), or on Ray. Gold replays (`source: replay`) come from
`--model gold`, or join model rollouts in one output only with `include_replays=true`.
The fingerprint leaves out what does not change a rollout (k, concurrency, executor), so a rerun
with a larger k adds attempts instead of refusing the folder.
"""

from __future__ import annotations

import sys
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
from agentmt.types import TaskInstance

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
    """Runner unit: roll out one (task, attempt) into its own shard `unit.name`; the marker gets its outcome."""
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
        # stderr with the other progress lines: the command's stdout is its result line
        print(f"rollout {traj.id}: {traj.exit_status} resolved={traj.resolved}", file=sys.stderr, flush=True)
    # an infrastructure failure (no container, or grading that could not run) is the daemon's, not
    # the rollout's: no marker, the next run retries it
    infra = traj.exit_status in (ENVIRONMENT_ERROR, *cfg.retry_statuses) or (cfg.grade and traj.resolved is None)
    # written even when retried, so this run's manifest counts it; the retry overwrites it
    write_trajectories(ctx.out_dir / unit.name, [traj])
    return {"id": traj.id, "exit_status": traj.exit_status, "resolved": traj.resolved, "retry": infra}


def shard_of(item: WorkItem) -> str:
    """The trajectory shard (and unit name) of one (task, attempt)."""
    return f"{item.marker}.parquet"


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
    units = [Unit(shard_of(it), {"task": it.task.to_dict(), "run_index": it.run_index, "replay": it.replay})
             for it in items]
    full = cfg.model_dump()
    spec = StageSpec(name="rollout", out_dir=out_dir, inputs=[tasks_dir], units=units, process=process_rollout,
                     config={k: v for k, v in full.items() if k not in UNFINGERPRINTED},
                     shared={"rollout": full, "agent": agent_config.model_dump(), "progress": progress},
                     setup=lambda: serve_embedded(cfg, in_process))
    run = run_stage(spec, executor=executor, force=force)
    shards = [u.name for u in units if (out_dir / u.name).is_file()]
    _remove_foreign_shards(out_dir, set(shards))
    manifest = make_manifest(spec, run, shards=shards)
    manifest.config = full
    manifest.counts.update(tasks=len(tasks), items=len(items), items_reused=run.reused)
    count_trajectories(manifest, [out_dir / s for s in shards])
    manifest.write(out_dir)
    return manifest


def _remove_foreign_shards(out_dir: Path, keep: set[str]) -> None:
    """Drop shards of attempts this run does not ask for (a smaller k, or the single shard older
    agentmt wrote), so a reader globbing the folder sees exactly this run's trajectories."""
    for path in out_dir.glob("*.parquet"):
        if path.name not in keep:
            path.unlink()


OUTCOME_COLUMNS = ["exit_status", "resolved", "source", "model"]


def count_trajectories(manifest: io.Manifest, shards: list[Path]) -> None:
    """Counts, exit statuses, sources, models and resolve rate of `shards`, read a batch of
    outcome columns at a time (never the messages)."""
    import pyarrow.parquet as pq

    c, status, source, models = manifest.counts, Counter(), Counter(), set()
    c.update(trajectories=0, resolved=0, ungraded=0)
    for path in shards:  # one file at a time: a pyarrow dataset over thousands read ahead (+115 MB at 1,000)
        for batch in pq.ParquetFile(path).iter_batches(columns=OUTCOME_COLUMNS):
            cols = batch.to_pydict()
            c["trajectories"] += batch.num_rows
            c["resolved"] += sum(r is True for r in cols["resolved"])
            c["ungraded"] += sum(r is None for r in cols["resolved"])
            status.update(cols["exit_status"])
            source.update(cols["source"])
            models.update(cols["model"])
    manifest.extra.update(exit_status=dict(status), source=dict(source), models=sorted(models))
    graded = c["trajectories"] - c["ungraded"]
    manifest.extra["resolve_rate"] = round(c["resolved"] / graded, 4) if graded else None
