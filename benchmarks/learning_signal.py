"""Learning signal on the CPU: does training on the demo's gold replays teach the embedded model to act?

On the demo's split (the pipeline's own stages, through `agentmt run`): gold replays of the train
tasks → D_env → SFT of the embedded SmolLM2-135M, and MT stage 2 (the D_env MT text) + SFT; then
the base and both trained checkpoints act on the held-out tasks with a budget that fits real tool
calls. Per checkpoint: share of steps with a parseable tool call, share of runs that submit, mean
steps, Pass@1, with the steps, sequence lengths and stage wall times used.

The first pass stops at D_env so the training sequence length can be set to the longest rendered
trajectory (none is cut). Then three pipelines run at once over the same front stages, each in its
own folder: the base model's evaluation (OUT/run), SFT and its evaluation (OUT/run-sft, a copy of the
front), MT + SFT and its evaluation (OUT/run-mt-sft). They share no stage, so on a loaded machine the
base model's slow answers and the two training chains overlap. A rerun reuses every finished stage.
Usage: python benchmarks/learning_signal.py [OUT] [--sft-steps 8] [--mt-steps 4] [--lr 2e-4] [--eval-steps 1]
[--max-tokens 192] [--checkpoints base,sft,mt+sft]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

FRONT = [  # the demo pipeline's own stages up to the held-out split (configs/pipelines/demo.yaml)
    {"name": "demo", "kind": "demo_init"},
    {"name": "prs-py", "kind": "mine_git", "inputs": {"repo": "demo/repo", "metadata": "demo/metadata"}},
    {"name": "tasks", "kind": "tasks_from_prs", "inputs": {"prs": "prs-py"}},
    {"name": "envs", "kind": "env_build", "inputs": {"tasks": "tasks", "repo": "demo/repo"}, "options": {"jobs": 2}},
    {"name": "tasks-valid", "kind": "env_validate", "inputs": {"tasks": "envs"}, "options": {"jobs": 2}},
    {"name": "split", "kind": "tasks_split", "inputs": {"tasks": "tasks-valid"}},
    {"name": "replays", "kind": "rollout", "inputs": {"tasks": "split/train"}, "options": {"model": "gold"}},
    {"name": "d-env-replay", "kind": "envdata_render", "inputs": {"rollouts": ["replays"]}},
]
# checkpoint -> (pipeline, its evaluation stage)
CHECKPOINTS = {"base": ("base", "eval-base"), "sft": ("sft", "eval-sft"), "mt+sft": ("mt-sft", "eval-mt-sft")}


def configs(seq_len: int, args) -> dict[str, dict]:
    """The benchmark's training and evaluation presets (written next to the pipeline)."""
    train = {"data_root": ".", "seq_len": seq_len, "global_batch_size": 1, "micro_batch_size": 1,
             "learning_rate": args.lr, "warmup_ratio": 0.0, "lr_scheduler": "constant", "precision": "fp32",
             "gradient_checkpointing": False, "save_steps": 1000, "logging_steps": 1}
    sft_data = [{"path": "d-env-replay/sft/pass", "kind": "env"}]
    return {
        "sft": {**train, "model": "embedded", "data": sft_data, "epochs": 100, "max_steps": args.sft_steps},
        "mt": {**train, "model": "embedded", "max_steps": args.mt_steps, "stages": [
            {"name": "stage2_env", "sources": [{"path": "d-env-replay/mt/pass", "kind": "ctx"}], "epochs": 100}]},
        # held-out tasks at temperature 0, max_tokens enough for one str_replace_editor call of a demo hunk;
        # a model that never stops (the base) spends all of them each step, ~1.5 tokens/s on 2 loaded cores
        "eval": {"k": 1, "containers": 2, "model_slots": 1, "grading_timeout_s": 120,
                 "sampling": {"temperature": 0, "max_tokens": args.max_tokens, "timeout_s": 1200, "retries": 0},
                 "agent": {"step_limit": args.eval_steps, "max_format_errors": args.eval_steps,
                           "wall_limit_s": 900, "command_timeout_s": 60, "context_limit_tokens": 8192}},
    }


