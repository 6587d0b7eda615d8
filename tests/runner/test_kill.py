"""Kill tests: each stage, killed with SIGKILL at a random point (after a completion marker, or in the
middle of writing a data file), then rerun, gives the files of an uninterrupted run, nothing lost
or duplicated. The kill points come from a seeded RNG, printed on failure."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from killhelp import agentmt, data_bytes, run_and_kill, temp_files

from agentmt import io
from agentmt.types import PullRequest

HOOKS = ("mark_done", "_write_table")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    proc = agentmt("demo", "init", str(root / "demo"))
    assert proc.returncode == 0, proc.stderr
    return root / "demo"


@pytest.fixture(scope="module")
def mined(demo, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mined") / "prs"
    proc = agentmt("mine", "git", str(demo / "repo"), "--metadata", str(demo / "metadata"), "--out", str(out),
                   "-c", "shard_size=3", "-c", "progress=false", "-c", "filters.profile=gen")
    assert proc.returncode == 0, proc.stderr
    return out


def _manifest_sans_time(out: Path) -> dict:
    m = io.read_manifest(out)
    return {k: v for k, v in m.items() if k not in ("started_at", "finished_at")}


def kill_and_compare(args_for, tmp_path: Path, seed: int, max_calls: int, hooks=HOOKS, compare=None):
    """Clean run vs a run killed at a random call of a random hook then rerun: same files."""
    rng = random.Random(seed)
    clean = tmp_path / "clean"
    proc = agentmt(*args_for(clean))
    assert proc.returncode == 0, proc.stderr
    hook, n = rng.choice(hooks), rng.randint(1, max_calls)
    killed = tmp_path / "killed"
    assert run_and_kill(args_for(killed), hook, n, tmp_path), f"seed {seed}: finished before {hook} #{n}"
    assert not (killed / io.MANIFEST).exists(), f"seed {seed}: killed before the end, no manifest"
    proc = agentmt(*args_for(killed))
    assert proc.returncode == 0, f"seed {seed} ({hook} #{n}): {proc.stderr}"
    assert temp_files(killed) == []
    if compare is None:
        assert data_bytes(killed) == data_bytes(clean), f"seed {seed} ({hook} #{n})"
        assert _manifest_sans_time(killed)["counts"] == _manifest_sans_time(clean)["counts"]
    else:
        compare(clean, killed)
    return clean, killed


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", [1, 2])
def test_mine_git_killed_then_rerun_matches_clean(demo, tmp_path, seed):
    def args(out):
        return ["mine", "git", str(demo / "repo"), "--metadata", str(demo / "metadata"), "--out", str(out),
                "-c", "shard_size=3", "-c", "progress=false", "-c", "filters.profile=gen"]

    clean, killed = kill_and_compare(args, tmp_path, seed, max_calls=5)
    prs = [p.id for p in io.read_records(killed, PullRequest)]
    assert len(prs) == len(set(prs)) == io.read_manifest(clean)["counts"]["prs_kept"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", [3, 4])
def test_tasks_from_prs_killed_then_rerun_matches_clean(mined, tmp_path, seed):
    num_shards = len(io.read_manifest(mined)["shards"])
    kill_and_compare(lambda out: ["tasks", "from-prs", str(mined), "--out", str(out)],
                     tmp_path, seed, max_calls=num_shards - 1, hooks=("mark_done",))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ctx_render_killed_then_rerun_matches_clean(mined, tmp_path, embedded_checkpoint):
    num_shards = len(io.read_manifest(mined)["shards"])
    # a fixed pseudonym salt: by default each output folder gets its own, so two clean runs differ too
    kill_and_compare(lambda out: ["ctx", "render", str(mined), "--format", "gen", "--no-llm", "--out", str(out),
                                  "-c", "progress=false", "-c", "curation.pseudonym_salt=kill-test"],
                     tmp_path, 5, max_calls=num_shards - 1)
