"""CLI: The embedded demo: a generated repository with real PR history and tests."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="The embedded demo: a generated repository with real PR history and tests.", no_args_is_help=True
)


@app.command()
def init(
    out_dir: Path = typer.Argument(..., help="Folder to create (reused if it already holds this demo)."),
) -> None:
    """Build the demo git repository and its GitHub metadata under OUT_DIR."""
    from agentmt.sources.demo import build_demo

    info = build_demo(out_dir)
    typer.echo(f"repository: {info.repo_path}")
    typer.echo(f"metadata:   {info.metadata_dir}")
    typer.echo(
        f"pull requests: {len(info.merged_prs)} merged, {len(info.unmerged_prs)} closed unmerged "
        f"({len(info.bugfix_prs)} bug fixes)"
    )


@app.command()
def trajectories(
    out_dir: Path = typer.Argument(..., help="Folder for the D_env shard."),
    runs: int = typer.Option(4, help="Runs of the fixture task (even: resolved, odd: failed)."),
) -> None:
    """Write the packaged SWE-agent-style trajectories as a D_env shard (a test fixture; `agentmt rollout` makes real ones)."""
    from agentmt.sources.demo.trajectories import write_fixture_trajectories

    m = write_fixture_trajectories(out_dir, runs)
    typer.echo(f"{m.counts['trajectories']} trajectories ({m.counts['resolved']} resolved) -> {out_dir}")
