"""CLI: Executable tasks (SWE-bench records) from mined PRs."""

from __future__ import annotations

import typer

app = typer.Typer(help="Executable tasks (SWE-bench records) from mined PRs.", no_args_is_help=True)
