"""`agentmt train ... --launch`: the composed accelerate command, and two real CPU processes training."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from trainhelp import mt_config, write_yaml

from agentmt.errors import ConfigError
from agentmt.training.launch import LaunchOptions, compose, materialize, resolve_accelerate_config
from agentmt.training.trainer import LAUNCH_LOG, LOSS_LOG, SAMPLE_LOG, read_step_log


def test_zero3_resolves_its_json_from_any_directory_and_reads_the_cluster_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the YAML's relative JSON path does not resolve from here
    src = resolve_accelerate_config("zero3_qwen2.5_32b")
    path, accel = materialize(src, tmp_path)
    json_path = Path(yaml.safe_load(path.read_text())["deepspeed_config"]["deepspeed_config_file"])
    assert json_path.is_absolute() and json_path.name == "zero3.json" and json_path.is_file()
    env = {"MASTER_ADDR": "10.1.2.3", "MASTER_PORT": "29555", "WORLD_SIZE": "4", "NODE_RANK": "2"}
    argv, _ = compose("mt", "train_mt_paper_32b", ["seed=1"], path, accel, LaunchOptions(), env)
    line = " ".join(argv)
    # 4 machines × the config's 8 processes per machine.
    assert "--num_processes 32 --num_machines 4 --machine_rank 2 --main_process_ip 10.1.2.3" in line
    assert "--main_process_port 29555" in line
    assert line.endswith("-m agentmt.cli.main train mt train_mt_paper_32b -c seed=1")
    # Options win over the environment.
    argv, _ = compose("sft", "x.yaml", [], path, accel, LaunchOptions(num_machines=2, machine_rank=1), env)
    assert "--num_processes 16 --num_machines 2 --machine_rank 1" in " ".join(argv)
    with pytest.raises(ConfigError, match="machine rank 5"):
        compose("mt", "c", [], path, accel, LaunchOptions(machine_rank=5), env)
    with pytest.raises(ConfigError, match="MASTER_ADDR"):
        compose("mt", "c", [], path, accel, LaunchOptions(num_machines=2), {})
    with pytest.raises(ConfigError, match="cpu_ddp2"):
        resolve_accelerate_config("no-such-config")
    # FSDP on CPU would silently run as plain data parallelism under accelerate: refused.
    fsdp_cpu = write_yaml(tmp_path / "fsdp_cpu.yaml", {"distributed_type": "FSDP", "use_cpu": True, "num_processes": 2})
    with pytest.raises(ConfigError, match="only on GPUs"):
        materialize(fsdp_cpu, tmp_path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without a CUDA GPU")
def test_fsdp_launch_without_a_gpu_is_refused_in_one_line(tmp_path):
    """accelerate would run an FSDP config's processes here as plain data parallelism: stop before launching."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentmt.cli.main", "train", "sft", "train_sft_paper_32b", "--launch", "fsdp2_qwen2.5_32b",
         "-c", f"output_dir={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "accelerate runs FSDP only on GPUs and this machine has no CUDA GPU: use cpu_ddp2" in proc.stderr
    assert "accelerate.commands.launch" not in proc.stderr  # refused before any command was composed
    assert not (tmp_path / "out").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Two processes vs one over the same global batch differ only in how per-process loss sums and
# gradients are added up (an all-reduce of 2 partial sums instead of one sequential sum): fp32
# reassociation, ~1e-7 relative (measured: 9e-8 on the first step). 1e-5 leaves 100x for Adam to
# amplify it over 3 steps and is still ~70x below how far the curve moves.
LOSS_RTOL = 1e-5


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_two_cpu_processes_match_one(data_dirs, tiny_checkpoint, tmp_path):
    from agentmt.training.mt import run_mt

    stage = {"name": "s2", "sources": [{"path": "ctx-py", "kind": "ctx"}, {"path": "env", "kind": "env", "repeat": 2.0}]}
    common = {"global_batch_size": 4, "max_steps": 3, "save_steps": 100, "stages": [stage]}
    one = tmp_path / "one"
    run_mt(str(write_yaml(tmp_path / "one.yaml", mt_config(data_dirs, tiny_checkpoint, one, **common))))
    two = tmp_path / "two"
    cfg2 = write_yaml(tmp_path / "two.yaml", mt_config(data_dirs, tiny_checkpoint, two, **common))
    proc = subprocess.run(
        [sys.executable, "-m", "agentmt.cli.main", "train", "mt", str(cfg2), "--launch", "cpu_ddp2",
         "--main-process-port", str(_free_port())],
        capture_output=True, text=True, timeout=540, check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    loss1 = [r["loss"] for r in read_step_log(one / "s2" / LOSS_LOG).values()]
    loss2 = [r["loss"] for r in read_step_log(two / "s2" / LOSS_LOG).values()]
    print("one process:", loss1, "two processes:", loss2)
    assert len(loss1) == len(loss2) == 3
    assert loss1[0] - loss1[-1] > 100 * LOSS_RTOL * loss1[0], loss1  # the curve moves: matching it means something
    assert loss2 == pytest.approx(loss1, rel=LOSS_RTOL)
    # Data parallelism: each rank took half of every global batch, together exactly the one process's samples.
    ranks = [read_step_log(two / "s2" / SAMPLE_LOG.format(rank=r)) for r in (0, 1)]
    single = read_step_log(one / "s2" / SAMPLE_LOG.format(rank=0))
    for step, samples in single.items():
        assert len(ranks[0][step]) == len(ranks[1][step]) == 2
        assert sorted(ranks[0][step] + ranks[1][step]) == sorted(samples)
    ran = json.loads((two / "s2" / LAUNCH_LOG).read_text())
    assert (ran["distributed_type"], ran["num_processes"], ran["backend"]) == ("MULTI_CPU", 2, "gloo")
    manifest = json.loads((two / "s2" / "manifest.json").read_text())
    assert manifest["extra"]["batch_plan"] == {"gradient_accumulation_steps": 2, "max_steps": 3, "world_size": 2}
