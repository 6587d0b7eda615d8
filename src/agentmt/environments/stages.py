"""Stage functions behind `agentmt tasks from-prs`, `agentmt env build` and `agentmt env validate`.

Each reads records, writes one task shard (`tasks.parquet`, typed TaskInstance columns) plus
`tasks.jsonl` (SWE-bench format) and `manifest.json` with counts and drop reasons. They run on the
stage runner (agentmt.runner): one unit per input PR shard (tasks) or per task (build, validate),
whose result is kept in its completion marker, so a rerun skips what is done (tasks dropped for an
infrastructure error excepted: those are retried) and a changed config or input is refused unless
--force. Units run apart: `-j N` local processes or Ray.
"""

from __future__ import annotations

from pathlib import Path

from agentmt.environments.config import EnvConfig, load_env_config
from agentmt.environments.grading import INFRA_ERROR
from agentmt.environments.tasks import (
    make_task,
    read_tasks,
    task_drop_reason,
    write_tasks_jsonl,
    write_tasks_parquet,
)
from agentmt.errors import InfrastructureError, InputError, RecordDropped
from agentmt.io import Manifest
from agentmt.runner import StageSpec, Unit, make_manifest, run_stage
from agentmt.types import PullRequest, TaskInstance

FAILED_SHARD = "failed/tasks.jsonl"


def _write(tasks: list[TaskInstance], out_dir: Path, manifest: Manifest) -> Manifest:
    write_tasks_parquet(tasks, out_dir / "tasks.parquet")
    write_tasks_jsonl(tasks, out_dir / "tasks.jsonl")
    manifest.shards = ["tasks.parquet"]
    manifest.counts["tasks_out"] = len(tasks)
    manifest.write(out_dir)
    return manifest


def _tasks_unit(unit: Unit, ctx) -> dict:
    """One PR shard → its task candidates, kept in the unit's marker (the stage writes one shard)."""
    from collections import Counter

    from agentmt.environments.tasks import mined_repo
    from agentmt.io import read_records

    counts, drops, tasks = Counter(), Counter(), []
    repo = mined_repo(Path(unit.items).parent)  # patches by `git diff` in the mined clone when it is there
    for pr in read_records(unit.items, PullRequest):
        counts["prs_in"] += 1
        reason = task_drop_reason(pr, repo)
        if reason:
            drops[reason] += 1
            continue
        tasks.append(make_task(pr, repo).to_dict())
    return {"counts": dict(counts), "drops": dict(drops), "tasks": tasks, "outputs": []}


def tasks_from_prs(prs_dir: str | Path, out_dir: str | Path, executor=None, force: bool = False,
                   limit: int | None = None) -> Manifest:
    """PR shards → task candidates (code/test patch split, problem statement); drops counted by reason.
    `limit` keeps the first N candidates in PR order (a small run); the rest count as `over_limit`."""
    from agentmt.io import shard_files

    if limit is not None and limit < 1:
        raise InputError(f"task limit {limit}: give a positive number of tasks to keep")
    shards = shard_files(prs_dir)
    spec = StageSpec(name="tasks.from_prs", out_dir=Path(out_dir), config={"limit": limit} if limit else {},
                     inputs=[prs_dir], units=[Unit(f"prs-{p.name}", str(p)) for p in shards], process=_tasks_unit)
    run = run_stage(spec, executor=executor, force=force)
    tasks = [TaskInstance.from_dict(t) for info in run.infos for t in info["tasks"]]
    manifest = make_manifest(spec, run)
    if limit and len(tasks) > limit:
        manifest.drop("over_limit", len(tasks) - limit)
        tasks = tasks[:limit]
    return _write(tasks, Path(out_dir), manifest)


def _repo_path(task: TaskInstance, cfg: EnvConfig, repo: str | Path | None) -> Path:
    path = repo or cfg.repos.get(task.repo)
    if not path or not (Path(path) / ".git").exists() and not (Path(path) / "HEAD").exists():
        raise InputError(f"no local clone for {task.repo}: pass --repo PATH or -c repos.{task.repo}=PATH")
    return Path(path)


_LOCKS: dict[str, list[str]] = {}  # env tag → lock read from its image, per worker process


def _build_unit(unit: Unit, ctx) -> dict:
    """Build one task's images; the built (or dropped) task is kept in the unit's marker."""
    from agentmt.environments.buildtask import build_task

    task, cfg = TaskInstance.from_dict(unit.items["task"]), EnvConfig.model_validate(ctx.shared["cfg"])
    try:
        build_task(task, cfg, Path(unit.items["repo"]), log_dir=ctx.out_dir / "logs", locks=_LOCKS)
    except RecordDropped as e:
        # the environment's failure, recorded with its log; the task is not built
        return {"task": task.to_dict(), "dropped": e.reason, "outputs": []}
    if cfg.registry:  # pushed from the daemon that built it; a failed push is retried by the next run
        from agentmt.environments.registry import record_push

        record_push(task, cfg.registry)
    return {"task": task.to_dict(), "outputs": []}


def _task_units(tasks: list[TaskInstance], extra=lambda t: {}) -> list[Unit]:
    return [Unit(t.instance_id, {"task": t.to_dict(), **extra(t)}) for t in tasks]


def _fold(run, manifest: Manifest) -> tuple[list[TaskInstance], list[TaskInstance]]:
    """(kept, dropped) tasks from the units' infos, drops counted overall and per repository."""
    kept, failed = [], []
    for info in run.infos:
        task = TaskInstance.from_dict(info["task"])
        manifest.counts["tasks_in"] += 1
        if info.get("dropped"):
            _count_drop(manifest, task, info["dropped"])
            failed.append(task)
        else:
            kept.append(task)
    return kept, failed


