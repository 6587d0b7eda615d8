"""CLI: Executable tasks (SWE-bench records) from mined PRs."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.cli import runopts
from agentmt.progress import drops_text

app = typer.Typer(help="Executable tasks (SWE-bench records) from mined PRs.", no_args_is_help=True)


@app.command("from-prs")
def from_prs_cmd(
    prs: Path = typer.Argument(..., help="Folder of mined PR shards (output of `agentmt mine git`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (tasks.parquet, tasks.jsonl, manifest.json)."),
    jobs: int = runopts.JobsOpt,
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Turn PRs that change both code and tests into SWE-bench task candidates."""
    from agentmt.environments.stages import tasks_from_prs

    m = tasks_from_prs(prs, out, executor=runopts.executor_from(jobs, executor, ray_address), force=force)
    drops = drops_text(m.drops)
    typer.echo(f"{m.counts.get('tasks_out', 0)} task candidates from {m.counts.get('prs_in', 0)} PRs "
               f"(dropped: {drops}) -> {out}")


@app.command("import")
def import_cmd(
    rows: Path = typer.Argument(..., help="Dataset rows: .jsonl/.json/.parquet, a folder of shards, or a "
                                          "swebench task repository (a folder with tasks/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (tasks.parquet, tasks.jsonl, manifest.json)."),
    fmt: str = typer.Option("auto", "--format", help="Row shape: auto, swe-bench, swe-bench-verified, swe-gym, "
                                                     "swe-rebench, swe-rebench-v2, swe-smith, openswe, davinci-env, "
                                                     "scale-swe, docker-rows."),
) -> None:
    """Import a published dataset's task rows; `env build` then builds each from the row's own definition."""
    from agentmt.environments.tasks import import_tasks

    m = import_tasks(rows, out, fmt)
    drops = drops_text(m.drops)
    sets = ", ".join(f"{k}={v}" for k, v in sorted(m.extra["datasets"].items())) or "none"
    typer.echo(f"{m.counts['tasks_out']} tasks from {m.counts['rows_in']} rows ({sets}; dropped: {drops}) -> {out}")
