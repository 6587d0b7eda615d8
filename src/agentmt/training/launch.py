"""`agentmt train mt|sft CONFIG --launch ACCEL_CONFIG`: compose and run `accelerate launch`.

The accelerate config is a built-in name (src/agentmt/configs/accelerate/NAME.yaml, package data) or a
path. It is copied to a temporary file with its DeepSpeed JSON resolved to an absolute path (the
built-in zero3 configs name the packaged zero3.json), so a launch works from any working directory.
Machines, this machine's rank and the head's address come from options, else from the variables
cluster schedulers set for one launcher per machine: NNODES or WORLD_SIZE (machines), NODE_RANK or
RANK (this machine), MASTER_ADDR, MASTER_PORT. The process count scales with the machines: the
config's processes per machine times the machines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from agentmt.errors import ConfigError

ACCEL_DIR = "configs/accelerate"
# accelerate (1.16) sets up FSDP/DeepSpeed only on an accelerator: on CPU processes it makes a MULTI_CPU
# state and wraps the model in DistributedDataParallel, so the run would silently be plain data
# parallelism (checked with torch 2.13 CPU, gloo: an FSDP2 plugin under ACCELERATE_USE_CPU gave
# MULTI_CPU/DistributedDataParallel, though torch's own fully_shard shards on gloo).
SHARDED = ("FSDP", "DEEPSPEED")


@dataclass(slots=True)
class LaunchOptions:
    """What the command line gave; None means: the environment, else the accelerate config."""

    num_processes: int | None = None
    num_machines: int | None = None
    machine_rank: int | None = None
    main_process_ip: str | None = None
    main_process_port: int | None = None


def builtin_accelerate_configs() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in (resources.files("agentmt") / ACCEL_DIR).iterdir()
                  if p.name.endswith(".yaml"))


def resolve_accelerate_config(spec: str) -> Path:
    """A built-in accelerate config name or a YAML path; ConfigError naming the built-ins otherwise."""
    builtin = resources.files("agentmt") / ACCEL_DIR / f"{spec}.yaml"
    if builtin.is_file():
        return Path(str(builtin))
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    raise ConfigError(
        f"--launch {spec!r} is neither an accelerate config file nor a built-in one: "
        f"give a path or one of {', '.join(builtin_accelerate_configs())}"
    )


def materialize(src: Path, dest_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Copy the accelerate config to dest_dir with its DeepSpeed JSON as an absolute, existing path."""
    data = yaml.safe_load(src.read_text()) or {}
    if data.get("use_cpu") and data.get("distributed_type") in SHARDED:
        raise ConfigError(f"{src}: accelerate runs {data['distributed_type']} only on GPUs: use cpu_ddp2 on CPU")
    ds = data.get("deepspeed_config") or {}
    if ds.get("deepspeed_config_file"):
        name = ds["deepspeed_config_file"]
        # As written (from the cwd), beside the YAML, then the packaged file of that name.
        for cand in (Path(name), src.parent / name, Path(str(resources.files("agentmt") / ACCEL_DIR / Path(name).name))):
            if cand.is_file():
                ds["deepspeed_config_file"] = str(cand.resolve())
                break
        else:
            raise ConfigError(f"{src}: deepspeed_config_file {name!r} not found: give an existing JSON path")
    out = dest_dir / "accelerate_config.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out, data


def _env_int(env: Mapping[str, str], *names: str) -> int | None:
    for n in names:
        if env.get(n):
            return int(env[n])
    return None


def compose(
    kind: str, config: str, specs: list[str], accel_config: Path, accel: dict[str, Any], opts: LaunchOptions,
    env: Mapping[str, str],
) -> tuple[list[str], dict[str, str]]:
    """The `accelerate launch` argv that runs `agentmt train KIND CONFIG -c SPEC...` and its environment."""
    machines = opts.num_machines or _env_int(env, "NNODES", "WORLD_SIZE") or int(accel.get("num_machines", 1))
    per_machine = max(1, int(accel.get("num_processes", 1)) // max(1, int(accel.get("num_machines", 1))))
    processes = opts.num_processes or per_machine * machines
    rank = opts.machine_rank if opts.machine_rank is not None else (_env_int(env, "NODE_RANK", "RANK") or 0)
    if not 0 <= rank < machines:
        raise ConfigError(f"machine rank {rank} is outside 0..{machines - 1}: set --machine-rank or NODE_RANK")
    head = opts.main_process_ip or env.get("MASTER_ADDR")
    port = opts.main_process_port or _env_int(env, "MASTER_PORT")
    if machines > 1 and not head:
        raise ConfigError(f"{machines} machines need the head's address: set --main-process-ip or MASTER_ADDR")
    argv = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(accel_config),
            "--num_processes", str(processes), "--num_machines", str(machines), "--machine_rank", str(rank)]
    if head:
        argv += ["--main_process_ip", head]
    if port:
        argv += ["--main_process_port", str(port)]
    out_env = dict(env)
    if torchrun_on_cpu(accel, processes):
        # accelerate starts several CPU processes only through mpirun; torchrun (its multi-process
        # launcher) does it too, and ACCELERATE_USE_CPU makes each process join a gloo group.
        if accel.get("distributed_type") == "MULTI_CPU":
            argv.append("--multi_gpu")
        out_env["ACCELERATE_USE_CPU"] = "true"
    argv += ["-m", "agentmt.cli.main", "train", kind, config]
    for s in specs:
        argv += ["-c", s]
    return argv, out_env


def torchrun_on_cpu(accel: dict[str, Any], processes: int) -> bool:
    """A CPU launch of several processes without mpirun: agentmt starts it through torchrun."""
    return bool(accel.get("use_cpu")) and processes > 1 and not accel.get("mpirun_config")


def cpu_launch_config(accel: dict[str, Any]) -> dict[str, Any]:
    """The config accelerate is given for a torchrun-started CPU launch: use_cpu moves to the environment."""
    kind = accel.get("distributed_type")
    return {**accel, "use_cpu": False, "distributed_type": "MULTI_GPU" if kind == "MULTI_CPU" else kind}


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def launch(kind: str, config: str, specs: list[str], accel_spec: str, opts: LaunchOptions, dry_run: bool = False) -> int:
    """Run `accelerate launch` for one machine of the job; return its exit status (dry_run: print the line)."""
    src = resolve_accelerate_config(accel_spec)
    tmp = Path(tempfile.mkdtemp(prefix="agentmt-launch-"))
    try:
        path, accel = materialize(src, tmp)
        if not dry_run and accel.get("distributed_type") in SHARDED and not _has_gpu():
            raise ConfigError(f"{src.name}: accelerate runs {accel['distributed_type']} only on GPUs and this "
                              "machine has no CUDA GPU: use cpu_ddp2 here")
        argv, env = compose(kind, config, specs, path, accel, opts, os.environ)
        if torchrun_on_cpu(accel, int(argv[argv.index("--num_processes") + 1])):
            path.write_text(yaml.safe_dump(cpu_launch_config(accel), sort_keys=False))
        print(" ".join(argv), file=sys.stderr, flush=True)
        if dry_run:
            return 0
        return subprocess.run(argv, env=env, check=False).returncode
    finally:
        if not dry_run:
            shutil.rmtree(tmp, ignore_errors=True)
