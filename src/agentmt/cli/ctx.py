"""CLI: D_ctx: render mined PRs as py/gen documents, tokenize, stats."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.cli import runopts
from agentmt.progress import drops_text

app = typer.Typer(help="D_ctx: render mined PRs as py/gen documents, tokenize, stats.", no_args_is_help=True)


@app.command()
def render(
    prs: Path = typer.Argument(..., help="Output folder of `agentmt mine git` (PullRequest shards)."),
    format: str = typer.Option("py", "--format", "-f", help="Document format: py or gen."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Parquet shards + manifest.json)."),
    no_llm: bool = typer.Option(False, "--no-llm", help="Skip LLM summaries and refined commit messages."),
    config: list[str] = typer.Option([], "--config", "-c", help="Config spec: YAML path, built-in name or key=value."),
    jobs: int = runopts.JobsOpt,
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Render PRs as D_ctx documents, drop what fails a filter, and count tokens (resumes an unfinished run)."""
    from agentmt.corpus.render import render_ctx

    manifest = render_ctx(prs, out, format, *config, no_llm=no_llm,
                          executor=runopts.executor_from(jobs, executor, ray_address), force=force)
    kept = manifest.counts.get("kept", 0)
    typer.echo(f"{kept} {format} documents, {manifest.extra['tokens'][format]:,} tokens "
               f"(dropped: {drops_text(manifest.drops)}) -> {out}")


@app.command()
def stats(out: Path = typer.Argument(..., help="Output folder of `agentmt ctx render`.")) -> None:
    """Print samples, token statistics per format and drops by reason."""
    from rich.console import Console

    from agentmt.corpus.stats import ctx_stats, make_stats_tables

    console = Console()
    for table in make_stats_tables(ctx_stats(out)):
        console.print(table)
