"""CLI: `agentmt eval TASKS --model M -k K --out DIR` (graded agent runs on held-out tasks) and
`agentmt tasks split VALID --out DIR` (the held-out split it reads; registered on the tasks app)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentmt.cli import runopts


def eval_cmd(
    tasks: Path = typer.Argument(..., help="Validated tasks: an `env validate` output or a held-out split folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (predictions, reports, results, decontam)."),
    model: str | None = typer.Option(None, "--model", "-m", help="A checkpoint folder (served by transformers "
                                     "serve), an OpenAI-compatible base URL, gold, embedded or scripted:FILE."),
    k: int | None = typer.Option(None, "-k", help="Runs per task (default 4, the paper's)."),
    train_data: list[str] = typer.Option([], "--train-data", help="Training data to check the tasks against "
                                         "(D_ctx / D_env / task folders); repeatable."),
    config: list[str] = typer.Option([], "--config", "-c", help="Config: YAML path, built-in name (eval, "
                                     "eval_demo) or key=value (EvalConfig keys; agent.KEY, sampling.KEY)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Task containers at once (default 2)."),
    executor: str = runopts.ExecutorOpt,
    ray_address: str | None = runopts.RayAddressOpt,
    force: bool = runopts.ForceOpt,
) -> None:
    """Run the agent k times per task at temperature 0 and grade it; Pass@1 over runs, pass@k (resumable)."""
    from agentmt.evaluation.harness import run_eval

    specs = [*runopts.container_specs(config, k, model, jobs, executor),
             *([f"train_data={json.dumps(list(train_data))}"] if train_data else [])]
    ex = runopts.cluster_executor(jobs, executor, ray_address)
    r = run_eval(tasks, out, *specs, progress=True, executor=ex, force=force)
    k_key = f"pass@{r['k']}"
    typer.echo(f"{r['model_name_or_path']}: Pass@1 {_pct(r['pass@1'])} over {r['num_runs']} run(s) of "
               f"{r['num_tasks']} tasks, {k_key} {_pct(r[k_key])} (spread {_pct(r['spread']['min'])}-"
               f"{_pct(r['spread']['max'])}); {r['model_failures']} model failures, {r['infra_failures']} "
               f"infrastructure failures (rerun to retry them); {r['decontam']['num_flagged']} flagged by "
               f"decontamination -> {out}/report.json")


def split_cmd(
    tasks: Path = typer.Argument(..., help="Validated tasks (an `env validate` output folder or task file)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: OUT/train and OUT/heldout."),
    config: list[str] = typer.Option([], "--config", "-c", help="fraction=0.3, seed=0 (SplitConfig keys)."),
) -> None:
    """Split validated tasks into train (rollouts, D_env, training) and heldout (eval only), deterministically."""
    from agentmt.evaluation.split import split_tasks

    ids = split_tasks(tasks, out, *config)
    typer.echo(f"{len(ids['train'])} train, {len(ids['heldout'])} held-out tasks -> {out}/train, {out}/heldout")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"
