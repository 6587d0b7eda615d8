"""`agentmt eval TASKS --model M -k K --out DIR`: the agent k times per task, graded by hidden tests.

Evaluation *is* the rollout stage (agentmt.rollouts.stage) on held-out tasks with the `eval`
preset, so resumption is its: one unit per (task, run) in `DIR/runs`, and an infrastructure
failure is left unmarked, so each rerun retries it once (and records it again if it fails again).
Infrastructure failures are counted apart (`infra_failures`, `infra_failure_ids`), never dropped
and never counted as the model's failure. Output layout of DIR (read by `agentmt report`/`run`):

  runs/                   the rollout stage: trajectories (Parquet), completion markers, manifest
  predictions.jsonl       SWE-bench predictions (instance_id, model_name_or_path, model_patch) + run_index
  predictions/run-N.jsonl one SWE-bench predictions file per run
  reports/run-N.json      SWE-bench's run report (schema_version 2) per run
  results.jsonl           per instance: each run's verdict, exit status and SWE-bench report entry
  decontam.json           benchmark-side 13-gram leakage per instance against the training data
  report.json             summary: pass@1 (mean over runs), pass@k, spread, infra vs model failures
  manifest.json           resolved config, inputs, counts (written last)
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from agentmt import io
from agentmt.evaluation.config import EvalConfig, load_eval_config
from agentmt.evaluation.decontam import make_decontam_report
from agentmt.evaluation.metrics import summarize
from agentmt.errors import InputError
from agentmt.evaluation.swebench_format import make_instance_report, make_prediction, make_run_report, verdict
from agentmt.secrets import redact_text
from agentmt.types import Trajectory

RUNS = "runs"


_MODEL_KINDS = "a checkpoint folder (config.json + weights), an http(s):// base URL, gold, embedded or scripted:FILE"
_WEIGHTS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")


def model_spec(model: str) -> str:
    """A local checkpoint folder is served by `transformers serve` (embedded:PATH); other specs unchanged.

    Anything that is not a model name is taken for a folder and checked here, before any server starts."""
    from agentmt.agents.registry import MODELS

    if model.startswith(("http://", "https://")) or model.partition(":")[0] in MODELS:
        return model
    path = Path(model).expanduser()
    if not path.is_dir():
        raise InputError(f"--model {model}: no such checkpoint folder (eval takes {_MODEL_KINDS})")
    missing = [what for what, found in (("config.json", (path / "config.json").is_file()),
                                        ("weights (*.safetensors, pytorch_model*.bin)",
                                         any(any(path.glob(g)) for g in _WEIGHTS))) if not found]
    if missing:
        raise InputError(f"--model {model} is not a checkpoint folder: no {' and no '.join(missing)} in it "
                         f"(eval takes {_MODEL_KINDS})")
    return f"embedded:{path.resolve()}"


def run_eval(tasks_dir: str | Path, out_dir: str | Path, *specs: str, progress: bool = False,
             executor=None, force: bool = False) -> dict[str, Any]:
    """Evaluate every (task, run) not yet finished in OUT and write the outputs; returns report.json."""
    from agentmt.rollouts.config import RolloutConfig
    from agentmt.rollouts.records import read_trajectories
    from agentmt.rollouts.stage import read_validated_tasks, run_rollouts

    cfg = load_eval_config(*specs)
    spec_model = model_spec(cfg.model)
    out = Path(out_dir)
    tasks = read_validated_tasks(tasks_dir)
    # the rollout part of the resolved eval config: RolloutConfig refuses eval-only keys (train_data...)
    rollout_cfg = RolloutConfig.model_validate(
        {**{k: v for k, v in cfg.model_dump().items() if k in RolloutConfig.model_fields}, "model": spec_model})
    stage = run_rollouts(tasks_dir, out / RUNS, progress=progress, executor=executor, force=force,
                         config=rollout_cfg)
    trajs = sorted(read_trajectories(out / RUNS), key=lambda t: (t.instance_id, t.run_index))
    # a URL's password is no part of the model's name: predictions, results and the console show it redacted
    name = redact_text(cfg.model_name_or_path or cfg.model)
    ids = [t.instance_id for t in tasks]
    _write_predictions(out, trajs, name)
    decontam = make_decontam_report(tasks, cfg.train_data, threshold=cfg.leakage_threshold, ngram=cfg.ngram)
    io.write_json(out / "decontam.json", decontam)
    results = _write_results(out, ids, trajs)
    report = make_summary(cfg, name, ids, trajs, decontam)
    report["results"] = {r["instance_id"]: r["resolved_runs"] for r in results}
    io.write_json(out / "report.json", report)
    m = io.Manifest(stage="eval", config=cfg.model_dump(), inputs=[str(tasks_dir), *cfg.train_data],
                    shards=[f"{RUNS}/{s}" for s in stage.shards])
    m.counts.update(tasks=len(tasks), trajectories=len(trajs), resolved=report["resolved"],
                    model_failures=report["model_failures"], infra_failures=report["infra_failures"],
                    runs_reused=stage.counts.get("items_reused", 0))
    m.extra.update({"pass@1": report["pass@1"], "model": spec_model, "exit_status": stage.extra["exit_status"]})
    m.write(out)
    return report


def make_summary(cfg: EvalConfig, name: str, ids: list[str], trajs: list[Trajectory],
                 decontam: dict[str, Any]) -> dict[str, Any]:
    """report.json: the metrics of all tasks, and of the tasks the decontamination did not flag."""
    verdicts = _verdicts(ids, trajs)
    clean = {i: v for i, v in verdicts.items() if i not in set(decontam["flagged"])}
    summary = summarize(verdicts, cfg.k)
    summary_clean = summarize(clean, cfg.k)
    return {"model_name_or_path": name, "k": cfg.k, **summary,
            "infra_failure_ids": sorted({t.id for t in trajs if verdict(t) is None}),
            "clean": {"num_tasks": summary_clean["num_tasks"], "pass@1": summary_clean["pass@1"],
                      f"pass@{cfg.k}": summary_clean[f"pass@{cfg.k}"]},
            "decontam": {**decontam["summary"], "threshold": decontam["threshold"], "flagged": decontam["flagged"]}}


def _verdicts(ids: list[str], trajs: list[Trajectory]) -> dict[str, list[bool | None]]:
    by: dict[str, dict[int, bool | None]] = defaultdict(dict)
    for t in trajs:
        by[t.instance_id][t.run_index] = verdict(t)
    return {i: [by[i][r] for r in sorted(by[i])] for i in ids if i in by}


def _by_run(trajs: list[Trajectory]) -> dict[int, list[Trajectory]]:
    runs: dict[int, list[Trajectory]] = defaultdict(list)
    for t in trajs:
        runs[t.run_index].append(t)
    return dict(sorted(runs.items()))


def _write_predictions(out: Path, trajs: list[Trajectory], name: str) -> None:
    rows = [{**make_prediction(t, name), "run_index": t.run_index} for t in trajs]
    io.atomic_write_text(out / "predictions.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    for r, part in _by_run(trajs).items():
        text = "".join(json.dumps(make_prediction(t, name)) + "\n" for t in part)
        io.atomic_write_text(out / "predictions" / f"run-{r}.jsonl", text)


def _write_results(out: Path, ids: list[str], trajs: list[Trajectory]) -> list[dict[str, Any]]:
    for r, part in _by_run(trajs).items():
        io.write_json(out / "reports" / f"run-{r}.json", make_run_report(ids, part))
    by: dict[str, list[Trajectory]] = defaultdict(list)
    for t in trajs:
        by[t.instance_id].append(t)
    rows = []
    for i in ids:
        runs = [{"run_index": t.run_index, "resolved": verdict(t), "exit_status": t.exit_status,
                 "trajectory_id": t.id, "report": make_instance_report(t)[i]} for t in by.get(i, [])]
        rows.append({"instance_id": i, "runs": runs, "resolved_runs": sum(r["resolved"] is True for r in runs),
                     "infra_failures": sum(r["resolved"] is None for r in runs)})
    io.atomic_write_text(out / "results.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    return rows
