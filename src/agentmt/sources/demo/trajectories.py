"""A packaged SWE-agent-style trajectory in the Trajectory schema: a test fixture for D_env consumers.

`make demo` rolls out real trajectories (`agentmt rollout`); this fixture (one resolved run and
variants: resolved and failed) lets training and envdata tests run without Docker or a model, on
shards written exactly as the rollout stage writes them. Its manifest says plainly that it is a fixture.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

from agentmt import io
from agentmt.types import Trajectory

def load_fixture_trajectory() -> Trajectory:
    text = (resources.files("agentmt.sources.demo") / "data" / "trajectory_swe_agent.json").read_text()
    return Trajectory.from_dict(json.loads(text))


def make_fixture_trajectories(num_runs: int = 4) -> list[Trajectory]:
    """`num_runs` runs of one task: even runs resolved (full), odd runs failed (cut before verifying)."""
    base = load_fixture_trajectory()
    runs = []
    for k in range(num_runs):
        t = copy.deepcopy(base)
        t.run_index, t.id, t.resolved = k, f"{base.instance_id}/{k}", k % 2 == 0
        if not t.resolved:
            t.messages = t.messages[:8] + t.messages[-2:]
            t.exit_status = "submitted"
        runs.append(t)
    return runs


def write_fixture_trajectories(out_dir: str | Path, num_runs: int = 4) -> io.Manifest:
    out_dir = Path(out_dir)
    runs = make_fixture_trajectories(num_runs)
    name = io.shard_name(0)
    io.write_records(out_dir / name, runs, Trajectory)
    manifest = io.Manifest(stage="demo_trajectories", shards=[name])
    manifest.counts.update(trajectories=len(runs), resolved=sum(bool(t.resolved) for t in runs))
    manifest.extra["source"] = "fixture: packaged SWE-agent-style trajectory (tests); real D_env comes from `agentmt rollout`"
    manifest.write(out_dir)
    return manifest
