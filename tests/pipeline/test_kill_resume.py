"""`kill -9` at several moments of a whole pipeline run, then a rerun: the outputs of an uninterrupted run.

The pipeline has every stage kind the demo pipeline uses (demo init, mining, tasks, Docker env build
and validation, held-out split, D_ctx py and gen, rollouts, gold replays, D_env render, eval, two MT
stages, SFT, report), sized down: 3 tasks, a scripted agent and the gold model instead of the
embedded LLM, a 2-layer model trained 2 steps a stage. One uninterrupted run is the reference; a
second run into the same path is killed at K moments drawn from MOMENTS (each killed attempt is
rerun and killed at a later moment), then run to the end. Moments are signalled by files
appearing (a stage marker, a unit marker, a checkpoint folder), never by sleeping.

Compared: every data file (Parquet, JSONL, Arrow) byte for byte, where bytes differ only the
wall-clock fields records carry by design (build/validation seconds, step and tool times) may
differ; every JSON output and manifest minus those fields; final weights and loss curves within
float tolerance; timings.json shows no failed stage. Replay a failure with the seed or the
moments it prints: AGENTMT_KILL_SEED=N or AGENTMT_KILL_MOMENTS=pattern,pattern.

The pipeline renders py documents without the LLM; `ctx render`'s LLM path (the embedded model
served by agentmt) is killed mid-generation in a test of its own below, and so is the per-folder
pseudonym salt the pipeline fixes by config.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PIPELINE = """
name: kill
stages:
  - {name: demo, kind: demo_init}
  - {name: prs-py, kind: mine_git, inputs: {repo: demo/repo, metadata: demo/metadata},
     config: [progress=false, shard_size=6]}
  - {name: prs-gen, kind: mine_git, inputs: {repo: demo/repo, metadata: demo/metadata},
     config: [filters.profile=gen, progress=false, shard_size=6]}
  - {name: tasks, kind: tasks_from_prs, inputs: {prs: prs-py}, options: {limit: 3}}
  - {name: envs, kind: env_build, inputs: {tasks: tasks, repo: demo/repo}}
  - {name: tasks-valid, kind: env_validate, inputs: {tasks: envs}, config: [runs=1]}
  - {name: split, kind: tasks_split, inputs: {tasks: tasks-valid}}
  # A fixed salt: by default each output folder draws its own, so two clean runs would differ.
  - name: ctx-py
    kind: ctx_render
    inputs: {prs: prs-py, heldout: split/heldout}
    options: {format: py, no_llm: true}
    config: [progress=false, curation.decontam_content=false, curation.pseudonym_salt=kill-test]
  - name: ctx-gen
    kind: ctx_render
    inputs: {prs: prs-gen, heldout: split/heldout}
    options: {format: gen, no_llm: true}
    config: [progress=false, curation.decontam_content=false, curation.pseudonym_salt=kill-test]
  - {name: rollouts, kind: rollout, inputs: {tasks: split/train}, options: {model: "scripted:{actions}", k: 2}}
  - {name: replays, kind: rollout, inputs: {tasks: split/train}, options: {model: gold}}
  - {name: d-env, kind: envdata_render, inputs: {rollouts: [rollouts]}}
  - {name: d-env-replay, kind: envdata_render, inputs: {rollouts: [replays]}}
  - name: eval
    kind: eval
    inputs: {tasks: split/heldout, train_data: [ctx-py, ctx-gen, d-env, d-env-replay]}
    options: {model: gold, k: 2}
    config: [eval_demo]
  - name: mt
    kind: train_mt
    inputs: {data: [ctx-gen, ctx-py, d-env, d-env-replay]}
    config: [train_mt_demo, "model={tiny}", max_steps=2, save_steps=1, seq_len=64, global_batch_size=2,
             micro_batch_size=1]
  - name: sft
    kind: train_sft
    inputs: {model: mt/stage2_ctx_py_env/final, data: [d-env, d-env-replay]}
    config: [train_sft_demo, max_steps=2, save_steps=1, seq_len=3072, global_batch_size=2, micro_batch_size=1]
  - name: report
    kind: report
    inputs: {after: [eval, mt, sft]}
