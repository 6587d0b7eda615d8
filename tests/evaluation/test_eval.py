"""`agentmt eval` on real demo task containers: gold, scripted, resume per (task, run), infra retry."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from agentmt.evaluation.harness import model_spec, run_eval

PREDICTION_KEYS = {"instance_id", "model_name_or_path", "model_patch"}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_checkpoint_folder_is_served_and_other_specs_pass_through(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert model_spec(str(tmp_path)) == f"embedded:{tmp_path.resolve()}"
    for spec in ("gold", "embedded", "http://localhost:8000/v1", "scripted:x.json", "embedded:/x"):
        assert model_spec(spec) == spec


def test_a_missing_or_non_checkpoint_folder_is_refused_in_one_line_naming_what_is_accepted(tmp_path):
    from agentmt.errors import InputError

    with pytest.raises(InputError, match=r"absent: no such checkpoint folder \(eval takes a checkpoint folder"):
        model_spec(str(tmp_path / "absent"))
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputError, match=r"is not a checkpoint folder: no weights \(\*.safetensors"):
        model_spec(str(tmp_path))
    (tmp_path / "config.json").unlink()
    with pytest.raises(InputError, match="no config.json and no weights"):
        model_spec(str(tmp_path))


def test_the_eval_preset_is_the_papers_protocol_and_eval_demo_keeps_temperature_0():
    from agentmt.evaluation.config import load_eval_config

    paper = load_eval_config()
    assert paper.k == 4 and paper.sampling["temperature"] == 0 and paper.leakage_threshold == 0.10
    assert paper.agent["step_limit"] == 100 and paper.agent["context_limit_tokens"] == 128_000
    assert set(paper.retry_statuses) == {"environment_error", "model_error"}
    demo = load_eval_config("eval_demo", "k=3")
    assert demo.k == 3 and demo.sampling["temperature"] == 0 and demo.agent["step_limit"] < 100
    assert demo.agent.get("context_limit_tokens", 128_000) == 128_000


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_gold_on_the_held_out_split_resolves_everything(demo_tasks, tmp_path):
    from agentmt.environments.tasks import read_tasks, write_tasks_jsonl

    write_tasks_jsonl(demo_tasks, tmp_path / "valid.jsonl")
    subprocess.run([sys.executable, "-m", "agentmt.cli.main", "tasks", "split", str(tmp_path / "valid.jsonl"),
                    "--out", str(tmp_path / "split"), "-c", "fraction=0.3"], check=True, capture_output=True)
    held = [t.instance_id for t in read_tasks(tmp_path / "split" / "heldout")]
    train = [t.instance_id for t in read_tasks(tmp_path / "split" / "train")]
    assert len(held) == 2 and not set(held) & set(train) and len(held) + len(train) == len(demo_tasks)
    out = tmp_path / "eval"
    cli = subprocess.run([sys.executable, "-m", "agentmt.cli.main", "eval", str(tmp_path / "split" / "heldout"),
                          "--model", "gold", "--out", str(out), "--train-data", str(tmp_path / "split" / "train")],
                         capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stderr
    assert "Pass@1 100.0%" in cli.stdout and "0 infrastructure failures" in cli.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["pass@1"] == 1.0 and report["num_tasks"] == 2 and report["infra_failures"] == 0
    preds = _jsonl(out / "predictions" / "run-0.jsonl")
    assert sorted(p["instance_id"] for p in preds) == sorted(held)
    assert all(set(p) == PREDICTION_KEYS and p["model_patch"].startswith("diff --git") for p in preds)
    run = json.loads((out / "reports" / "run-0.json").read_text())
    assert run["resolved_ids"] == sorted(held) and run["schema_version"] == 2 and run["error_ids"] == []
    results = _jsonl(out / "results.jsonl")
    assert all(r["resolved_runs"] == 1 and r["runs"][0]["report"]["tests_status"] for r in results)
    decontam = json.loads((out / "decontam.json").read_text())
    assert set(decontam["instances"]) == set(held) and decontam["documents"] == len(train)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["resolved"] == 2 and manifest["stage"] == "eval"


def _solver(path: Path, task) -> str:
    """A scripted model that applies `task`'s gold patch (whichever task it is given) and submits."""
    b64 = base64.b64encode(task.patch.encode()).decode()
    path.write_text(json.dumps([{"bash": f"cd /testbed && echo {b64} | base64 -d | git apply || true"},
                                {"submit": True}]))
    return f"scripted:{path}"


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_scripted_runs_score_per_task_and_resume_per_task_and_run(demo_tasks, two_tasks, tmp_path):
    solved = demo_tasks[0]
    model = _solver(tmp_path / "solver.json", solved)
    out = tmp_path / "eval"
    r = run_eval(two_tasks, out, f"model={model}", "k=2", "model_name_or_path=solver")
    # run i of the solved task resolves, the other task's runs are the model's failures
    assert r["num_runs"] == 2 and r["pass@1"] == 0.5 and r["pass@2"] == 0.5
    assert r["run_resolve_rates"] == [0.5, 0.5] and r["spread"] == {"std": 0.0, "min": 0.5, "max": 0.5}
    assert r["resolved"] == 2 and r["model_failures"] == 2 and r["infra_failures"] == 0
    assert r["results"] == {solved.instance_id: 2, demo_tasks[1].instance_id: 0}
    rows = _jsonl(out / "predictions.jsonl")
    assert len(rows) == 4 and {p["model_name_or_path"] for p in rows} == {"solver"}
    again = run_eval(two_tasks, out, f"model={model}", "k=2", "model_name_or_path=solver")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["runs_reused"] == 4 and again == r
    more = run_eval(two_tasks, out, f"model={model}", "k=3", "model_name_or_path=solver")
    assert json.loads((out / "manifest.json").read_text())["counts"]["runs_reused"] == 4  # only run 2 is new
    assert more["num_runs"] == 3 and more["pass@1"] == 0.5


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_an_infrastructure_failure_is_counted_apart_and_retried_on_resume(demo_tasks, tmp_path):
    from agentmt.environments.tasks import write_tasks_jsonl

    from agentmt.types import TaskInstance

    # a copy: the session fixture's tasks are shared with the other tests
    good, bad = demo_tasks[0], TaskInstance.from_dict(demo_tasks[1].to_dict())
    real_tag = bad.validation["image"]["tag"]
    missing = f"agentmt-task:eval-missing-{uuid.uuid4().hex[:8]}"
    bad.validation = {**bad.validation, "image": {**bad.validation["image"], "tag": missing}}
    write_tasks_jsonl([good, bad], tmp_path / "tasks.jsonl")
    out = tmp_path / "eval"
    try:
        r = run_eval(tmp_path / "tasks.jsonl", out, "model=gold")
        assert r["infra_failures"] == 1 and r["model_failures"] == 0 and r["pass@1"] == 1.0  # not the model's
        assert r["infra_failure_ids"] == [f"{bad.instance_id}/replay"]
        run = json.loads((out / "reports" / "run-0.json").read_text())
        assert run["infra_failure_ids"] == [bad.instance_id] and run["completed_ids"] == [good.instance_id]
        assert any("eval-missing" in reason for reason in run["failure_reasons"])
        subprocess.run(["docker", "tag", real_tag, missing], check=True)  # the daemon recovers
        again = run_eval(tmp_path / "tasks.jsonl", out, "model=gold")
        assert again["infra_failures"] == 0 and again["resolved"] == 2 and again["pass@1"] == 1.0
        assert json.loads((out / "manifest.json").read_text())["counts"]["runs_reused"] == 1
    finally:
        subprocess.run(["docker", "rmi", missing], capture_output=True, check=False)


