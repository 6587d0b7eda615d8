"""CLI: Mid-training and SFT on the transformers Trainer (`--launch` runs it under `accelerate launch`)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Mid-training and SFT on the transformers Trainer.", no_args_is_help=True)

CONFIG_HELP = "Config spec applied after CONFIG: a YAML path, a built-in name or key=value (repeatable)."
LAUNCH_HELP = (
    "Run under `accelerate launch` with this accelerate config: a built-in name (cpu_ddp2, zero3_qwen2.5_32b, "
    "fsdp2_qwen2.5_72b, ...) or a YAML path."
)

Specs = typer.Option([], "-c", "--config", help=CONFIG_HELP)
Launch = typer.Option(None, "--launch", help=LAUNCH_HELP)
NumProcesses = typer.Option(None, help="All processes of the job (default: the config's per machine × machines).")
NumMachines = typer.Option(None, help="Machines (default: NNODES or WORLD_SIZE, else the config's).")
MachineRank = typer.Option(None, help="This machine's rank (default: NODE_RANK or RANK, else 0).")
MainProcessIp = typer.Option(None, help="Head machine's address (default: MASTER_ADDR).")
MainProcessPort = typer.Option(None, help="Head machine's port (default: MASTER_PORT, else accelerate's).")
DryRun = typer.Option(False, "--dry-run", help="With --launch: print the accelerate command line, run nothing.")


def _launch(kind: str, config: str, specs: list[str], accel: str, dry_run: bool, **opts) -> None:
    from agentmt.training.launch import LaunchOptions, launch

    code = launch(kind, config, specs, accel, LaunchOptions(**opts), dry_run=dry_run)
    if code:
        raise typer.Exit(code)


def _add_command(kind: str, doc: str) -> None:
    """Register `train KIND`: run the stage here, or under `accelerate launch` with --launch."""

    def command(
        config: str = typer.Argument(..., help=f"YAML path or built-in name, e.g. train_{kind}_demo."),
        specs: list[str] = Specs,
        launch: str | None = Launch,
        num_processes: int | None = NumProcesses,
        num_machines: int | None = NumMachines,
        machine_rank: int | None = MachineRank,
        main_process_ip: str | None = MainProcessIp,
        main_process_port: int | None = MainProcessPort,
        dry_run: bool = DryRun,
    ) -> None:
        if launch:
            return _launch(
                kind, config, specs, launch, dry_run, num_processes=num_processes, num_machines=num_machines,
                machine_rank=machine_rank, main_process_ip=main_process_ip, main_process_port=main_process_port,
            )
        from importlib import import_module

        run = getattr(import_module(f"agentmt.training.{kind}"), f"run_{kind}")
        typer.echo(str(run(config, *specs)))

    command.__doc__ = doc
    app.command(kind)(command)


_add_command("mt", "Mid-train: packed stages in sequence (resumes an interrupted run); prints the final checkpoint.")
_add_command("sft", "SFT on trajectories, loss on assistant tokens only (resumes an interrupted run); prints the "
             "checkpoint.")