def pipelines(out: Path, seq_len: int, args) -> dict[str, Path]:
    """Write the three pipelines, each the front stages + one checkpoint's training and evaluation."""
    cfg_dir = out / "configs"
    cfg_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, body in configs(seq_len, args).items():
        paths[name] = cfg_dir / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(body, sort_keys=False))
    ev = {"kind": "eval", "config": [str(paths["eval"])]}
    base = [*FRONT, {"name": "eval-base", **ev, "inputs": {"tasks": "split/heldout"}, "options": {"model": "embedded"}}]
    sft = [*FRONT,
           {"name": "sft", "kind": "train_sft", "inputs": {"data": ["d-env-replay"]}, "config": [str(paths["sft"])]},
           {"name": "eval-sft", **ev, "inputs": {"tasks": "split/heldout", "model": "sft/final"}}]
    mt_sft = [*FRONT,
              {"name": "mt", "kind": "train_mt", "inputs": {"data": ["d-env-replay"]}, "config": [str(paths["mt"])]},
              {"name": "mt-sft", "kind": "train_sft", "inputs": {"model": "mt/stage2_env/final", "data": ["d-env-replay"]},
               "config": [str(paths["sft"])]},
              {"name": "eval-mt-sft", **ev, "inputs": {"tasks": "split/heldout", "model": "mt-sft/final"}}]
    written = {}
    for name, stages in (("base", base), ("sft", sft), ("mt-sft", mt_sft)):
        written[name] = out / f"{name}.yaml"
        written[name].write_text(yaml.safe_dump({"name": f"learning-signal-{name}", "stages": stages}, sort_keys=False))
    return written


def copy_front(src: Path, dest: Path) -> None:
    """The front stages' folders and done-markers from src into dest, so dest's pipeline skips them."""
    for stage in FRONT:
        name = stage["name"]
        shutil.rmtree(dest / name, ignore_errors=True)
        shutil.copytree(src / name, dest / name, symlinks=True)
        (dest / ".pipeline").mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / ".pipeline" / f"{name}.json", dest / ".pipeline" / f"{name}.json")


def agentmt_run(path: Path, run_dir: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("agentmt")), "run", str(path), "--out", str(run_dir)]


def run(path: Path, run_dir: Path) -> None:
    subprocess.run(agentmt_run(path, run_dir), check=True)


def run_together(jobs: dict[str, tuple[Path, Path]], logs: Path) -> None:
    """Run several pipelines at once, each logging to logs/NAME.log; raise naming those that failed."""
    procs = {}
    for name, (path, run_dir) in jobs.items():
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with its process below
        procs[name] = (subprocess.Popen(agentmt_run(path, run_dir), stdout=log, stderr=subprocess.STDOUT), log)
        print(f"pipeline {name}: {run_dir} (log {logs / f'{name}.log'})", flush=True)
    failed = []
    for name, (proc, log) in procs.items():
        if proc.wait() != 0:
            failed.append(name)
        log.close()
    if failed:
        raise SystemExit(f"pipelines failed: {', '.join(failed)}; see their logs in {logs}")


def longest_trajectory(d_env: Path) -> int:
    """Tokens of the longest SFT conversation of D_env, rendered as SFT renders it."""
    from agentmt import io
    from agentmt.corpus.tokenize import load_tokenizer
    from agentmt.training.chat import render_conversation

    tok = load_tokenizer("embedded")
    rows = io.read_rows(d_env / "sft" / "pass")
    return max(len(render_conversation(r["messages"], tok).input_ids) for r in rows)