"""

# A scripted agent that looks around and submits nothing: failed trajectories for D_env's fail sets.
ACTIONS = """
- {bash: "ls /testbed", thought: "look around"}
- {bash: "cd /testbed && git status --short", thought: "nothing changed yet"}
- {submit: true}
"""

# Glob patterns (relative to the run folder) whose first match marks a moment, in pipeline order.
MOMENTS = [
    "prs-py/.done/part-00000.parquet",          # mining: the first shard of a streaming unit
    "prs-gen/.done/part-00001.parquet",
    "tasks/.done/prs-part-00000.parquet",
    ".pipeline/envs.json",                      # env build started: inside the first image build
    "envs/.done/*",                             # one task built, others not
    "tasks-valid/.done/*",                      # one task validated (its containers may still run)
    ".pipeline/split.json",
    "ctx-py/.done/part-00000.parquet",          # curation state (dedup) rebuilt from finished shards
    "ctx-gen/.done/part-00001.parquet",
    "rollouts/.done/*",                         # one (task, attempt) finished, others in containers
    "replays/.stage.json",
    ".pipeline/d-env.json",
    "eval/runs/.done/*",
    "mt/stage1_ctx_gen/data/.done/*",           # tokenizing / packing
    "mt/stage1_ctx_gen/checkpoint-1",           # a resumable checkpoint being written
    "mt/stage1_ctx_gen/final.tmp",              # the final checkpoint being written
    "mt/stage2_ctx_py_env/checkpoint-1/trainer_state.json",
    "mt/stage2_ctx_py_env/final",
    "sft/data/.done/*",
    "sft/checkpoint-1",
    "sft/final.tmp",
    ".pipeline/report.json",
]
NUM_KILLS = 4

# Fields records carry by design that measure wall-clock time, the machine or the run's history rather
# than its result (a fingerprint over them; the images env build pruned from the machine-wide cache;
# how many finished units a resumed run reused); nothing else may differ.
WALL_CLOCK = {"started_at", "finished_at", "build_seconds", "seconds", "model_time_s", "tool_time_s",
              "seconds_when_run", "cpu_seconds", "total_seconds", "fingerprint", "pruned", "items_reused",
              "runs_reused"}
TEST_DURATION = re.compile(r"\bin \d+(?:\.\d+)?s\b(?: \(\d+:\d\d:\d\d\))?")
TRAINING_LOGS = {"loss.jsonl", "samples-rank0.jsonl"}  # append-only step logs, compared per step


def _stage_of(moment: str) -> str:
    parts = moment.split("/")
    return parts[1].removesuffix(".json") if parts[0] == ".pipeline" else parts[0]


def pick_moments(seed: int) -> list[str]:
    """NUM_KILLS moments in distinct stages, in pipeline order (or AGENTMT_KILL_MOMENTS, comma-separated)."""
    forced = os.environ.get("AGENTMT_KILL_MOMENTS")
    if forced:
        chosen = [m.strip() for m in forced.split(",") if m.strip()]
        unknown = [m for m in chosen if m not in MOMENTS]
        assert not unknown, f"AGENTMT_KILL_MOMENTS: {unknown} are not in MOMENTS"
    else:
        rng, chosen, stages = random.Random(seed), [], set()
        for m in rng.sample(MOMENTS, len(MOMENTS)):
            if _stage_of(m) not in stages and len(chosen) < NUM_KILLS:
                chosen.append(m)
                stages.add(_stage_of(m))
    return sorted(chosen, key=MOMENTS.index)


def _agentmt(*args: str) -> list[str]:
    return [sys.executable, "-m", "agentmt.cli.main", *args]


def _cmd(pipeline: Path, run: Path) -> list[str]:
    return _agentmt("run", str(pipeline), "--out", str(run))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _run_to_end(pipeline: Path, run: Path, log: Path, why: str) -> None:
    with log.open("w") as out:
        r = subprocess.run(_cmd(pipeline, run), stdout=out, stderr=subprocess.STDOUT, env=_env(), timeout=900,
                           check=False)
    assert r.returncode == 0, f"{why}: the pipeline failed (rc {r.returncode}):\n{log.read_text()[-4000:]}"


def _matches(run: Path, pattern: str) -> list[Path]:
    return list(run.glob(pattern)) if any(c in pattern for c in "*?[") else [run / pattern] * (run / pattern).exists()


def _kill_when(cmd: list[str], run: Path, moment: str, log: Path, why: str) -> None:
    """Start CMD and SIGKILL its whole process group the moment RUN/MOMENT appears."""
    assert not _matches(run, moment), f"{why}: {moment} exists before the attempt that should kill there"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)
        try:
            while not _matches(run, moment):
                try:
                    proc.wait(timeout=0.01)  # polls the folder; returns early only if the run ended
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"{why}: the pipeline ended (rc {proc.returncode}) before {moment} appeared:\n"
                            f"{log.read_text()[-3000:]}")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _normalize(value):
    """The value with wall-clock fields removed, JSON strings (Parquet's JSON columns) parsed."""
    if isinstance(value, dict):
        if set(value) == {"key", "value"} and isinstance(value["value"], float):
            return {"key": value["key"]}  # a timings entry {key: model_s, value: 0.49}
        return {k: _normalize(v) for k, v in value.items() if k not in WALL_CLOCK}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _normalize(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, str):
        # a test run's own duration in an observation (pytest's "4 passed in 0.01s", unittest's
        # "Ran 4 tests in 0.003s"): the gold replays run the touched tests, and a rerun's clock differs
        return TEST_DURATION.sub("in <s>", value)
    return value


def _rows(path: Path):
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return {"schema": str(table.schema), "rows": table.to_pylist()}
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return json.loads(path.read_text())


def _outputs(run: Path) -> list[Path]:
    """Every file a stage wrote, by relative path: markers, the demo's git internals, HTML and logs aside."""
    files = []
    for p in sorted(run.rglob("*")):
        rel = p.relative_to(run)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts) or rel.parts[0] == "demo" \
                and rel.parts[1:2] == ("repo",):
            continue
        if p.suffix in (".html", ".png", ".log", ".txt") or rel.name == "timings.json":
            continue  # pages and plots show wall-clock figures; timings.json is checked apart
        files.append(rel)
    return files


