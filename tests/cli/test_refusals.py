"""A refused start: one line naming what to fix, and no output folder left behind."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from clihelp import assert_one_line_error

from agentmt.cli.outdir import remove_if_unwritten


def _foreign_shards(folder):
    folder.mkdir()
    pq.write_table(pa.table({"number": [1], "title": ["x"]}), folder / "part-00000.parquet")
    return folder


def test_tasks_from_prs_on_a_row_of_another_shape_names_the_missing_fields_and_leaves_no_folder(cli, tmp_path):
    prs = tmp_path / "prs"
    prs.mkdir()
    (prs / "prs.jsonl").write_text(json.dumps({"number": 1, "title": "x"}) + "\n")
    out = tmp_path / "tasks"
    assert_one_line_error(cli("tasks", "from-prs", prs, "--out", out),
                          "prs.jsonl line 1 is not a valid PullRequest (missing fields: id, repo, body")
    assert not out.exists()


def test_ctx_render_and_from_prs_of_foreign_shards_leave_no_folder(cli, tmp_path):
    prs = _foreign_shards(tmp_path / "prs")
    for args, out in ((("ctx", "render", prs, "--format", "py", "--no-llm"), tmp_path / "ctx"),
                      (("tasks", "from-prs", prs), tmp_path / "tasks")):
        assert_one_line_error(cli(*args, "--out", out), "was not written by agentmt")
        assert not out.exists(), sorted(out.rglob("*"))


def test_a_folder_that_existed_before_the_run_is_kept(cli, tmp_path):
    prs = _foreign_shards(tmp_path / "prs")
    out = tmp_path / "mine"
    out.mkdir()
    assert_one_line_error(cli("tasks", "from-prs", prs, "--out", out), "was not written by agentmt")
    assert out.is_dir()


def test_only_bookkeeping_counts_as_unwritten(tmp_path):
    (tmp_path / "a" / ".done").mkdir(parents=True)
    (tmp_path / "a" / ".stage.json").write_text("{}")
    assert remove_if_unwritten(tmp_path / "a") and not (tmp_path / "a").exists()
    (tmp_path / "b" / ".done").mkdir(parents=True)
    (tmp_path / "b" / ".done" / "part-00000.parquet").write_text("{}")
    assert not remove_if_unwritten(tmp_path / "b") and (tmp_path / "b").is_dir()


def test_eval_refuses_a_missing_or_non_checkpoint_model_folder_at_once(cli, tmp_path):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    out = tmp_path / "eval"
    assert_one_line_error(cli("eval", tasks, "--model", tmp_path / "does-not-exist", "--out", out),
                          "does-not-exist: no such checkpoint folder (eval takes a checkpoint folder")
    assert not out.exists()
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert_one_line_error(cli("eval", tasks, "--model", folder, "--out", out),
                          "is not a checkpoint folder: no weights")
    assert not out.exists()
