"""CLI: Local models: convert the embedded model, serve it OpenAI-compatibly."""

from __future__ import annotations

import typer

app = typer.Typer(help="Local models: convert the embedded model, serve it OpenAI-compatibly.", no_args_is_help=True)