def compare_runs(ref: Path, run: Path, why: str) -> None:
    import torch
    from safetensors.torch import load_file

    from agentmt.report.collect import read_loss
    from agentmt.training.trainer import read_step_log

    ref_files, run_files = _outputs(ref), _outputs(run)
    assert run_files == ref_files, f"{why}: other files: {sorted(set(run_files) ^ set(ref_files))}"
    for rel in ref_files:
        a, b = ref / rel, run / rel
        if rel.suffix == ".safetensors":
            wa, wb = load_file(str(a)), load_file(str(b))
            assert wa.keys() == wb.keys(), f"{why}: {rel}"
            for k in wa:
                assert torch.allclose(wa[k], wb[k], rtol=1e-4, atol=1e-6), f"{why}: {rel} {k}"
        elif rel.name in TRAINING_LOGS:
            # Append-only step logs: a resumed run logs again the steps it redoes after its checkpoint;
            # per step the last entry counts (read_step_log), and the report reads losses the same way.
            la, lb = read_step_log(a), read_step_log(b)
            assert lb.keys() == la.keys(), f"{why}: {rel} steps"
            for step in la:
                if rel.name == "loss.jsonl":
                    assert math.isclose(la[step]["loss"], lb[step]["loss"], rel_tol=1e-4), f"{why}: {rel} {step}"
                else:
                    assert lb[step] == la[step], f"{why}: {rel} step {step} trained on other samples"
            if rel.name == "loss.jsonl":
                steps = lambda d: [r["step"] for r in read_loss(d)[0]]
                assert steps(b.parent) == steps(a.parent) == list(la), f"{why}: the report's loss curve of {rel}"
        elif a.read_bytes() != b.read_bytes():
            assert rel.suffix in (".parquet", ".jsonl", ".json"), f"{why}: {rel} differs byte for byte"
            assert _normalize(_rows(b)) == _normalize(_rows(a)), f"{why}: {rel} differs beyond wall-clock fields"
    status = {s["stage"]: s["status"] for s in json.loads((run / "timings.json").read_text())["stages"]}
    assert set(status.values()) <= {"ran", "skipped"}, f"{why}: {status}"
    leftovers = [str(p.relative_to(run)) for p in run.rglob("*")
                 if p.name.endswith(".tmp") or p.name.startswith("checkpoint-")]
    assert not leftovers, f"{why}: left behind {leftovers}"


