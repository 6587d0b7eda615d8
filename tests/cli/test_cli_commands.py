"""`tasks from-prs`, `env build --repo`, `env validate` and `demo trajectories` through the real main()."""

from __future__ import annotations

import pytest
from clihelp import assert_one_line_error

from agentmt import io
from agentmt.types import PullRequest, Trajectory


def test_demo_trajectories_writes_a_d_env_shard(cli, tmp_path):
    code, out, err = cli("demo", "trajectories", tmp_path / "traj", "--runs", "3")
    assert code == 0, err
    assert out.strip() == f"3 trajectories (2 resolved) -> {tmp_path / 'traj'}"
    runs = list(io.read_records(tmp_path / "traj", Trajectory))
    assert [r.resolved for r in runs] == [True, False, True] and all(r.messages for r in runs)


def test_demo_trajectories_into_a_file_is_one_line(cli, tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    code, _, err = cli("demo", "trajectories", tmp_path / "taken")
    assert code != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_tasks_from_prs_of_a_missing_folder_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("tasks", "from-prs", tmp_path / "nope", "--out", tmp_path / "t"), str(tmp_path / "nope"))


def test_tasks_from_prs_writes_task_candidates(cli, calc_repo, tmp_path):
    _, prs = calc_repo
    io.write_records(tmp_path / "prs" / io.shard_name(0), prs, PullRequest)
    code, out, err = cli("tasks", "from-prs", tmp_path / "prs", "--out", tmp_path / "tasks")
    assert code == 0, err
    assert out.strip().startswith("2 task candidates from 2 PRs") and out.strip().endswith(str(tmp_path / "tasks"))


def test_env_build_with_a_bad_config_value_is_one_line(cli, calc_repo, tmp_path):
    repo, prs = calc_repo
    io.write_records(tmp_path / "prs" / io.shard_name(0), prs, PullRequest)
    assert cli("tasks", "from-prs", tmp_path / "prs", "--out", tmp_path / "tasks")[0] == 0
    assert_one_line_error(cli("env", "build", tmp_path / "tasks", "--out", tmp_path / "b", "--repo", repo,
                              "-c", "runs=0"), "runs")


def test_env_validate_of_unbuilt_tasks_is_one_line(cli, calc_repo, tmp_path):
    _, prs = calc_repo
    io.write_records(tmp_path / "prs" / io.shard_name(0), prs, PullRequest)
    assert cli("tasks", "from-prs", tmp_path / "prs", "--out", tmp_path / "tasks")[0] == 0
    assert_one_line_error(cli("env", "validate", tmp_path / "tasks", "--out", tmp_path / "v"),
                          "has no image", "agentmt env build")


def test_env_validate_of_a_missing_folder_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("env", "validate", tmp_path / "nope"), str(tmp_path / "nope"))


@pytest.mark.docker
@pytest.mark.timeout(1200)
def test_tasks_build_validate_through_the_cli(cli, calc_repo, docker_daemon, tmp_path):
    from agentmt.environments.tasks import read_tasks

    repo, prs = calc_repo
    io.write_records(tmp_path / "prs" / io.shard_name(0), prs, PullRequest)
    assert cli("tasks", "from-prs", tmp_path / "prs", "--out", tmp_path / "tasks")[0] == 0
    code, out, err = cli("env", "build", tmp_path / "tasks", "--out", tmp_path / "built", "--repo", repo)
    assert code == 0, err
    assert out.strip() == f"built 2 of 2 task images (dropped: none) -> {tmp_path / 'built'}"
    code, out, err = cli("env", "validate", tmp_path / "built", "-c", "runs=1")
    assert code == 0, err
    assert out.strip().startswith("validated 2 of 2 tasks") and out.strip().endswith(str(tmp_path / "built" / "validated"))
    validated = list(read_tasks(tmp_path / "built" / "validated"))
    assert [t.FAIL_TO_PASS for t in validated] == [["tests/test_calc.py::test_add"], ["tests/test_calc.py::test_mul"]]
    code, out, err = cli("rollout", tmp_path / "built" / "validated", "--model", "gold", "--out", tmp_path / "r")
    assert code == 0, err
    # stdout is the result line alone; each rollout's line is progress, on stderr
    assert out.strip().splitlines() == [f"2 trajectories (2 resolved, 0 reused; exit: submitted=2) -> {tmp_path / 'r'}"]
    assert sum(line.startswith("rollout ") and line.endswith(": submitted resolved=True")
               for line in err.splitlines()) == 2, err


@pytest.mark.parametrize("args", [("train", "sft", "cfg.yaml", "extra"), ("env", "build"), ("ctx", "render", "--nope")])
def test_a_usage_mistake_is_clicks_usage_message_not_an_internal_error(cli, args):
    code, _, err = cli(*args)
    assert code == 2, err
    assert "internal error" not in err
    assert "Usage: agentmt" in err and "Error:" in err
