"""CLI: `agentmt run PIPELINE [--out DIR] [--executor local|ray]`: every stage of a pipeline file, resumable."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def run_cmd(
    pipeline: str = typer.Argument(..., help="A pipeline YAML file or a built-in pipeline name (demo)."),
    out: Path = typer.Option("run-out", "--out", "-o", help="Run folder: one sub-folder per stage."),
    executor: str = typer.Option("local", "--executor", help="Where the stages' units run: local or ray."),
) -> None:
    """Run every stage in dependency order; unchanged stages are skipped, interrupted ones resume."""
    from agentmt.errors import ConfigError
    from agentmt.pipeline import run_pipeline

    if executor not in ("local", "ray"):
        raise ConfigError(f"--executor must be local or ray, not {executor!r}")
    results = run_pipeline(pipeline, out, executor=executor, echo=typer.echo)
    bad = [r for r in results if r.status in ("failed", "blocked")]
    typer.echo(f"timings: {out.resolve() / 'timings.json'}")
    if bad:
        for r in bad:
            typer.echo(f"agentmt: error: stage {r.name}: {r.status}: {r.summary}", err=True)
        sys.exit(1)
