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


def container_specs(config: list[str], k: int | None, model: str | None, jobs: int | None, executor: str) -> list[str]:
    """Config specs of a container stage (rollout, eval): the user's -c, then the flags as config keys."""
    return [*config, *([f"k={k}"] if k else []), *([f"model={model}"] if model else []),
            *([f"containers={jobs}"] if jobs else []), f"executor={executor}"]


def cluster_executor(jobs: int | None, executor: str, ray_address: str | None):
    """A Ray executor on the cluster --ray-address names; None (the stage makes its own) otherwise."""
    return executor_from(jobs or 1, executor, ray_address) if executor == "ray" and ray_address else None
