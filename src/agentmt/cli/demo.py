"""CLI: The embedded demo: a generated repository with real PR history and tests."""

from __future__ import annotations

import typer

app = typer.Typer(help="The embedded demo: a generated repository with real PR history and tests.", no_args_is_help=True)
