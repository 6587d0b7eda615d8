"""CLI: Executable environments: Docker images and F2P/P2P validation."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.cli import runopts

app = typer.Typer(help="Executable environments: Docker images and F2P/P2P validation.", no_args_is_help=True)

ConfigOpt = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name or key=value (EnvConfig keys).")


def _drops(m) -> str:
    from agentmt.progress import drops_text

    return drops_text(m.drops)


@app.command("build")
def build_cmd(
    tasks: Path = typer.Argument(..., help="Tasks: a folder of task shards, a .jsonl or a .parquet file."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (built tasks with image digests, logs/)."),
    repo: Path | None = typer.Option(None, "--repo", help="Local clone of the tasks' repository."),
    config: list[str] = ConfigOpt,
    jobs: int = runopts.JobsOpt,
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Build base → dependency → instance images for each task (install failures are logged, not fatal)."""
    from agentmt.environments.stages import build_envs

    m = build_envs(tasks, out, *config, repo=repo, executor=runopts.executor_from(jobs, executor, ray_address),
                   force=force)
    typer.echo(f"built {m.counts.get('tasks_out', 0)} of {m.counts.get('tasks_in', 0)} task images "
               f"(dropped: {_drops(m)}) -> {out}")


@app.command("validate")
def validate_cmd(
    tasks: Path = typer.Argument(..., help="Built tasks (output of `agentmt env build`)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: TASKS/validated)."),
    config: list[str] = ConfigOpt,
    jobs: int = runopts.JobsOpt,
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Run tests before/after the gold patch N times; keep tasks with FAIL_TO_PASS tests."""
    from agentmt.environments.stages import validate_envs

    out = out or Path(tasks) / "validated"
    m = validate_envs(tasks, out, *config, executor=runopts.executor_from(jobs, executor, ray_address), force=force)
    flaky = sum(len(v) for v in m.extra.get("flake_rates", {}).values())
    typer.echo(f"validated {m.counts.get('tasks_out', 0)} of {m.counts.get('tasks_in', 0)} tasks, "
               f"{flaky} flaky tests left out (dropped: {_drops(m)}) -> {out}")


@app.command("explain")
def explain_cmd(
    task_id: str = typer.Argument(..., help="The task's instance_id."),
    folder: Path = typer.Argument(..., help="Output folder of `agentmt env build` or `agentmt env validate`."),
) -> None:
    """Print what happened to one task: drop reason, recipe, lock, both phases' exit codes, statuses and logs."""
    from agentmt.environments.explain import find_task, render_explanation

    typer.echo(render_explanation(find_task(folder, task_id)), nl=False)


@app.command("stats")
def stats_cmd(folder: Path = typer.Argument(..., help="Output folder of `agentmt env build` or `env validate`.")) -> None:
    """Tasks in and out, drop reasons overall and per repository, and (validate) gold validity per dataset."""
    from agentmt.io import read_manifest

    m = read_manifest(folder)
    counts = m.get("counts", {})
    typer.echo(f"{m.get('stage')}: {counts.get('tasks_out', 0)} of {counts.get('tasks_in', 0)} tasks kept")
    typer.echo("drops: " + (", ".join(f"{k}={v}" for k, v in sorted(m.get("drops", {}).items())) or "none"))
    for repo, drops in sorted(m.get("extra", {}).get("drops_by_repo", {}).items()):
        typer.echo(f"  {repo}: " + ", ".join(f"{k}={v}" for k, v in sorted(drops.items())))
    if m.get("stage") not in ("env.build", "env.validate"):
        return
    from agentmt.environments.explain import stage_tasks
    from agentmt.environments.rowsource import count_sources

    tasks = stage_tasks(folder)
    typer.echo("environment sources: " + (", ".join(f"{k}={v}" for k, v in count_sources(tasks).items()) or "none"))
    if m.get("stage") == "env.validate":
        from agentmt.environments.goldvalidity import make_gold_validity, render_gold_validity

        typer.echo("gold validity (every graded test passes after the gold patch, per run):")
        typer.echo("\n".join(render_gold_validity(make_gold_validity(tasks))))
