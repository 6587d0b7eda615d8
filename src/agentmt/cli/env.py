"""CLI: Executable environments: Docker images and F2P/P2P validation."""

from __future__ import annotations

import typer

app = typer.Typer(help="Executable environments: Docker images and F2P/P2P validation.", no_args_is_help=True)
