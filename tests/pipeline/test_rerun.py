"""Reruns skip unchanged stages; a changed config reruns that stage and every stage after it."""

from __future__ import annotations

import json

import pytest

from agentmt.pipeline import run_pipeline

PIPELINE = """
name: small
stages:
  - {name: demo, kind: demo_init}
  - name: prs
    kind: mine_git
    inputs: {repo: demo/repo, metadata: demo/metadata}
    config: [progress=false{prs_extra}]
  - name: prs-gen
    kind: mine_git
    inputs: {repo: demo/repo, metadata: demo/metadata}
    config: [filters.profile=gen, progress=false]
  - name: ctx
    kind: ctx_render
    inputs: {prs: prs}
    options: {format: gen, no_llm: true}
    config: [progress=false]
  - name: tasks
    kind: tasks_from_prs
    inputs: {prs: prs}
"""


def _write(tmp_path, prs_extra=""):
    f = tmp_path / "p.yaml"
    f.write_text(PIPELINE.replace("{prs_extra}", prs_extra))
    return f


def _status(results):
    return {r.name: r.status for r in results}


def _files(run):
    return {p.relative_to(run): p.read_bytes() for p in sorted(run.rglob("*"))
            if p.is_file() and ".pipeline" not in p.parts and p.name != "timings.json"}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_rerun_skips_unchanged_and_redoes_a_changed_stage_and_its_dependents(tmp_path):
    run = tmp_path / "run"
    first = run_pipeline(_write(tmp_path), run, echo=lambda *_: None)
    assert set(_status(first).values()) == {"ran"}, [(r.name, r.summary) for r in first]
    before = _files(run)
    mtimes = {p: p.stat().st_mtime_ns for p in run.rglob("*.parquet")}

    again = run_pipeline(_write(tmp_path), run, echo=lambda *_: None)
    assert set(_status(again).values()) == {"skipped"}
    assert _files(run) == before
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*.parquet")} == mtimes, "a skipped stage rewrote files"

    # Mining every language changes prs: it, and ctx and tasks that read it, rerun; the rest is kept.
    changed = run_pipeline(_write(tmp_path, ", filters.profile=gen"), run, echo=lambda *_: None)
    assert _status(changed) == {"demo": "skipped", "prs": "ran", "prs-gen": "skipped",
                                "ctx": "ran", "tasks": "ran"}
    prs_rows = json.loads((run / "prs" / "manifest.json").read_text())["counts"]["prs_kept"]
    gen_rows = json.loads((run / "prs-gen" / "manifest.json").read_text())["counts"]["prs_kept"]
    assert prs_rows == gen_rows, "the redone stage must hold the new config's output, not the old one"
    timings = json.loads((run / "timings.json").read_text())
    assert [s["stage"] for s in timings["stages"]] == ["demo", "prs", "prs-gen", "ctx", "tasks"]


def test_a_failed_stage_blocks_only_its_dependents(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("stages:\n"
                 "  - {name: tasks, kind: tasks_from_prs, inputs: {prs: ./no-such-prs}}\n"
                 "  - {name: split, kind: tasks_split, inputs: {tasks: tasks}}\n"
                 "  - {name: demo, kind: demo_init}\n")
    results = run_pipeline(f, tmp_path / "run", echo=lambda *_: None)
    assert _status(results) == {"tasks": "failed", "split": "blocked", "demo": "ran"}
    assert "no-such-prs" in results[0].summary
    # A rerun retries the failed stage rather than treating it as done.
    again = run_pipeline(f, tmp_path / "run", echo=lambda *_: None)
    assert _status(again) == {"tasks": "failed", "split": "blocked", "demo": "skipped"}


def test_a_killed_marker_write_leaves_nothing_behind(tmp_path):
    # io.write_json writes beside the target and renames: a kill between the two leaves the temp file
    run = tmp_path / "run"
    (run / ".pipeline").mkdir(parents=True)
    torn = [run / ".pipeline" / ".demo.json.k2j4.tmp", run / ".timings.json.x9a1.tmp"]
    for p in torn:
        p.write_text('{"fingerprint": "tor')
    f = tmp_path / "p.yaml"
    f.write_text("stages:\n  - {name: demo, kind: demo_init}\n")
    assert [r.status for r in run_pipeline(f, run, echo=lambda *_: None)] == ["ran"]
    assert not [p for p in torn if p.exists()]
    assert json.loads((run / ".pipeline" / "demo.json").read_text())["state"] == "done"
