"""CLI: Mine merged pull requests from git history (and GitHub metadata)."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.cli import runopts
from agentmt.progress import drops_text

app = typer.Typer(help="Mine merged pull requests from git history (and GitHub metadata).", no_args_is_help=True)


@app.command("git")
def git_cmd(
    repo: str = typer.Argument(..., help="Path to a working or bare git repository, or a URL git can clone."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Parquet shards + manifest.json)."),
    metadata: Path | None = typer.Option(None, "--metadata", help="Folder of GitHub-shaped JSON to join."),
    config: list[str] = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name or key=value."),
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Mine merged PRs from REPO's history (on and off its first-parent chain) into --out (resumes an unfinished run)."""
    from agentmt.sources.mine import mine_git

    manifest = mine_git(repo, out, *config, metadata_dir=metadata,
                        executor=runopts.executor_from(1, executor, ray_address), force=force)
    c = manifest.counts
    typer.echo(f"kept {c.get('prs_kept', 0)} of {c.get('prs_seen', 0)} PRs "
               f"({c.get('mainline_commits', 0)} mainline commits; dropped: {drops_text(manifest.drops)}) -> {out}")


@app.command("github")
def github_cmd(
    repos: list[str] = typer.Argument(..., help="Repositories as OWNER/NAME (several allowed)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Parquet shards + manifest.json)."),
    tokens_file: Path | None = typer.Option(None, "--tokens-file",
                                            help="File with one GitHub token per line (default: $GITHUB_TOKEN, comma-separated)."),
    config: list[str] = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name or key=value."),
    jobs: int = runopts.JobsOpt,
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Mine merged PRs of REPOS through the GitHub API (code from git) into --out, one repository per unit
    of work (resumes an unfinished run)."""
    from agentmt.sources.github.mine import mine_github, read_tokens_file

    tokens = read_tokens_file(tokens_file) if tokens_file else None
    manifest = mine_github(repos, out, *config, tokens=tokens, executor=runopts.executor_from(jobs, executor, ray_address),
                           force=force)
    c, states = manifest.counts, manifest.extra["repos"]
    typer.echo(f"kept {c.get('prs_kept', 0)} of {c.get('prs_seen', 0)} merged PRs from "
               f"{sum(s == 'mined' for s in states.values())} of {len(states)} repositories "
               f"({manifest.extra['api_requests']} API requests; dropped: {drops_text(manifest.drops)}) -> {out}")
    for name, state in states.items():
        if state != "mined":
            typer.echo(f"  {name}: {state}", err=True)
