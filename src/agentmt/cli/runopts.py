"""The stage-runner options every resumable stage command takes: -j, --executor, --ray-address, --force."""

from __future__ import annotations

import typer

JobsOpt = typer.Option(1, "--jobs", "-j", help="Units of work run at once (local processes or Ray tasks).")
ExecutorOpt = typer.Option("local", "--executor", help="Where units run: local (this machine) or ray.")
RayAddressOpt = typer.Option(None, "--ray-address", help="Ray cluster to use (default: $RAY_ADDRESS, else a local one).")
ForceOpt = typer.Option(False, "--force", help="Redo an output folder made with another config, input or version.")


def executor_from(jobs: int, executor: str, ray_address: str | None):
    from agentmt.executors import make_executor

    return make_executor(executor, jobs=jobs, address=ray_address)
