"""Entry point `agentmt`: registers each stage's sub-app and turns errors into one line."""

from __future__ import annotations

import sys

import typer

from agentmt import __version__, settings
from agentmt.cli import ctx, demo, env, envdata, mine, model, repos, rollout, tasks, train
from agentmt.cli import eval as eval_cli
from agentmt.cli import report as report_cli
from agentmt.cli import run as run_cli
from agentmt.cli.interrupt import INTERRUPTED_EXIT, interrupted_message, out_dir_of
from agentmt.cli.outdir import remove_if_unwritten
from agentmt.errors import AgentmtError, UserError

app = typer.Typer(
    name="agentmt",
    help="Turn real software history into training data and models for code agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(demo.app, name="demo")
app.add_typer(mine.app, name="mine")
app.add_typer(repos.app, name="repos")
app.add_typer(ctx.app, name="ctx")
app.add_typer(model.app, name="model")
app.add_typer(tasks.app, name="tasks")
app.add_typer(env.app, name="env")
app.add_typer(train.app, name="train")
app.add_typer(rollout.app, name="rollout")
app.add_typer(envdata.app, name="envdata")
app.command("eval")(eval_cli.eval_cmd)
app.command("run")(run_cli.run_cmd)
app.command("report")(report_cli.report_cmd)
tasks.app.command("split")(eval_cli.split_cmd)


@app.command()
def version() -> None:
    """Print agentmt's version."""
    typer.echo(__version__)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    from agentmt.secrets import redact_text

    return f"agentmt: warning: {redact_text(str(message))}\n"  # not Python's file:line + source-line pair


def main() -> None:
    import warnings

    warnings.formatwarning = _one_line_warning
    out = out_dir_of(sys.argv)
    created = out if out is not None and not out.exists() else None  # removed again if the run writes nothing
    try:
        code = app(standalone_mode=False)
    except SystemExit:
        raise
    except KeyboardInterrupt:  # a Ctrl-C outside the command (while typer parses or imports)
        code = INTERRUPTED_EXIT
    except Exception as e:  # the CLI boundary: one line unless AGENTMT_DEBUG=1
        import click

        if isinstance(e, click.exceptions.Exit | typer.Exit):
            sys.exit(e.exit_code)
        # typer 0.2x raises exceptions of its own vendored click, which are not click's classes:
        # a usage error (an extra argument, a missing option) is known by click's protocol instead
        if isinstance(e, click.ClickException) or (callable(getattr(e, "show", None)) and hasattr(e, "exit_code")):
            e.show()
            sys.exit(e.exit_code)
        if isinstance(e, click.exceptions.Abort | typer.Abort) or type(e).__name__ == "Abort":
            sys.exit(INTERRUPTED_EXIT)
        remove_if_unwritten(created)
        if settings.debug():
            raise
        kind = "error" if isinstance(e, AgentmtError) else f"internal error ({type(e).__name__})"
        from agentmt.secrets import redact_text

        message = redact_text(" ".join(str(e).split()))  # one line, whatever the message (git's stderr, a log tail)
        typer.echo(f"agentmt: {kind}: {message}", err=True)
        sys.exit(2 if isinstance(e, UserError) else 1)
    # Without standalone mode typer hands back an exit code instead of exiting: a Ctrl-C inside a
    # command (typer turns KeyboardInterrupt into Exit(130)) and `raise typer.Exit(n)` arrive here.
    if code == INTERRUPTED_EXIT:
        remove_if_unwritten(created)
        typer.echo(interrupted_message(sys.argv), err=True)
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