@pytest.fixture
def tiny_model(embedded_checkpoint, tmp_path) -> Path:
    """A 2-layer Llama with the embedded model's tokenizer and chat template, seeded init (fast CPU steps)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "tiny"
    config = AutoConfig.from_pretrained(embedded_checkpoint)
    config.update({"num_hidden_layers": 2, "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2,
                   "num_key_value_heads": 1, "head_dim": 16})
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)
    AutoTokenizer.from_pretrained(embedded_checkpoint).save_pretrained(out)
    return out


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.timeout(1200)
def test_kill_9_at_several_moments_then_rerun_gives_the_uninterrupted_outputs(docker_daemon, tiny_model, tmp_path):
    from agentmt.environments.runtime import reap_leaked_containers

    seed = int(os.environ.get("AGENTMT_KILL_SEED") or random.randrange(2**31))
    moments = pick_moments(seed)
    why = f"AGENTMT_KILL_SEED={seed} AGENTMT_KILL_MOMENTS={','.join(moments)}"
    actions = tmp_path / "actions.yaml"
    actions.write_text(ACTIONS)
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(PIPELINE.replace("{actions}", str(actions)).replace("{tiny}", str(tiny_model)))
    run = tmp_path / "run"  # both runs write this path: records name the demo clone and the stage folders
    try:
        _run_to_end(pipeline, run, tmp_path / "reference.log", f"{why} (reference run)")
        ref = tmp_path / "ref"
        run.rename(ref)
        for i, moment in enumerate(moments):
            _kill_when(_cmd(pipeline, run), run, moment, tmp_path / f"killed-{i}.log", f"{why} (attempt {i + 1})")
        _run_to_end(pipeline, run, tmp_path / "resumed.log", f"{why} (final rerun)")
        compare_runs(ref, run, why)
    finally:
        reap_leaked_containers()  # containers of the killed attempts whose owner is gone


def test_a_checkpoint_torn_by_a_kill_is_not_resumed_from_and_is_removed(tmp_path):
    """Found by the kill test: the Trainer writes checkpoint-N in place, trainer_state.json last."""
    from agentmt.training.checkpoint import latest_checkpoint

    stage = tmp_path / "stage"
    for step, state in ((1, '{"global_step": 1}'), (2, '{"global_step": 2}'), (3, '{"global_st')):
        (stage / f"checkpoint-{step}").mkdir(parents=True)
        (stage / f"checkpoint-{step}" / "model.safetensors").write_bytes(b"weights")
        (stage / f"checkpoint-{step}" / "trainer_state.json").write_text(state)  # 3: killed mid-write
    (stage / "checkpoint-4").mkdir()  # killed right after the folder was made
    assert latest_checkpoint(stage) == str(stage / "checkpoint-2")
    assert sorted(p.name for p in stage.iterdir()) == ["checkpoint-1", "checkpoint-2"]
    assert latest_checkpoint(tmp_path / "absent") is None


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ctx_render_killed_keeps_its_pseudonym_salt_and_leakage_maxima(tmp_path):
    """With no configured salt each output folder draws one; a resumed render must keep it, or its
    shards would pseudonymize the same person two ways. The demo's own tasks as the decontamination
    set make 13-gram leaks: the leakage report must count the documents finished shards dropped."""
    from agentmt import io

    for args in (("demo", "init", str(tmp_path / "demo")),
                 ("mine", "git", str(tmp_path / "demo" / "repo"), "--metadata", str(tmp_path / "demo" / "metadata"),
                  "--out", str(tmp_path / "prs"), "-c", "filters.profile=gen", "-c", "shard_size=4",
                  "-c", "progress=false"),
                 ("tasks", "from-prs", str(tmp_path / "prs"), "--out", str(tmp_path / "tasks"))):
        r = subprocess.run(_agentmt(*args), capture_output=True, text=True, env=_env(), check=False)
        assert r.returncode == 0, r.stderr[-2000:]
    assert len(io.read_manifest(tmp_path / "prs")["shards"]) >= 3

    def render(out: Path, *extra: str) -> list[str]:
        return _agentmt("ctx", "render", str(tmp_path / "prs"), "--format", "gen", "--no-llm", "--out", str(out),
                        "-c", "progress=false", "-c", f"curation.instances_file={tmp_path / 'tasks' / 'tasks.jsonl'}",
                        "-c", "curation.decontam_content=false", *extra)

    out = tmp_path / "ctx"
    # killed while rendering (pass a of a curated render), after its fifth shard's keys were written
    _kill_when(render(out), out, ".curate/render/.done/part-00004.parquet", tmp_path / "killed.log", "ctx render")
    assert not (out / io.MANIFEST).exists(), "the render finished before the kill"
    salt = (out / ".pseudonym_salt").read_text()
    r = subprocess.run(render(out), capture_output=True, text=True, env=_env(), check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / ".pseudonym_salt").read_text() == salt
    # The resumed folder holds what one uninterrupted render with that salt writes, byte for byte.
    clean = tmp_path / "clean"
    r = subprocess.run(render(clean, "-c", f"curation.pseudonym_salt={salt}"), capture_output=True, text=True,
                       env=_env(), check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    shards = io.read_manifest(clean)["shards"]
    assert io.read_manifest(out)["shards"] == shards and len(shards) >= 3
    assert {s: (out / s).read_bytes() for s in shards} == {s: (clean / s).read_bytes() for s in shards}
    got, want = io.read_manifest(out), io.read_manifest(clean)
    assert got["counts"]["identity_pseudonymized"] > 0 and got["drops"].get("ngram_leak", 0) > 0
    assert (got["counts"], got["drops"]) == (want["counts"], want["drops"])
    assert got["extra"]["curation"] == want["extra"]["curation"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ctx_render_with_the_llm_killed_mid_generation_then_rerun_matches_a_clean_render(embedded_checkpoint,
                                                                                         tmp_path):
    """The LLM path of `ctx render` (the embedded model served by agentmt, greedy so two servers agree),
    killed right after its first answer reached the cache, then rerun: the documents of a clean render
    with a cache of its own. One shard of two PRs and short prompts keep it to a few short generations."""
    import shutil

    from agentmt import io

    r = subprocess.run(_agentmt("demo", "init", str(tmp_path / "demo")), capture_output=True, text=True, env=_env(), check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run(_agentmt("mine", "git", str(tmp_path / "demo" / "repo"), "--metadata",
                                str(tmp_path / "demo" / "metadata"), "--out", str(tmp_path / "mined"),
                                "-c", "shard_size=2", "-c", "progress=false"), capture_output=True, text=True, env=_env(), check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    prs = tmp_path / "prs"
    prs.mkdir()
    shutil.copy(tmp_path / "mined" / io.shard_name(0), prs / io.shard_name(0))

    def render(out: Path, cache: Path) -> list[str]:
        return _agentmt("ctx", "render", str(prs), "--format", "py", "--out", str(out), "-c", "ctx_demo",
                        "-c", "llm.temperature=0", "-c", "llm.max_summary_tokens=12", "-c", "llm.max_message_tokens=8",
                        "-c", "llm.max_prompt_chars=3000", "-c", "llm.patch_chars=400", "-c", "llm.summary_patch_chars=400",
                        "-c", f"llm.cache_dir={cache}", "-c", "curation.pseudonym_salt=kill-test", "-c", "progress=false")

    out, cache = tmp_path / "ctx", tmp_path / "cache"
    _kill_when(render(out, cache), tmp_path, "cache/*/*.json", tmp_path / "killed.log", "ctx render (LLM)")
    assert not (out / io.MANIFEST).exists(), "the render finished before the kill"
    for cmd in (render(out, cache), render(tmp_path / "clean", tmp_path / "clean-cache")):
        r = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=600,
                           check=False)
        assert r.returncode == 0, r.stderr[-2000:]
    got, want = io.read_manifest(out), io.read_manifest(tmp_path / "clean")
    assert got["shards"] == want["shards"]
    assert {s: (out / s).read_bytes() for s in got["shards"]} == {s: (tmp_path / "clean" / s).read_bytes()
                                                                  for s in want["shards"]}
    assert want["counts"]["prs_summarized"] > 0 and got["counts"]["llm_cached"] > 0  # the rerun reused answers
    assert got["drops"] == want["drops"]
