"""CLI: D_ctx: render mined PRs as py/gen documents, tokenize, stats."""

from __future__ import annotations

import typer

app = typer.Typer(help="D_ctx: render mined PRs as py/gen documents, tokenize, stats.", no_args_is_help=True)
