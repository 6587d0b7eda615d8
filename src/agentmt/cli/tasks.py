"""CLI: Executable tasks (SWE-bench records) from mined PRs."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.cli import runopts

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
    drops = ", ".join(f"{k}={v}" for k, v in sorted(m.drops.items())) or "none"
    typer.echo(f"{m.counts.get('tasks_out', 0)} task candidates from {m.counts.get('prs_in', 0)} PRs "
               f"(dropped: {drops}) -> {out}")
