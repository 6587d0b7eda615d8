"""Kill tests for `env build` and `env validate` (real Docker): SIGKILL after a random task's marker,
rerun, and the same tasks come out, each once, equal to an uninterrupted run's but for timings."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from killhelp import agentmt, run_and_kill

from agentmt import io
from agentmt.types import PullRequest

pytestmark = [pytest.mark.docker, pytest.mark.slow]
VOLATILE = ("seconds", "duration", "elapsed", "time", "log", "created", "last_used")


def _stable(value):
    """A record without what differs between two identical runs (wall times, logs)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if not any(w in k.lower() for w in VOLATILE)}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _tasks(folder: Path) -> list[dict]:
    from agentmt.environments.tasks import read_tasks

    return [_stable(t.to_dict()) for t in read_tasks(folder)]


@pytest.fixture(scope="module")
def selected(tmp_path_factory, docker_daemon) -> tuple[Path, Path]:
    """Three of the demo's bug-fix tasks as a JSONL file, and the demo repository."""
    from agentmt.environments.stages import tasks_from_prs
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl
    from agentmt.sources.demo import build_demo
    from agentmt.sources.mine import mine_git

    root = tmp_path_factory.mktemp("killenv")
    info = build_demo(root / "demo")
    mine_git(info.repo_path, root / "prs", "progress=false", metadata_dir=info.metadata_dir)
    keep = set(sorted(info.bugfix_prs)[:3])
    io.write_records(root / "bugfix" / io.shard_name(0),
                     [pr for pr in io.read_records(root / "prs", PullRequest) if pr.number in keep], PullRequest)
    tasks_from_prs(root / "bugfix", root / "tasks")
    chosen = list(read_tasks(root / "tasks"))
    assert len(chosen) == 3
    write_tasks_jsonl(chosen, root / "selected.jsonl")
    return root / "selected.jsonl", info.repo_path


@pytest.mark.timeout(1500)
def test_env_build_then_validate_killed_then_rerun_match_clean(selected, tmp_path):
    tasks, repo = selected
    rng = random.Random(8)
    build = lambda out: ["env", "build", str(tasks), "--out", str(out), "--repo", str(repo)]  # noqa: E731
    validate = lambda src, out: ["env", "validate", str(src), "--out", str(out), "-c", "runs=1"]  # noqa: E731
    for args in (build(tmp_path / "b-clean"), validate(tmp_path / "b-clean", tmp_path / "v-clean")):
        proc = agentmt(*args, timeout=1200)
        assert proc.returncode == 0, proc.stderr

    n = rng.randint(1, 2)
    assert run_and_kill(build(tmp_path / "b-killed"), "mark_done", n, tmp_path, timeout=1200)
    assert len(list((tmp_path / "b-killed" / io.DONE_DIR).glob("*"))) == n
    proc = agentmt(*build(tmp_path / "b-killed"), timeout=1200)
    assert proc.returncode == 0, proc.stderr
    assert _tasks(tmp_path / "b-killed") == _tasks(tmp_path / "b-clean")

    n = rng.randint(1, 2)
    assert run_and_kill(validate(tmp_path / "b-killed", tmp_path / "v-killed"), "mark_done", n, tmp_path, 1200)
    proc = agentmt(*validate(tmp_path / "b-killed", tmp_path / "v-killed"), timeout=1200)
    assert proc.returncode == 0, proc.stderr
    clean, resumed = _tasks(tmp_path / "v-clean"), _tasks(tmp_path / "v-killed")
    assert [t["instance_id"] for t in resumed] == [t["instance_id"] for t in clean]  # each once, same order
    assert [t["FAIL_TO_PASS"] for t in resumed] == [t["FAIL_TO_PASS"] for t in clean]
    assert io.read_manifest(tmp_path / "v-killed")["counts"] == io.read_manifest(tmp_path / "v-clean")["counts"]
    # validate notices a config change: refused without --force
    proc = agentmt(*validate(tmp_path / "b-killed", tmp_path / "v-killed")[:-1], "runs=2")
    assert proc.returncode == 2 and "--force" in proc.stderr
