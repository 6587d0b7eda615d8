"""`parallel: 2` overlaps independent stages (each in a child process) and produces a serial run's outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmt.pipeline import run_pipeline

PIPELINE = """
name: par
parallel: {parallel}
stages:
  - {{name: demo, kind: demo_init}}
  - name: prs
    kind: mine_git
    inputs: {{repo: demo/repo, metadata: demo/metadata}}
    config: [progress=false]
  - name: prs-gen
    kind: mine_git
    inputs: {{repo: demo/repo, metadata: demo/metadata}}
    config: [filters.profile=gen, progress=false]
  - name: bad
    kind: tasks_from_prs
    inputs: {{prs: demo/no-such-prs}}
  - name: after-bad
    kind: tasks_split
    inputs: {{tasks: bad}}
  - name: ctx
    kind: ctx_render
    inputs: {{prs: prs-gen}}
    options: {{format: gen, no_llm: true}}
    config: [progress=false, curation.pseudonym_salt=par]
  - name: tasks
    kind: tasks_from_prs
    inputs: {{prs: prs}}
"""


def _run(tmp_path, name, parallel):
    f = tmp_path / f"{name}.yaml"
    f.write_text(PIPELINE.format(parallel=parallel))
    lines: list[str] = []
    results = run_pipeline(f, tmp_path / name, echo=lines.append)
    return results, lines


def _data(run):
    return {p.relative_to(run): p.read_bytes() for p in sorted(run.rglob("*"))
            if p.is_file() and p.suffix in (".parquet", ".jsonl") and ".done" not in p.parts}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_parallel_stages_overlap_and_match_a_serial_run(tmp_path):
    serial, _ = _run(tmp_path, "serial", 1)
    par, lines = _run(tmp_path, "par", 2)
    status = {r.name: r.status for r in par}
    assert status == {r.name: r.status for r in serial} == {
        "demo": "ran", "prs": "ran", "prs-gen": "ran", "bad": "failed", "after-bad": "blocked",
        "ctx": "ran", "tasks": "ran"}
    # demo ran alone; then prs and prs-gen were both started before either finished
    starts = [i for i, ln in enumerate(lines) if ln.startswith("== [")]
    ends = [i for i, ln in enumerate(lines) if ln.startswith("   ")]
    assert lines[starts[1]].startswith("== [2/7] prs ") and lines[starts[2]].startswith("== [3/7] prs-gen ")
    assert starts[2] < ends[1], lines
    # a child's failure is the stage's own, with its message; its dependent is blocked, the rest ran
    bad = next(r for r in par if r.name == "bad")
    assert "no-such-prs" in bad.summary
    assert _data(tmp_path / "par") == _data(tmp_path / "serial") != {}
    timings = json.loads((tmp_path / "par" / "timings.json").read_text())
    assert [s["stage"] for s in timings["stages"]] == ["demo", "prs", "prs-gen", "bad", "after-bad", "ctx", "tasks"]
    # each child measured its own CPU time (a stage in a child process still imports and mines)
    assert all(s["cpu_seconds"] > 0 for s in timings["stages"] if s["status"] == "ran")
    assert not list((tmp_path / "par" / ".pipeline").glob(".*")), "a child's result file was left behind"
    # a rerun skips every finished stage whichever process ran it
    again, _ = _run(tmp_path, "par", 2)
    assert {r.name: r.status for r in again if r.status != "failed" and r.status != "blocked"} == {
        n: "skipped" for n in ("demo", "prs", "prs-gen", "ctx", "tasks")}


def _children_running(run: Path) -> list[int]:
    """Pids of stage child processes of this run (their command line names a result file in run/.pipeline)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"agentmt.pipeline.child" in cmd and any(str(run).encode() in c for c in cmd):
            pids.append(int(proc.name))
    return pids


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_kill_9_of_a_parallel_run_takes_its_stage_processes_along_and_a_rerun_completes(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(PIPELINE.format(parallel=2))
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "agentmt.cli.main", "run", str(f), "--out", str(run)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(_children_running(run)) < 2:  # prs and prs-gen, each in a process of its own
        assert proc.poll() is None and time.monotonic() < deadline, "the run never overlapped two stages"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _children_running(run):
        assert time.monotonic() < deadline, "stage processes outlived the killed run"
        time.sleep(0.1)
    results = run_pipeline(f, run, echo=lambda *_: None)
    assert {r.name: r.status for r in results if r.name in ("prs", "prs-gen", "ctx", "tasks")} == {
        "prs": "ran", "prs-gen": "ran", "ctx": "ran", "tasks": "ran"}
    assert not list((run / ".pipeline").glob(".*")), "the killed run's result files were not cleared"
