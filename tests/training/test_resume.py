"""Resume after kill -9: same final parameters as an uninterrupted run, no sample twice or skipped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from trainhelp import mt_config, write_yaml

from agentmt.training.trainer import SAMPLE_LOG, read_step_log

KILLPOINT = Path(__file__).with_name("killpoint.py")


def _train(cfg_path, env, kill_at_step=None):
    """Run `agentmt train mt`; with `kill_at_step` the process SIGKILLs itself inside that step."""
    if kill_at_step is None:
        cmd = [sys.executable, "-m", "agentmt.cli.main", "train", "mt", str(cfg_path)]
    else:
        cmd = [sys.executable, str(KILLPOINT), str(kill_at_step), "train", "mt", str(cfg_path)]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
                          check=False)
    expected = 0 if kill_at_step is None else -signal.SIGKILL
    assert proc.returncode == expected, proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_resume_after_kill_matches_uninterrupted_run(data_dirs, tiny_checkpoint, tmp_path):
    from safetensors.torch import load_file

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs = {}
    for name in ("straight", "killed"):
        d = tmp_path / name
        d.mkdir()
        cfg = mt_config(data_dirs, tiny_checkpoint, d / "out", max_steps=5, save_steps=2)
        cfg["stages"] = cfg["stages"][1:2]  # the mixed stage: ctx + upsampled env
        cfg["stages"][0]["name"] = "s1"
        runs[name] = write_yaml(d / "mt.yaml", cfg)
    _train(runs["straight"], env)
    _train(runs["killed"], env, kill_at_step=5)
    killed_dir = tmp_path / "killed" / "out" / "s1"
    # Checkpoints were saved at steps 2 and 4; save_total_limit (default 1) kept only the newest.
    assert sorted(p.name for p in killed_dir.glob("checkpoint-*")) == ["checkpoint-4"]
    assert not (killed_dir / "final").exists()
    _train(runs["killed"], env)  # the same command resumes from checkpoint-4
    assert not list(killed_dir.glob("checkpoint-*"))  # deleted once the final checkpoint was written

    a = load_file(tmp_path / "straight" / "out" / "s1" / "final" / "model.safetensors")
    b = load_file(killed_dir / "final" / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] - b[k]).abs().max().item() < 1e-5, k

    straight = read_step_log(tmp_path / "straight" / "out" / "s1" / SAMPLE_LOG.format(rank=0))
    resumed = read_step_log(killed_dir / SAMPLE_LOG.format(rank=0))
    assert resumed == straight and list(resumed) == [1, 2, 3, 4, 5]
    seen = [i for step in resumed.values() for i in step]
    assert seen == list(range(10))  # each pack once, in the recorded order, none skipped
    # The killed run really logged a partial step 5 that the resumed run redid.
    raw = [json.loads(x) for x in (killed_dir / SAMPLE_LOG.format(rank=0)).read_text().splitlines()]
    assert len({r["run"] for r in raw}) == 2
