"""CLI: `agentmt report RUN_DIR [--out DIR]` (the static HTML report of a run folder)."""

from __future__ import annotations

from pathlib import Path

import typer


def report_cmd(
    run_dir: Path = typer.Argument(..., help="A run folder: stage outputs (folders with manifest.json) under it."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Report folder (default: RUN_DIR/report)."),
) -> None:
    """Write an HTML report (plots, per-task results, trajectory viewer) of what a run did."""
    from agentmt.report import build_report

    index = build_report(run_dir, out)
    typer.echo(f"report -> {index}")
