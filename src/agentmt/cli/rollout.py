"""CLI: k graded agent rollouts per validated task, and import of external trajectory files.

`agentmt rollout TASKS --out DIR` is short for `agentmt rollout run TASKS --out DIR`.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.core import TyperGroup

from agentmt.cli import runopts
from agentmt.progress import drops_text


class _RunByDefault(TyperGroup):
    """`rollout ARGS` means `rollout run ARGS` unless ARGS starts with a subcommand or asks for help."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_RunByDefault, no_args_is_help=True,
                  help="Agent rollouts: k graded trajectories per validated task (D_env), and imports.")

ConfigOpt = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name or key=value "
                                                    "(RolloutConfig keys; agent.KEY=VALUE for the agent).")


@app.command("run")
def run_cmd(
    tasks: Path = typer.Argument(..., help="Validated tasks (the output folder of `agentmt env validate`)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Trajectory shard, manifest, markers)."),
    k: int | None = typer.Option(None, "-k", help="Rollouts per task (default 4; a gold replay runs once)."),
    model: str | None = typer.Option(None, "--model", "-m",
                                     help="embedded | gold | scripted:FILE | an OpenAI-compatible base URL."),
    config: list[str] = ConfigOpt,
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Rollouts (task containers) at once; "
                                    "default: the `containers` config key (2)."),
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Roll out the agent k times per task in its container and grade each trajectory (resumable)."""
    from agentmt.rollouts.stage import run_rollouts

    specs = runopts.container_specs(config, k, model, jobs, executor)
    ex = runopts.cluster_executor(jobs, executor, ray_address)
    m = run_rollouts(tasks, out, *specs, progress=True, executor=ex, force=force)
    statuses = ", ".join(f"{s}={n}" for s, n in sorted(m.extra["exit_status"].items())) or "none"
    typer.echo(f"{m.counts['trajectories']} trajectories ({m.counts['resolved']} resolved, "
               f"{m.counts['items_reused']} reused; exit: {statuses}) -> {out}")


@app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="Trajectory files: .jsonl, .json (a list) or .parquet."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (Trajectory shard, rejected/rows.jsonl)."),
    fmt: str = typer.Option("auto", "--format", "-f", help="auto | env_native | swe_smith | swe_gym | openhands."),
    tokenizer: str = typer.Option("embedded", help="Tokenizer that measures each trajectory's rendered length."),
) -> None:
    """Import external trajectories (daVinci-Dev env_native, SWE-smith, SWE-Gym, OpenHands) as records."""
    from agentmt.rollouts.import_stage import import_trajectories

    m = import_trajectories(files, out, fmt=fmt, tokenizer=tokenizer)
    drops = drops_text(m.drops)
    typer.echo(f"imported {m.counts['trajectories']} of {m.counts['rows_in']} rows "
               f"({m.counts['resolved']} resolved; dropped: {drops}) -> {out}")
