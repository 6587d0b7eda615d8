"""CLI: choose the repositories to mine."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Choose the repositories to mine (GitHub names or search).", no_args_is_help=True)


@app.command("select")
def select_cmd(
    names: list[str] = typer.Argument(None, help="OWNER/NAME repositories; none: search by -c language / min_stars."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (repos.jsonl + manifest.json)."),
    config: list[str] = typer.Option([], "--config", "-c",
                                     help="Config: language=, min_stars=, limit=, licenses=[...], api_url=."),
) -> None:
    """Write one row per kept repository (name, description, stars, language, licence, default branch)."""
    from agentmt.sources.github.select import select_repos

    manifest = select_repos(out, *config, names=names or None)
    drops = ", ".join(f"{k} {v}" for k, v in sorted(manifest.drops.items())) or "none"
    typer.echo(f"kept {manifest.counts['repos_kept']} repositories (dropped: {drops}) -> {out / 'repos.jsonl'}")
