"""CLI: Mid-training and SFT on transformers/TRL/accelerate."""

from __future__ import annotations

import typer

app = typer.Typer(help="Mid-training and SFT on transformers/TRL/accelerate.", no_args_is_help=True)
