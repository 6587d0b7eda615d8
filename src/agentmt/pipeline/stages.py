"""Stage kinds: each is a thin call of the library function its CLI command calls.

A kind receives a `StageCall` (its output folder, resolved inputs, config specs, options, executor
name) and returns a one-line summary. Library modules are imported inside each kind, so a stage whose
module is missing or broken fails alone (the pipeline reports it and skips only its dependents).
All kinds run in the pipeline's process: training resumes from its own checkpoints and evaluation
serves checkpoints in a server process of its own, so no stage needs process isolation here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmt.errors import ConfigError


@dataclass
class StageCall:
    """What a stage kind is given: output folder, inputs by role, config specs and options."""

    out: Path
    inputs: dict[str, Path | list[Path]]
    config: list[str]
    options: dict[str, Any]
    run_dir: Path
    executor: str = "local"
    extra: dict[str, Any] = field(default_factory=dict)

    def one(self, role: str, required: bool = True) -> Path | None:
        v = self.inputs.get(role)
        if v is None:
            if required:
                raise ConfigError(f"stage {self.out.name!r} needs input {role!r}")
            return None
        if isinstance(v, list):
            if len(v) != 1:
                raise ConfigError(f"stage {self.out.name!r} input {role!r} takes one value, got {len(v)}")
            return v[0]
        return v

    def many(self, role: str) -> list[Path]:
        v = self.inputs.get(role, [])
        return v if isinstance(v, list) else [v]

    def runner_executor(self):
        from agentmt.executors import make_executor

        return make_executor(self.executor, jobs=int(self.options.get("jobs", 1)), address=None)


def _drops(m) -> str:
    from agentmt.progress import drops_text

    return drops_text(m.drops)


def demo_init(c: StageCall) -> str:
    from agentmt.sources.demo import build_demo

    info = build_demo(c.out)
    return f"{len(info.merged_prs)} merged PRs"


def mine_git(c: StageCall) -> str:
    from agentmt.sources.mine import mine_git as run

    m = run(str(c.one("repo")), c.out, *c.config, metadata_dir=c.one("metadata", required=False),
            executor=c.runner_executor())
    return f"kept {m.counts.get('prs_kept', 0)} of {m.counts.get('prs_seen', 0)} PRs, dropped: {_drops(m)}"


def mine_github(c: StageCall) -> str:
    from agentmt.sources.github.mine import mine_github as run
    from agentmt.sources.github.mine import read_tokens_file

    repos = c.options.get("repos") or []
    if not repos:
        raise ConfigError(f"stage {c.out.name!r} (mine_github) needs options.repos: [OWNER/NAME, ...]")
    tokens_file = c.one("tokens_file", required=False)
    m = run(list(repos), c.out, *c.config, tokens=read_tokens_file(tokens_file) if tokens_file else None,
            executor=c.runner_executor())
    return f"kept {m.counts.get('prs_kept', 0)} of {m.counts.get('prs_seen', 0)} merged PRs, dropped: {_drops(m)}"


def ctx_render(c: StageCall) -> str:
    from agentmt.corpus.render import render_ctx

    fmt = c.options.get("format", "py")
    config = list(c.config)
    heldout = c.one("heldout", required=False)
    if heldout is not None:
        # The evaluation tasks are the decontamination set: their PRs (by repo and number, base
        # commit, patch or 13-grams) never reach the training documents.
        rows = Path(heldout) / "tasks.jsonl"
        if not rows.is_file():
            raise ConfigError(f"stage {c.out.name!r}: held-out input {heldout} has no tasks.jsonl (a tasks split folder)")
        config.append(f"curation.instances_file={rows}")
    m = render_ctx(c.one("prs"), c.out, fmt, *config, no_llm=bool(c.options.get("no_llm", False)),
                   executor=c.runner_executor())
    return f"{m.counts.get('kept', 0)} {fmt} documents, {m.extra['tokens'][fmt]:,} tokens, dropped: {_drops(m)}"


def tasks_from_prs(c: StageCall) -> str:
    from agentmt.environments.stages import tasks_from_prs as run

    limit = c.options.get("limit")  # keep the first N candidates (a small run: tests, trials)
    m = run(c.one("prs"), c.out, executor=c.runner_executor(), limit=int(limit) if limit else None)
    return f"{m.counts.get('tasks_out', 0)} task candidates, dropped: {_drops(m)}"


def env_build(c: StageCall) -> str:
    from agentmt.environments.stages import build_envs

    m = build_envs(c.one("tasks"), c.out, *c.config, repo=c.one("repo", required=False),
                   executor=c.runner_executor())
    return f"built {m.counts.get('tasks_out', 0)} of {m.counts.get('tasks_in', 0)}, dropped: {_drops(m)}"


def env_validate(c: StageCall) -> str:
    from agentmt.environments.stages import validate_envs

    m = validate_envs(c.one("tasks"), c.out, *c.config, executor=c.runner_executor())
    return f"validated {m.counts.get('tasks_out', 0)} of {m.counts.get('tasks_in', 0)}, dropped: {_drops(m)}"


def tasks_split(c: StageCall) -> str:
    from agentmt.evaluation.split import split_tasks

    ids = split_tasks(c.one("tasks"), c.out, *c.config)
    return f"{len(ids['train'])} train, {len(ids['heldout'])} held-out"


def _agent_specs(c: StageCall) -> list[str]:
    model = c.one("model", required=False)  # a checkpoint from an earlier stage, else options.model
    model = str(model) if model is not None else c.options.get("model")
    k = c.options.get("k")
    return [*c.config, *([f"k={k}"] if k else []), *([f"model={model}"] if model else []),
            f"executor={c.executor}"]


def rollout(c: StageCall) -> str:
    from agentmt.rollouts.stage import run_rollouts

    m = run_rollouts(c.one("tasks"), c.out, *_agent_specs(c), progress=False)
    return f"{m.counts['trajectories']} trajectories, {m.counts['resolved']} resolved"


def envdata_render(c: StageCall) -> str:
    from agentmt.envdata.render import render_env

    m = render_env(c.many("rollouts"), c.out, *c.config)
    return f"{m.counts['trajectories_pass']} pass, {m.counts['trajectories_fail']} fail, dropped: {_drops(m)}"


def _data_root(c: StageCall) -> Path:
    # Training presets name their data relative to data_root; the pipeline's stage folders are those names.
    return c.one("data_root", required=False) or c.run_dir


def train_mt(c: StageCall) -> str:
    from agentmt.training.mt import run_mt

    final = run_mt(*c.config, f"data_root={_data_root(c)}", f"output_dir={c.out}")
    return f"final checkpoint {final}"


def train_sft(c: StageCall) -> str:
    from agentmt.training.sft import run_sft

    model = c.one("model", required=False)
    final = run_sft(*c.config, f"data_root={_data_root(c)}", f"output_dir={c.out}",
                    *([f"model={model}"] if model else []))
    return f"final checkpoint {final}"


def evaluate(c: StageCall) -> str:
    from agentmt.evaluation.harness import run_eval

    train_data = [str(p) for p in c.many("train_data")]
    specs = [*_agent_specs(c), *([f"train_data={json.dumps(train_data)}"] if train_data else [])]
    r = run_eval(c.one("tasks"), c.out, *specs, progress=False)
    p1 = r.get("pass@1")
    return (f"Pass@1 {'n/a' if p1 is None else f'{100 * p1:.1f}%'} over {r['num_runs']} run(s) of "
            f"{r['num_tasks']} tasks, {r['infra_failures']} infra failures")


def report(c: StageCall) -> str:
    from agentmt.report import build_report

    index = build_report(c.one("run", required=False) or c.run_dir, c.out)
    return f"HTML report {index}"


KINDS: dict[str, Callable[[StageCall], str]] = {
    "demo_init": demo_init, "mine_git": mine_git, "mine_github": mine_github, "ctx_render": ctx_render,
    "tasks_from_prs": tasks_from_prs, "env_build": env_build, "env_validate": env_validate,
    "tasks_split": tasks_split, "rollout": rollout, "envdata_render": envdata_render,
    "train_mt": train_mt, "train_sft": train_sft, "eval": evaluate, "report": report,
}
