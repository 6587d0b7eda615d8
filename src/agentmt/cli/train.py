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


@app.command("mt")
def mt(
    config: str = typer.Argument(..., help="YAML path or built-in name, e.g. train_mt_demo."),
    specs: list[str] = Specs,
    launch: str | None = Launch,
    num_processes: int | None = NumProcesses,
    num_machines: int | None = NumMachines,
    machine_rank: int | None = MachineRank,
    main_process_ip: str | None = MainProcessIp,
    main_process_port: int | None = MainProcessPort,
    dry_run: bool = DryRun,
) -> None:
    """Mid-train: packed stages in sequence (resumes an interrupted run); prints the final checkpoint."""
    if launch:
        return _launch(
            "mt", config, specs, launch, dry_run, num_processes=num_processes, num_machines=num_machines,
            machine_rank=machine_rank, main_process_ip=main_process_ip, main_process_port=main_process_port,
        )
    from agentmt.training.mt import run_mt

    typer.echo(str(run_mt(config, *specs)))


@app.command("sft")
def sft(
    config: str = typer.Argument(..., help="YAML path or built-in name, e.g. train_sft_demo."),
    specs: list[str] = Specs,
    launch: str | None = Launch,
    num_processes: int | None = NumProcesses,
    num_machines: int | None = NumMachines,
    machine_rank: int | None = MachineRank,
    main_process_ip: str | None = MainProcessIp,
    main_process_port: int | None = MainProcessPort,
    dry_run: bool = DryRun,
) -> None:
    """SFT on trajectories, loss on assistant tokens only (resumes an interrupted run); prints the checkpoint."""
    if launch:
        return _launch(
            "sft", config, specs, launch, dry_run, num_processes=num_processes, num_machines=num_machines,
            machine_rank=machine_rank, main_process_ip=main_process_ip, main_process_port=main_process_port,
        )
    from agentmt.training.sft import run_sft

    typer.echo(str(run_sft(config, *specs)))
