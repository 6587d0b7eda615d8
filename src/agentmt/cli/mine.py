"""CLI: Mine merged pull requests from git history (and GitHub metadata)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Mine merged pull requests from git history (and GitHub metadata).", no_args_is_help=True)
