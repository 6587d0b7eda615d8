"""CLI: Local models: convert the embedded model, serve it OpenAI-compatibly."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    help="Local models: convert the embedded model, serve it OpenAI-compatibly.", no_args_is_help=True
)


@app.command()
def convert() -> None:
    """Convert the embedded model (once) and print its checkpoint folder."""
    from agentmt.models.checkpoint import ensure_embedded_checkpoint

    typer.echo(str(ensure_embedded_checkpoint()))


@app.command()
def serve(
    checkpoint: Annotated[str, typer.Argument(help="HF checkpoint folder, or 'embedded'.")] = "embedded",
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1; a free one when omitted.")] = None,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads for generation (default: torch's).")
    ] = None,
) -> None:
    """Serve a checkpoint at an OpenAI-compatible /v1 endpoint until Ctrl-C."""
    from agentmt.models.server import run_model_server

    def ready(url: str, model: str) -> None:
        typer.echo(f"serving {model}")
        typer.echo(f"base_url: {url}  (requests may omit `model`; Ctrl-C stops)")

    raise typer.Exit(run_model_server(checkpoint, port=port, threads=threads, on_ready=ready))
