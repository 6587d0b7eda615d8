"""Stage functions behind `agentmt tasks from-prs`, `agentmt env build` and `agentmt env validate`.

Each reads records, writes one task shard (`tasks.parquet`, SWE-bench columns + full record) plus
`tasks.jsonl` (SWE-bench format) and `manifest.json` with counts and drop reasons. Per-task
results are kept under completion markers, so a rerun skips tasks already done (tasks dropped for
an infrastructure error excepted: those are retried).
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
from agentmt.errors import InputError, RecordDropped
from agentmt.io import Manifest, done_info, is_done, mark_done
from agentmt.types import PullRequest, TaskInstance


def _write(tasks: list[TaskInstance], out_dir: Path, manifest: Manifest) -> Manifest:
    write_tasks_parquet(tasks, out_dir / "tasks.parquet")
    write_tasks_jsonl(tasks, out_dir / "tasks.jsonl")
    manifest.shards = ["tasks.parquet"]
    manifest.counts["tasks_out"] = len(tasks)
    manifest.write(out_dir)
    return manifest


def tasks_from_prs(prs_dir: str | Path, out_dir: str | Path) -> Manifest:
    """PR shards → task candidates (code/test patch split, problem statement); drops counted by reason."""
    from agentmt.io import read_records

    out_dir = Path(out_dir)
    manifest = Manifest(stage="tasks.from_prs", inputs=[str(prs_dir)])
    tasks = []
    for pr in read_records(prs_dir, PullRequest):
        manifest.counts["prs_in"] += 1
        reason = task_drop_reason(pr)
        if reason:
            manifest.drop(reason)
            continue
        tasks.append(make_task(pr))
    return _write(tasks, out_dir, manifest)


def _repo_path(task: TaskInstance, cfg: EnvConfig, repo: str | Path | None) -> Path:
    path = repo or cfg.repos.get(task.repo)
    if not path or not (Path(path) / ".git").exists() and not (Path(path) / "HEAD").exists():
        raise InputError(f"no local clone for {task.repo}: pass --repo PATH or -c repos.{task.repo}=PATH")
    return Path(path)


def build_envs(tasks_path: str | Path, out_dir: str | Path, *specs: str,
               repo: str | Path | None = None) -> Manifest:
    """Infer each task's install recipe, build base → env → instance images, record digests."""
    from agentmt.environments.base import ensure_base_image
    from agentmt.environments.images import ImageBuildError, build_task_image, prune_images
    from agentmt.environments.recipe import make_recipe, read_recipe_files

    cfg = load_env_config(*specs)
    out_dir = Path(out_dir)
    manifest = Manifest(stage="env.build", config=cfg.model_dump(), inputs=[str(tasks_path)])
    built, failed, seconds = [], [], {}
    for task in read_tasks(tasks_path):
        manifest.counts["tasks_in"] += 1
        path = _repo_path(task, cfg, repo)
        if not task.install:
            files = read_recipe_files(path, task.environment_setup_commit or task.base_commit)
            task.install = make_recipe(files, cfg.default_python)
        base = ensure_base_image(task.install.get("base_release", cfg.base_release), try_pull=cfg.try_pull)
        try:
            img = build_task_image(task, path, base, log_dir=out_dir / "logs")
        except ImageBuildError as e:
            # an install failure is the environment's, recorded with its log; the task is not built
            task.validation.update(outcome="install_error", error=str(e), log=e.log[-4000:])
            manifest.drop("install_error")
            failed.append(task)
            continue
        task.validation["image"] = {"tag": img.tag, "id": img.image_id, "env_tag": img.env_tag,
                                    "env_id": img.env_id, "base": base}
        seconds[task.instance_id] = round(img.seconds, 2)
        built.append(task)
    manifest.extra["build_seconds"] = seconds
    manifest.extra["pruned"] = prune_images(cfg.max_task_images, cfg.max_env_images)
    write_tasks_jsonl(failed, out_dir / "failed" / "install_errors.jsonl")  # kept apart from the shards
    return _write(built, out_dir, manifest)


def validate_envs(tasks_path: str | Path, out_dir: str | Path, *specs: str) -> Manifest:
    """Validate built tasks (F2P/P2P, flake rates); writes the validated ones, drops counted by reason."""
    from agentmt.environments.images import touch_image
    from agentmt.environments.validate import validate_task

    cfg = load_env_config(*specs)
    out_dir = Path(out_dir)
    manifest = Manifest(stage="env.validate", config=cfg.model_dump(), inputs=[str(tasks_path)])
    valid, flakes = [], {}
    for task in read_tasks(tasks_path):
        manifest.counts["tasks_in"] += 1
        marker = task.instance_id.replace("/", "__")
        if is_done(out_dir, marker):  # resumable: reuse the recorded result
            info = done_info(out_dir, marker)
            if info.get("dropped"):
                manifest.drop(info["dropped"])
                continue
            task = TaskInstance.from_dict(info["task"])
        else:
            image = task.validation.get("image", {}).get("tag")
            if not image:
                raise InputError(f"{task.instance_id} has no image: run `agentmt env build` on these tasks first")
            touch_image(image)
            try:
                task = validate_task(task, image, runs=cfg.runs, timeout_s=cfg.test_timeout_s, runtime=cfg.runtime)
            except RecordDropped as e:
                manifest.drop(e.reason)
                if e.reason != INFRA_ERROR:  # the daemon's failure, not the task's: the next run retries it
                    mark_done(out_dir, marker, {"dropped": e.reason, "detail": e.detail})
                continue
            mark_done(out_dir, marker, {"task": task.to_dict()})
        flakes[task.instance_id] = task.validation.get("flake_rates", {})
        valid.append(task)
    manifest.extra["flake_rates"] = flakes
    return _write(valid, out_dir, manifest)