def measure(eval_dir: Path) -> dict:
    """Parseable-action rate, submit rate, mean steps and Pass@1 of one evaluation folder."""
    from agentmt.rollouts.records import read_trajectories

    trajs = list(read_trajectories(eval_dir / "runs"))
    turns = [m for t in trajs for m in t.messages if m.role == "assistant"]
    report = json.loads((eval_dir / "report.json").read_text())
    return {"runs": len(trajs), "steps": len(turns),
            "parseable_rate": sum(bool(m.tool_calls) for m in turns) / max(1, len(turns)),
            "submit_rate": sum(t.exit_status == "submitted" for t in trajs) / max(1, len(trajs)),
            "mean_steps": len(turns) / max(1, len(trajs)), "pass@1": report.get("pass@1"),
            "exit_status": {s: sum(t.exit_status == s for t in trajs) for s in {t.exit_status for t in trajs}}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="learning-signal-out")
    ap.add_argument("--sft-steps", type=int, default=8)
    ap.add_argument("--mt-steps", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--eval-steps", type=int, default=1)  # the first action: what SFT teaches first
    ap.add_argument("--max-tokens", type=int, default=192)
    ap.add_argument("--checkpoints", default=",".join(CHECKPOINTS),
                    help="which checkpoints to train and evaluate (comma-separated; default all)")
    args = ap.parse_args()
    chosen = [c.strip() for c in args.checkpoints.split(",") if c.strip()]
    if not chosen or set(chosen) - set(CHECKPOINTS):
        ap.error(f"--checkpoints takes a comma-separated subset of {', '.join(CHECKPOINTS)}")
    out = Path(args.out).resolve()
    run_dir = out / "run"
    os.environ.setdefault("AGENTMT_HOME", str(Path.cwd() / ".agentmt"))
    t0 = time.monotonic()
    front = out / "front.yaml"
    out.mkdir(parents=True, exist_ok=True)
    front.write_text(yaml.safe_dump({"name": "learning-signal-front", "stages": FRONT}, sort_keys=False))
    run(front, run_dir)
    longest = longest_trajectory(run_dir / "d-env-replay")
    seq_len = -(-longest // 256) * 256  # whole trajectories: none is cut
    paths = pipelines(out, seq_len, args)
    dirs = {name: run_dir if name == "base" else out / f"run-{name}" for name in paths}
    picked = [CHECKPOINTS[c][0] for c in chosen]
    for name in picked:
        if name != "base":
            copy_front(run_dir, dirs[name])
    t1 = time.monotonic()
    run_together({name: (paths[name], dirs[name]) for name in picked}, out)
    together_s = time.monotonic() - t1
    # seconds each stage took when it last ran (a stage skipped as unchanged reports its earlier run)
    timings = {}
    for d in [dirs[n] for n in picked if n != "base"] + [run_dir]:  # front stages: the base folder's times
        for st in json.loads((d / "timings.json").read_text())["stages"]:
            timings[st["stage"]] = st.get("seconds_when_run") or st["seconds"]
    result = {"seq_len": seq_len, "longest_trajectory_tokens": longest, "sft_steps": args.sft_steps,
              "mt_steps": args.mt_steps, "lr": args.lr, "eval_step_limit": args.eval_steps,
              "eval_max_tokens": args.max_tokens, "wall_s": round(time.monotonic() - t0, 1),
              "pipelines_together_s": round(together_s, 1), "stage_timings": timings,
              "checkpoints": {c: measure(dirs[CHECKPOINTS[c][0]] / CHECKPOINTS[c][1]) for c in chosen}}
    for name in [n for n in picked if n != "base"]:
        manifest = dirs[name] / name / "manifest.json"
        if manifest.exists():
            result[f"{name}_counts"] = json.loads(manifest.read_text()).get("counts", {})
    (out / "learning_signal.json").write_text(json.dumps(result, indent=2))
    print(f"{'checkpoint':<8} {'parseable':>9} {'submit':>7} {'steps':>6} {'pass@1':>7}")
    for name, m in result["checkpoints"].items():
        p1 = "n/a" if m["pass@1"] is None else f"{100 * m['pass@1']:.1f}%"
        print(f"{name:<8} {100 * m['parseable_rate']:>8.1f}% {100 * m['submit_rate']:>6.1f}% "
              f"{m['mean_steps']:>6.2f} {p1:>7}")
    print(f"seq_len {seq_len} (longest trajectory {longest} tokens), SFT {args.sft_steps} steps, "
          f"MT {args.mt_steps} steps, wall {result['wall_s']:.0f} s; details in {out / 'learning_signal.json'}")


if __name__ == "__main__":
    main()