@pytest.mark.docker
@pytest.mark.timeout(600)
def test_a_model_server_that_fails_is_infrastructure_and_retried_on_resume(demo_tasks, tmp_path):
    from fake_endpoint import FakeEndpoint, chat_answer

    from agentmt.environments.tasks import write_tasks_jsonl

    write_tasks_jsonl(demo_tasks[:1], tmp_path / "one.jsonl")
    out = tmp_path / "eval"
    with FakeEndpoint([(500, {"error": {"message": "overloaded"}})]) as fake:
        specs = [f"model={fake.base_url}", "k=1", "sampling.retries=0", "agent.max_format_errors=1"]
        r = run_eval(tmp_path / "one.jsonl", out, *specs)
        assert r["infra_failures"] == 1 and r["model_failures"] == 0 and r["pass@1"] is None
        assert r["infra_failure_ids"] == [f"{demo_tasks[0].instance_id}/0"]
        fake.script = [(200, chat_answer("I cannot help with that."))]  # answers now, with no tool call
        again = run_eval(tmp_path / "one.jsonl", out, *specs)
    assert again["infra_failures"] == 0 and again["model_failures"] == 1 and again["pass@1"] == 0.0
    assert json.loads((out / "manifest.json").read_text())["counts"]["runs_reused"] == 0  # it was retried
