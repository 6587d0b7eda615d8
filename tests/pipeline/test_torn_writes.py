"""A stage rerun after a kill removes the temp files of atomic writes the killed process left in its
output's subfolders (the kill test found `split/train/.tasks.parquet.PID.tmp` after a rerun)."""

from __future__ import annotations

import json

from agentmt.pipeline import run_pipeline

PIPELINE = "name: torn\nstages:\n  - {name: demo, kind: demo_init}\n"


def test_torn_temp_files_in_subfolders_go_and_folders_stay(tmp_path):
    from agentmt.pipeline.run import remove_torn_writes

    (tmp_path / "a" / "b").mkdir(parents=True)
    torn = tmp_path / "a" / "b" / ".tasks.parquet.8133.tmp"
    torn.write_text("half")
    (tmp_path / "final.tmp").mkdir()
    (tmp_path / "a" / "kept.tmp").write_text("not an atomic write's temp")
    assert remove_torn_writes(tmp_path) == [torn]
    assert not torn.exists() and (tmp_path / "final.tmp").is_dir() and (tmp_path / "a" / "kept.tmp").exists()


def test_a_stage_restarted_after_a_kill_leaves_no_temp_file(tmp_path):
    (tmp_path / "p.yaml").write_text(PIPELINE)
    run = tmp_path / "run"
    (first,) = run_pipeline(tmp_path / "p.yaml", run, echo=lambda *_: None)
    assert first.status == "ran"
    marker = run / ".pipeline" / "demo.json"
    data = json.loads(marker.read_text())
    marker.write_text(json.dumps({**data, "state": "started"}))  # as a kill mid-stage leaves it
    torn = run / "demo" / "repo" / ".packed.parquet.99999.tmp"
    torn.write_text("half")
    (again,) = run_pipeline(tmp_path / "p.yaml", run, echo=lambda *_: None)
    assert again.status == "ran" and not torn.exists()
