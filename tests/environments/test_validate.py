"""F2P/P2P validation with reruns on real containers, pure list derivation, and grading integrity."""

from __future__ import annotations

import subprocess

import pytest

from agentmt.environments.harness import run_grading
from agentmt.environments.tasks import make_file_diff
from agentmt.environments.validate import flake_rate, make_test_lists


def test_make_test_lists_drops_flaky_tests():
    before = [{"a": "FAILED", "b": "PASSED", "c": "PASSED"}, {"a": "FAILED", "b": "PASSED", "c": "FAILED"}]
    after = [{"a": "PASSED", "b": "PASSED", "c": "PASSED", "d": "PASSED"}] * 2
    lists = make_test_lists(before, after)
    # "d" is new in the test patch: missing before, passing after → FAIL_TO_PASS
    assert lists["FAIL_TO_PASS"] == ["a", "d"] and lists["PASS_TO_PASS"] == ["b"]
    assert lists["flake_rates"] == {"c": 0.5}
    assert flake_rate(["PASSED", "PASSED", "FAILED"]) == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def validated(built_tasks, tmp_path_factory):
    from agentmt.environments.stages import validate_envs
    from agentmt.environments.tasks import read_tasks

    _, _, root = built_tasks
    out = tmp_path_factory.mktemp("validated")
    manifest = validate_envs(root / "built", out, "runs=2")
    return list(read_tasks(out)), manifest, out


@pytest.mark.docker
def test_validate_derives_f2p_p2p_and_flake_rates(validated, built_tasks, monkeypatch):
    tasks, manifest, out = validated
    assert manifest.counts["tasks_out"] == 2 and not manifest.drops
    t1, t2 = tasks
    assert t1.FAIL_TO_PASS == ["tests/test_calc.py::test_add"]
    assert t1.PASS_TO_PASS == ["tests/test_calc.py::test_neg"]
    assert t2.FAIL_TO_PASS == ["tests/test_calc.py::test_mul"]
    assert t2.PASS_TO_PASS == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_neg"]
    for t in tasks:
        assert t.validation["status"] == "validated" and t.validation["runs"] == 2
        assert t.validation["flake_rates"] == {} and t.validation["image"]["id"].startswith("sha256:")
    assert manifest.extra["flake_rates"] == {"demo__calc-1": {}, "demo__calc-2": {}}
    # resumable: a rerun into the same folder reuses the completion markers (no task is validated
    # again: running one would fail) and writes the same tasks
    from agentmt.environments import stages
    from agentmt.environments.tasks import read_tasks

    def no_rerun(unit, ctx):
        raise AssertionError(f"{unit.name} was validated again despite its completion marker")

    monkeypatch.setattr(stages, "_validate_unit", no_rerun)
    again = stages.validate_envs(built_tasks[2] / "built", out, "runs=2")
    assert again.counts["tasks_out"] == 2 and list(read_tasks(out)) == tasks


@pytest.mark.docker
def test_grading_gold_resolves_and_empty_patch_does_not(validated):
    task = validated[0][0]
    image = task.validation["image"]["tag"]
    gold = run_grading(task, image, task.patch, timeout_s=120)[task.instance_id]
    assert gold["resolved"] and gold["outcome"] == "resolved"
    nothing = run_grading(task, image, "", timeout_s=120)[task.instance_id]
    assert not nothing["resolved"] and nothing["outcome"] == "unresolved"


@pytest.mark.docker
def test_edited_tests_cannot_fake_a_pass(validated, calc_repo):
    """A 'fix' that rewrites the failing test instead of the code is graded on the hidden tests."""
    repo, prs = calc_repo
    task = validated[0][0]
    image = task.validation["image"]["tag"]
    base_test = subprocess.run(["git", "-C", str(repo), "show", f"{task.base_commit}:tests/test_calc.py"],
                               capture_output=True, text=True, check=True).stdout
    cheat_test = base_test + "\n\ndef test_add():\n    assert True\n"
    cheat = make_file_diff("tests/test_calc.py", base_test, cheat_test)
    report = run_grading(task, image, cheat, timeout_s=120)[task.instance_id]
    assert report["patch_successfully_applied"] and not report["resolved"]
    assert report["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_calc.py::test_add"]


@pytest.mark.docker
def test_image_missing_without_a_registry_is_dropped_with_what_to_do(built_tasks, tmp_path):
    """A task image gone from the daemon, with no registry reference to pull it by, is never rebuilt
    silently: the task is dropped `image_unavailable`, saying how to get the image back. (A registry
    or daemon that does not answer is an infra_error retried by the next run: test_registry.py.)"""
    from agentmt.environments.stages import validate_envs
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl
    from agentmt.types import TaskInstance

    task = TaskInstance.from_dict(built_tasks[0][0].to_dict())  # a copy: the fixture is shared
    task.validation["image"]["tag"] = "agentmt-task:gone-xyz"
    task.validation["image"].pop("ref", None)
    write_tasks_jsonl([task], tmp_path / "tasks.jsonl")
    manifest = validate_envs(tmp_path / "tasks.jsonl", tmp_path / "out", "runs=1")
    assert manifest.drops == {"image_unavailable": 1}
    (failed,) = read_tasks(tmp_path / "out" / "failed" / "tasks.jsonl")
    drop = failed.validation["drop"]
    assert drop["reason"] == "image_unavailable" and "agentmt-task:gone-xyz is not on this daemon" in drop["detail"]
    assert "-c registry=" in drop["detail"]
