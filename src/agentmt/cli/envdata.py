"""CLI: the D_env corpus: graded trajectories → SFT chat rows and MT text rows, split pass / fail."""

from __future__ import annotations

from pathlib import Path

import typer

from agentmt.progress import drops_text

app = typer.Typer(help="The D_env corpus: graded trajectories → SFT chat rows and MT text rows.",
                  no_args_is_help=True)


@app.command("render")
def render_cmd(
    rollouts: list[Path] = typer.Argument(..., help="Trajectory folders (outputs of `agentmt rollout`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: mt/{pass,fail}/ and sft/{pass,fail}/."),
    config: list[str] = typer.Option([], "--config", "-c", help="key=value: tokenizer, max_tokens, system_prompt."),
) -> None:
    """Render trajectories as spec §3.4 text (MT) and chat rows (SFT); drops only those over max_tokens."""
    from agentmt.envdata.render import render_env

    m = render_env(rollouts, out, *config)
    c = m.counts
    drops = drops_text(m.drops)
    typer.echo(f"{c['trajectories_pass']} pass ({c['tokens_pass']} tokens), {c['trajectories_fail']} fail "
               f"({c['tokens_fail']} tokens); dropped: {drops} -> {out}")
