"""PR → task candidates, patch split, SWE-bench/SWE-rebench files round trip, recipe inference."""

from __future__ import annotations

import json
import subprocess

from agentmt.environments.recipe import make_recipe, pick_python, read_recipe_files
from agentmt.environments.stages import tasks_from_prs
from agentmt.environments.tasks import (
    is_test_path,
    make_task,
    read_tasks,
    task_drop_reason,
    write_tasks_jsonl,
    write_tasks_parquet,
)
from agentmt.io import read_manifest, write_records
from agentmt.types import Issue


def test_pr_becomes_task_with_split_patches_that_apply(calc_repo, tmp_path):
    repo, prs = calc_repo
    task = make_task(prs[1])
    assert task.instance_id == "demo__calc-2" and task.base_commit == prs[1].snapshot_sha
    assert "src/calc/__init__.py" in task.patch and "tests/" not in task.patch
    assert "tests/test_calc.py" in task.test_patch and "tests/test_mul.py" in task.test_patch
    assert task.problem_statement.startswith("Fix mul")
    # both patches applied at the base commit reproduce the PR head exactly
    work = tmp_path / "w"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "-q", task.base_commit], check=True)
    for patch in (task.patch, task.test_patch):
        subprocess.run(["git", "-C", str(work), "apply", "-"], input=patch, text=True, check=True)
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    diff = subprocess.run(["git", "-C", str(work), "diff", "--cached", prs[1].head_sha, "--stat"],
                          capture_output=True, text=True, check=True).stdout
    assert diff == ""


def test_problem_statement_prefers_linked_issue(calc_repo):
    pr = calc_repo[1][0]
    linked = type(pr).from_dict(pr.to_dict())
    linked.issue = Issue(number=7, title="add() subtracts", body="2+3 gives -1")
    assert make_task(linked).problem_statement == "add() subtracts\n\n2+3 gives -1\n"


def test_drop_reasons(calc_repo):
    pr = calc_repo[1][0]
    assert task_drop_reason(pr) is None
    only_code = type(pr).from_dict(pr.to_dict())
    only_code.head_files = [f for f in only_code.head_files if not is_test_path(f.path)]
    only_code.relevant_files = [f for f in only_code.relevant_files if not is_test_path(f.path)]
    assert task_drop_reason(only_code) == "no_test_change"
    closed = type(pr).from_dict(pr.to_dict())
    closed.state = "closed"
    assert task_drop_reason(closed) == "not_merged"


def test_swebench_and_swerebench_rows_round_trip(tmp_path):
    row = {"instance_id": "o__r-1", "repo": "o/r", "base_commit": "abc", "patch": "p", "test_patch": "t",
           "problem_statement": "ps", "hints_text": "", "version": "1.0", "created_at": "2024",
           "environment_setup_commit": "abc", "FAIL_TO_PASS": json.dumps(["t::a"]),
           "PASS_TO_PASS": json.dumps(["t::b"]), "docker_image": "swerebench/x", "meta": {"llm_score": 3}}
    (tmp_path / "in.jsonl").write_text(json.dumps(row) + "\n")
    task = next(read_tasks(tmp_path / "in.jsonl"))
    assert task.FAIL_TO_PASS == ["t::a"] and task.PASS_TO_PASS == ["t::b"]
    write_tasks_jsonl([task], tmp_path / "out.jsonl")
    back = json.loads((tmp_path / "out.jsonl").read_text())
    assert back["docker_image"] == "swerebench/x" and back["meta"] == {"llm_score": 3}
    write_tasks_parquet([task], tmp_path / "pq" / "tasks.parquet")
    again = next(read_tasks(tmp_path / "pq"))
    assert again.to_dict() == task.to_dict()


def test_tasks_from_prs_stage_counts_drops(calc_repo, tmp_path):
    repo, prs = calc_repo
    no_tests = type(prs[0]).from_dict(prs[0].to_dict())
    no_tests.number, no_tests.head_files = 3, [f for f in no_tests.head_files if not is_test_path(f.path)]
    no_tests.relevant_files = [f for f in no_tests.relevant_files if not is_test_path(f.path)]
    write_records(tmp_path / "prs" / "part-00000.parquet", [*prs, no_tests], type(no_tests))
    tasks_from_prs(tmp_path / "prs", tmp_path / "tasks")
    manifest = read_manifest(tmp_path / "tasks")
    assert manifest["counts"] == {"prs_in": 3, "tasks_out": 2}
    assert manifest["drops"] == {"no_test_change": 1}
    assert [t.instance_id for t in read_tasks(tmp_path / "tasks")] == ["demo__calc-1", "demo__calc-2"]


def test_recipe_from_repository_files(calc_repo):
    repo, prs = calc_repo
    recipe = make_recipe(read_recipe_files(repo, prs[0].snapshot_sha))
    assert recipe["python"] == "3.11" and recipe["test_runner"] == "pytest"
    assert recipe["test_dependencies"] == ["pytest"] and "pyproject.toml" in recipe["sources"]
    assert recipe["install"].startswith("( pip install --no-deps --no-build-isolation --use-pep517 -e . ) || (")
    reqs = make_recipe({"setup.py": "setup(python_requires='>=3.6,<3.10')", "requirements.txt": "numpy<2\n",
                        "requirements-test.txt": "pytest==7.4\n"})
    assert reqs["python"] == "3.9" and reqs["base_release"] == "bullseye"
    assert reqs["dependencies"] == ["numpy<2"] and reqs["test_dependencies"] == ["pytest==7.4"]
    assert pick_python(">=3.12", "3.11") == "3.13"
    assert pick_python("==3.*", "3.12") == "3.13"  # a wildcard matches every 3.x (not only 3.0)
    assert pick_python("~=3.9", "3.11") == "3.11"
    assert pick_python(">=3.7, <3.10", "3.11") == "3.9"
    assert pick_python("not a specifier", "3.11") == "3.11"
