"""CLI: Mid-training and SFT on the transformers Trainer (accelerate for multi-GPU)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Mid-training and SFT on the transformers Trainer.", no_args_is_help=True)

CONFIG_HELP = "Config spec applied after CONFIG: a YAML path, a built-in name or key=value (repeatable)."


@app.command("mt")
def mt(
    config: str = typer.Argument(..., help="YAML path or built-in name, e.g. train_mt_demo."),
    specs: list[str] = typer.Option([], "-c", "--config", help=CONFIG_HELP),
) -> None:
    """Mid-train: packed stages in sequence (resumes an interrupted run); prints the final checkpoint."""
    from agentmt.training.mt import run_mt

    typer.echo(str(run_mt(config, *specs)))


@app.command("sft")
def sft(
    config: str = typer.Argument(..., help="YAML path or built-in name, e.g. train_sft_demo."),
    specs: list[str] = typer.Option([], "-c", "--config", help=CONFIG_HELP),
) -> None:
    """SFT on trajectories, loss on assistant tokens only (resumes an interrupted run); prints the checkpoint."""
    from agentmt.training.sft import run_sft

    typer.echo(str(run_sft(config, *specs)))
