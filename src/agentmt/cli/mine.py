"""CLI: Mine merged pull requests from git history (and GitHub metadata)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Mine merged pull requests from git history (and GitHub metadata).", no_args_is_help=True)


@app.command("git")
def git_cmd(
    repo: str = typer.Argument(..., help="Path to a working or bare git repository, or a URL git can clone."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Parquet shards + manifest.json)."),
    metadata: Path | None = typer.Option(None, "--metadata", help="Folder of GitHub-shaped JSON to join."),
    config: list[str] = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name or key=value."),
) -> None:
    """Mine merged PRs from REPO's first-parent history into --out (resumes an unfinished run)."""
    from agentmt.sources.mine import mine_git

    manifest = mine_git(repo, out, *config, metadata_dir=metadata)
    c = manifest.counts
    typer.echo(f"kept {c.get('prs_kept', 0)} of {c.get('prs_seen', 0)} PRs "
               f"({c.get('mainline_commits', 0)} mainline commits) -> {out}")