def build_envs(tasks_path: str | Path, out_dir: str | Path, *specs: str,
               repo: str | Path | None = None, executor=None, force: bool = False) -> Manifest:
    """Infer each task's install recipe (as of its pin date), build base → env → instance images,
    record digests and the resolved lock; dropped tasks go to `failed/tasks.jsonl` with what happened."""
    from agentmt.environments.images import prune_images

    cfg = load_env_config(*specs)
    out_dir = Path(out_dir)
    tasks = list(read_tasks(tasks_path))
    repos = {t.instance_id: str(_repo_path(t, cfg, repo)) for t in tasks}  # a missing clone fails up front
    spec = StageSpec(name="env.build", out_dir=out_dir, config=cfg.model_dump(), inputs=[tasks_path],
                     units=_task_units(tasks, lambda t: {"repo": repos[t.instance_id]}), process=_build_unit,
                     shared={"cfg": cfg.model_dump()})
    run = run_stage(spec, executor=executor, force=force)
    manifest = make_manifest(spec, run, shards=[])
    built, failed = _fold(run, manifest)
    for task in built + failed:  # recipes lost these requirements: say how many, built or not
        if refused := (task.install or {}).get("refused_direct_urls"):
            manifest.counts["tasks_with_refused_direct_urls"] += 1
            manifest.counts["refused_direct_urls"] += len(refused)
    manifest.extra["build_seconds"] = {t.instance_id: t.validation.get("build_seconds", 0.0) for t in built}
    manifest.extra["pruned"] = prune_images(cfg.max_task_images, cfg.max_env_images, cfg.prune_keep_recent_s)
    write_tasks_jsonl(failed, out_dir / FAILED_SHARD)  # kept apart from the shards; `agentmt env explain`
    return _write(built, out_dir, manifest)


def _count_drop(manifest: Manifest, task: TaskInstance, reason: str) -> None:
    """Count a drop overall and per repository (`extra.drops_by_repo`)."""
    manifest.drop(reason)
    by_repo = manifest.extra.setdefault("drops_by_repo", {}).setdefault(task.repo, {})
    by_repo[reason] = by_repo.get(reason, 0) + 1


def _validate_unit(unit: Unit, ctx) -> dict:
    """Validate one built task; an infrastructure failure is returned unmarked (retried next run)."""
    from agentmt.environments.images import touch_image
    from agentmt.environments.registry import IMAGE_UNAVAILABLE, ImageUnavailable, ensure_image
    from agentmt.environments.validate import validate_task

    task, cfg = TaskInstance.from_dict(unit.items["task"]), EnvConfig.model_validate(ctx.shared["cfg"])
    try:
        image = ensure_image(task)
    except InfrastructureError as e:  # not as built (a rebuild must decide), or no daemon/registry (retried)
        from agentmt.environments.buildtask import record_drop

        reason = IMAGE_UNAVAILABLE if isinstance(e, ImageUnavailable) else INFRA_ERROR
        record_drop(task, "validate", reason, str(e))
        return {"task": task.to_dict(), "dropped": reason, "detail": str(e), "outputs": [],
                "retry": reason == INFRA_ERROR}
    touch_image(image)
    try:
        task = validate_task(task, image, runs=cfg.runs, timeout_s=cfg.test_timeout_s, runtime=cfg.runtime,
                             replace_lists=cfg.replace_lists)
    except RecordDropped as e:
        if cfg.setup_agent.enabled and e.reason in cfg.setup_agent.triggers:  # an agent tries to make tests run
            from agentmt.environments.setup_agent import rescue_unit

            return rescue_unit(TaskInstance.from_dict(unit.items["task"]), task, e, cfg)
        # validate_task recorded both phases on the task before raising; the daemon's failure is not
        # the task's: no marker, so the next run retries it
        return {"task": task.to_dict(), "dropped": e.reason, "detail": e.detail, "outputs": [],
                "retry": e.reason == INFRA_ERROR}
    return {"task": task.to_dict(), "outputs": []}


def validate_envs(tasks_path: str | Path, out_dir: str | Path, *specs: str, executor=None,
                  force: bool = False) -> Manifest:
    """Validate built tasks (F2P/P2P, flake rates); writes the validated ones, drops counted by reason."""
    cfg = load_env_config(*specs)
    out_dir = Path(out_dir)
    tasks = list(read_tasks(tasks_path))
    for task in tasks:  # fail up front, before any container runs
        if not task.validation.get("image", {}).get("tag"):
            raise InputError(f"{task.instance_id} has no image: run `agentmt env build` on these tasks first")
    if cfg.setup_agent.enabled:
        from agentmt.environments.setup_agent import check_setup_agent, count_setup_agent

        check_setup_agent(cfg)
    spec = StageSpec(name="env.validate", out_dir=out_dir, config=cfg.model_dump(), inputs=[tasks_path],
                     units=_task_units(tasks), process=_validate_unit, shared={"cfg": cfg.model_dump()})
    run = run_stage(spec, executor=executor, force=force)
    manifest = make_manifest(spec, run, shards=[])
    valid, failed = _fold(run, manifest)
    if cfg.setup_agent.enabled:
        count_setup_agent(run.infos, manifest)
    flakes = {t.instance_id: t.validation.get("flake_rates", {}) for t in valid}
    manifest.extra["flake_rates"] = flakes
    manifest.extra["agreement"] = {t.instance_id: t.validation["agreement"]["label"]
                                   for t in valid if "agreement" in t.validation}
    write_tasks_jsonl(failed, out_dir / FAILED_SHARD)
    return _write(valid, out_dir, manifest)
