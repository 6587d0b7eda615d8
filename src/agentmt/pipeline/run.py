"""Run a pipeline: each stage in its own folder of the run folder, skipped when nothing it depends on changed.

A stage's fingerprint covers its kind, config specs (and the bytes of any YAML file they name), options,
agentmt's version and its inputs: an earlier stage's fingerprint, or a path's manifest / bytes / listing.
`RUN/.pipeline/NAME.json` holds the fingerprint with state `started` or `done`: a done stage with the
same fingerprint is skipped; a started one resumes (the runner's markers and training checkpoints
keep finished work); a different fingerprint clears the stage's folder and redoes it, and so every
stage after it (their fingerprints chain). A failing stage is reported and skips its dependents only.
With `parallel: N`, up to N stages whose inputs are done run at once, each overlapping one in a child
process of its own (its markers, CPU time and failure are its own); a stage alone runs in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agentmt import io
from agentmt.pipeline.spec import PipelineSpec, PipelineStage, is_path, load_pipeline, stage_ref
from agentmt.pipeline.stages import KINDS, StageCall
from agentmt.runner import stage_fingerprint
from agentmt.secrets import redact_spec

# Kinds that still run when an input stage failed: a report shows what did and did not finish.
REPORTS_FAILURES = {"report"}


@dataclass
class StageResult:
    """How one stage went: ran, skipped (unchanged), failed or blocked (an input stage failed)."""

    name: str
    kind: str
    status: str
    seconds: float
    out: Path
    summary: str = ""
    cpu_seconds: float = 0.0
    """CPU time of this process and its reaped children (model servers, workers): what the stage
    would cost on an idle machine, whatever else shares the cores (Docker builds run in the daemon)."""


def _digest_path(p: Path) -> str:
    """What a path input contributes: a folder's manifest, else its listing; a file's bytes."""
    h = hashlib.sha256()
    if p.is_file():
        h.update(p.read_bytes())
    elif (p / "manifest.json").is_file():
        h.update((p / "manifest.json").read_bytes())
    elif p.is_dir():
        for f in sorted(x for x in p.rglob("*") if x.is_file() and ".git" not in x.parts):
            st = f.stat()
            h.update(f"{f.relative_to(p)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    else:
        h.update(b"missing")
    return h.hexdigest()


def _resolve(value: str, run_dir: Path, base: Path) -> Path:
    if is_path(value):
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p).resolve()
    return run_dir / value


def pipeline_fingerprint(stage: PipelineStage, prior: dict[str, str], run_dir: Path, base: Path) -> str:
    """The stage's fingerprint given the fingerprints of the stages before it (`runner.stage_fingerprint`
    over the kind, config specs with the files they name, options and input digests)."""
    inputs = {}
    for role, vals in sorted(stage.inputs.items()):
        vals = [vals] if isinstance(vals, str) else vals
        inputs[role] = [f"{prior[stage_ref(v)]}:{v}" if stage_ref(v) else _digest_path(_resolve(v, run_dir, base))
                        for v in vals]
    files = {s: _digest_path(Path(s)) for s in stage.config if "=" not in s and Path(s).is_file()}
    # key=value specs hashed redacted (as stage_fingerprint does the rest): a new API key alone is no change
    config = {"specs": [redact_spec(s) for s in stage.config], "config_files": files, "options": stage.options}
    return stage_fingerprint(stage.kind, config, inputs)


def _marker(run_dir: Path, name: str) -> Path:
    return run_dir / ".pipeline" / f"{name}.json"


def _read_marker(run_dir: Path, name: str) -> dict:
    try:
        return io.read_json(_marker(run_dir, name))
    except (OSError, ValueError):
        return {}


def _write_marker(run_dir: Path, name: str, **data) -> None:
    io.write_json(_marker(run_dir, name), data)  # atomic and fsynced: a killed run leaves the old marker or the new


def run_pipeline(spec: str | Path | PipelineSpec, run_dir: str | Path, *, executor: str = "local",
                 echo=print) -> list[StageResult]:
    """Run (or resume) every stage of SPEC under RUN_DIR; write RUN_DIR/timings.json; return the results."""
    if isinstance(spec, PipelineSpec):
        pipeline, base = spec, Path.cwd()
    else:
        pipeline, base = load_pipeline(spec)
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    for tmp in [*run_dir.glob(".timings.json.*.tmp"), *(run_dir / ".pipeline").glob(".*.tmp")]:
        tmp.unlink(missing_ok=True)  # the torn half of a marker or timings write a killed run left
    prior: dict[str, str] = {}
    results: dict[str, StageResult] = {}
    number = {s.name: i for i, s in enumerate(pipeline.stages, 1)}
    pending, running = list(pipeline.stages), []

    def start(stage: PipelineStage) -> tuple:
        fp = prior[stage.name] = pipeline_fingerprint(stage, prior, run_dir, base)
        echo(f"== [{number[stage.name]}/{len(pipeline.stages)}] {stage.name} ({stage.kind})")
        return stage, fp, run_dir / stage.name, run_dir, base, executor, {r: results[r] for r in _refs(stage)}

    def finish(r: StageResult) -> None:
        results[r.name] = r
        who = f"{r.name} " if pipeline.parallel > 1 else ""  # overlapping stages' lines interleave
        echo(f"   {who}{r.status} in {r.seconds:.1f} s: {r.summary}")
        # after each stage, in run order: the report reads it
        write_timings(run_dir, pipeline.name, [results[s.name] for s in pipeline.stages if s.name in results])

    try:
        while pending or running:
            ready = [s for s in pending if all(r in results for r in _refs(s))]
            if not running and (len(ready) == 1 or pipeline.parallel == 1):
                # Alone (every other pending stage waits for it): in this process, as a serial run does.
                pending.remove(ready[0])
                finish(_run_pipeline_stage(*start(ready[0])))
                continue
            for stage in ready[:pipeline.parallel - len(running)]:
                pending.remove(stage)
                running.append(StageProcess(start(stage)))
            ended = _wait_any(running)
            for child in ended:
                running.remove(child)
                finish(child.result())
    except BaseException:
        for child in running:  # Ctrl-C: each child stops its stage as a serial run would
            child.stop()
        raise
    ordered = [results[s.name] for s in pipeline.stages]
    echo(format_table(ordered))
    return ordered


class StageProcess:
    """One stage running in a child process (`agentmt.pipeline.child`), its result read back once it ends."""

    def __init__(self, args: tuple):
        self.stage, self.out = args[0], args[2]
        self.t0 = time.monotonic()
        # beside the markers, named like a torn write: a run killed before reading it removes it when rerun
        (args[3] / ".pipeline").mkdir(parents=True, exist_ok=True)
        fd, self.result_path = tempfile.mkstemp(dir=args[3] / ".pipeline", prefix=f".{self.stage.name}.result.",
                                                suffix=".tmp")
        os.close(fd)
        self.proc = subprocess.Popen([sys.executable, "-m", "agentmt.pipeline.child", self.result_path,
                                      str(os.getpid())], stdin=subprocess.PIPE)
        self.proc.stdin.write(pickle.dumps(args))
        self.proc.stdin.close()

    def result(self) -> StageResult:
        path = Path(self.result_path)
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.stat().st_size else None
        except (OSError, ValueError):
            data = None
        finally:
            path.unlink(missing_ok=True)
        if data is None:  # died before writing its result (a crash, OOM kill, AGENTMT_DEBUG's traceback)
            return StageResult(self.stage.name, self.stage.kind, "failed", time.monotonic() - self.t0, self.out,
                               f"stage process exited with code {self.proc.returncode}")
        return StageResult(**{**data, "out": Path(data["out"])})

    def stop(self) -> None:
        """Interrupt the stage (SIGINT, as Ctrl-C does in a serial run), wait, then kill."""
        for sig, grace in ((None, 2.0), (signal.SIGINT, 60.0), (signal.SIGKILL, None)):
            if sig is not None:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        Path(self.result_path).unlink(missing_ok=True)


def _wait_any(running: list[StageProcess], poll_s: float = 0.2) -> list[StageProcess]:
    while True:
        ended = [c for c in running if c.proc.poll() is not None]
        if ended:
            return ended
        time.sleep(poll_s)


def _run_pipeline_stage(stage: PipelineStage, fp: str, out: Path, run_dir: Path, base: Path, executor: str,
               done: dict[str, StageResult]) -> StageResult:
    marker = _read_marker(run_dir, stage.name)
    # an input stage that ran again in this invocation with the same fingerprint (a retried failure)
    # may hold more than when this stage last ran (a report made while eval had failed): rerun too
    inputs_ran = any(done[v].status == "ran" for v in _refs(stage))
    if marker.get("state") == "done" and marker.get("fingerprint") == fp and out.exists() and not inputs_ran:
        return StageResult(stage.name, stage.kind, "skipped", 0.0, out,
                           f"unchanged (ran in {marker.get('seconds', 0):.1f} s): {marker.get('summary', '')}")
    failed = [r for v in _refs(stage) if (r := done[v]).status in ("failed", "blocked")]
    if failed and stage.kind not in REPORTS_FAILURES:
        return StageResult(stage.name, stage.kind, "blocked", 0.0, out, f"input stage {failed[0].name!r} did not finish")
    if marker.get("fingerprint") != fp and out.exists():
        shutil.rmtree(out)  # made with another config or other inputs: redo it, never mix the two
    elif marker and out.exists():  # started before and not done (killed, or units left to retry)
        remove_torn_writes(out)
    _write_marker(run_dir, stage.name, fingerprint=fp, state="started")
    inputs = {role: ([_resolve(v, run_dir, base) for v in vals] if isinstance(vals, list)
                     else _resolve(vals, run_dir, base)) for role, vals in stage.inputs.items()}
    call = StageCall(out=out, inputs=inputs, config=list(stage.config), options=dict(stage.options),
                     run_dir=run_dir, executor=executor)
    t0, c0 = time.monotonic(), _cpu()
    try:
        summary = KINDS[stage.kind](call)
    except ImportError as e:  # a stage whose module is missing or broken fails alone
        return StageResult(stage.name, stage.kind, "failed", time.monotonic() - t0, out,
                           f"unavailable: {' '.join(str(e).split())}")
    except Exception as e:
        from agentmt import settings

        if settings.debug():
            raise
        return StageResult(stage.name, stage.kind, "failed", time.monotonic() - t0, out,
                           f"{type(e).__name__}: {' '.join(str(e).split())}")
    seconds, cpu = time.monotonic() - t0, _cpu() - c0
    left = units_to_retry(out)
    if left:  # infrastructure failures: not done, so the next `agentmt run` runs the stage again
        summary = f"{summary}; {left} unit(s) left for the next run"
    _write_marker(run_dir, stage.name, fingerprint=fp, state="retry" if left else "done", seconds=seconds,
                  cpu_seconds=cpu, summary=summary)
    return StageResult(stage.name, stage.kind, "ran", seconds, out, summary, cpu)


def remove_torn_writes(out: Path) -> list[Path]:
    """Remove the temp files (`.NAME.*.tmp`, io's atomic writes) a killed run left anywhere in a stage's
    output folder: its stage runner clears those at the top and among the markers only, and a split's
    `train/.tasks.parquet.PID.tmp` outlived the rerun. Folders (a checkpoint's `final.tmp`) are the
    training stage's to judge."""
    torn = [p for p in out.rglob(".*.tmp") if p.is_file()]
    for path in torn:
        path.unlink(missing_ok=True)
    return torn


def units_to_retry(out: Path) -> int:
    """Units a stage's runner left unmarked to retry (infrastructure failures), over the manifests in
    its output folder and its subfolders one level down (eval keeps its rollouts' in runs/)."""
    from agentmt.runner import UNITS_TO_RETRY

    total = 0
    for path in [out / "manifest.json", *sorted(out.glob("*/manifest.json"))]:
        try:
            total += int(json.loads(path.read_text()).get("extra", {}).get(UNITS_TO_RETRY, 0))
        except (OSError, ValueError, AttributeError):
            continue
    return total


def _cpu() -> float:
    import resource

    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def _refs(stage: PipelineStage) -> list[str]:
    from agentmt.pipeline.spec import input_values

    return [r for v in input_values(stage) if (r := stage_ref(v))]


def write_timings(run_dir: Path, name: str, results: list[StageResult]) -> None:
    """RUN/timings.json: per stage status, seconds (this run's; a skipped stage's earlier run too), output."""
    rows = []
    for r in results:
        m = _read_marker(run_dir, r.name)
        rows.append({"stage": r.name, "kind": r.kind, "status": r.status, "seconds": round(r.seconds, 2),
                     "seconds_when_run": round(m.get("seconds", r.seconds), 2),
                     "cpu_seconds": round(m.get("cpu_seconds", r.cpu_seconds), 2), "out": str(r.out),
                     "summary": r.summary})
    data = {"pipeline": name, "total_seconds": round(sum(r.seconds for r in results), 2), "stages": rows}
    io.atomic_write_text(run_dir / "timings.json", json.dumps(data, indent=1))


def format_table(results: list[StageResult]) -> str:
    w = max([5, *(len(r.name) for r in results)])
    lines = [f"{'stage':<{w}}  {'status':<8} {'seconds':>8} {'cpu s':>8}  output", "-" * (w + 50)]
    lines += [f"{r.name:<{w}}  {r.status:<8} {r.seconds:>8.1f} {r.cpu_seconds:>8.1f}  {r.out}" for r in results]
    lines.append(f"{'total':<{w}}  {'':<8} {sum(r.seconds for r in results):>8.1f} "
                 f"{sum(r.cpu_seconds for r in results):>8.1f}")
    return "\n".join(lines)
