"""`agentmt rollout import`: external trajectory shapes land as Trajectory records; bad rows are counted."""

from __future__ import annotations

import json

import pytest

from agentmt import io
from agentmt.errors import RecordDropped
from agentmt.rollouts.importers import detect_format, make_imported, make_messages
from agentmt.rollouts.records import read_trajectories

CALL = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}}
CONV = [
    {"role": "system", "content": "sys"},
    {"role": "user", "content": "fix the bug"},
    {"role": "assistant", "content": "", "reasoning_content": "look first", "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "c1", "content": "a.py"},
    {"role": "assistant", "content": [{"type": "text", "text": "done"}], "tool_calls": [
        {"id": "c2", "type": "function", "function": {"name": "submit", "arguments": {}}}]},
]
ROWS = {
    "env_native": {"messages": CONV},
    "swe_smith": {"messages": json.dumps(CONV), "instance_id": "o__r.abc.1", "resolved": False,
                  "model": "claude", "traj_id": "o__r.abc.1.t0", "patch": "diff --git a/a b/a\n"},
    "swe_gym": {"messages": CONV, "instance_id": "o__r-2", "resolved": True, "run_id": "run7"},
    "openhands": {"trajectory": CONV, "trajectory_id": "chatcmpl-1", "instance_id": "o__r-3",
                  "model_patch": "diff", "exit_status": "submit", "resolved": 1},
}


@pytest.mark.parametrize("fmt", sorted(ROWS))
def test_each_external_shape_becomes_one_record(fmt):
    row = ROWS[fmt]
    assert detect_format(row) == fmt
    t = make_imported(row, fmt, 0, file_id="f.jsonl")
    assert t.source == f"import:{fmt}"
    assert [m.role for m in t.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert t.messages[2].reasoning_content == "look first"
    assert t.messages[2].tool_calls[0].to_dict() == CALL  # the OpenAI wire shape, unchanged
    assert t.messages[3].tool_call_id == "c1"
    assert t.messages[4].content == "done"  # text parts joined
    assert t.messages[4].tool_calls[0].function.arguments == "{}"  # a parsed object goes back to JSON text
    expected = {"env_native": True, "swe_smith": False, "swe_gym": True, "openhands": True}[fmt]
    assert t.resolved is expected


def test_env_native_success_field_wins_over_the_pass_only_default():
    t = make_imported({"messages": CONV, "success": False}, "env_native", 3, file_id="x.jsonl")
    assert t.resolved is False and t.instance_id == "x.jsonl:3"


@pytest.mark.parametrize("raw, reason", [
    ("not json", "messages_not_json"),
    ([], "no_messages"),
    ([{"role": "robot", "content": "x"}], "bad_role"),
    ([{"role": "user", "content": "only a question"}], "no_assistant_turn"),
    ([{"role": "assistant", "content": "", "tool_calls": [{"id": "1"}]}], "bad_tool_call"),
    ([{"role": "assistant", "content": 7}], "bad_content"),
])
def test_malformed_messages_are_dropped_with_a_reason(raw, reason):
    with pytest.raises(RecordDropped) as e:
        make_messages(raw)
    assert e.value.reason == reason


def test_import_file_counts_drops_and_names_the_bad_line(tmp_path):
    from agentmt.rollouts.import_stage import import_trajectories

    src = tmp_path / "traj.jsonl"
    lines = [json.dumps(ROWS["swe_gym"]), "{broken json", json.dumps({"messages": "[]"}),
             json.dumps(ROWS["swe_gym"]), "", json.dumps(ROWS["openhands"]), json.dumps({"foo": 1})]
    src.write_text("\n".join(lines) + "\n")
    m = import_trajectories([src], tmp_path / "out", tokenizer=None)
    assert m.counts["rows_in"] == 6 and m.counts["trajectories"] == 2
    assert dict(m.drops) == {"bad_json_line": 1, "no_messages": 1, "duplicate_id": 1, "unknown_shape": 1}
    rejected = [json.loads(x) for x in (tmp_path / "out" / "rejected" / "rows.jsonl").read_text().splitlines()]
    assert {r["where"] for r in rejected} == {f"{src}:2", f"{src}:3", f"{src}:4", f"{src}:7"}
    trajs = list(read_trajectories(tmp_path / "out"))
    assert [t.source for t in trajs] == ["import:swe_gym", "import:openhands"]
    assert io.read_manifest(tmp_path / "out")["counts"]["import:swe_gym"] == 1


def test_import_parquet_and_json_list_and_token_count(tmp_path):
    from agentmt.rollouts.import_stage import import_trajectories

    (tmp_path / "a.json").write_text(json.dumps([ROWS["env_native"], ROWS["swe_smith"]]))
    io.write_parquet(tmp_path / "b.parquet", [{"messages": json.dumps(CONV), "instance_id": "p-1",
                                               "resolved": True, "model": "m", "traj_id": "t", "patch": ""}])
    m = import_trajectories([tmp_path / "a.json", tmp_path / "b.parquet"], tmp_path / "out")
    trajs = list(read_trajectories(tmp_path / "out"))
    assert m.counts["trajectories"] == 3 and not m.drops
    assert all(t.num_tokens > 20 for t in trajs), "imported sizes are the rendered MT length"


def test_datasets_reads_the_imported_shard(tmp_path):
    import datasets

    from agentmt.rollouts.import_stage import import_trajectories

    (tmp_path / "a.jsonl").write_text(json.dumps(ROWS["swe_gym"]) + "\n")
    import_trajectories([tmp_path / "a.jsonl"], tmp_path / "out", tokenizer=None)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "out" / "*.parquet"), split="train")
    assert ds[0]["resolved"] is True and ds[0]["messages"][2]["tool_calls"][0]["function"]["name"] == "bash"


def test_cli_import_then_envdata_render(tmp_path):
    import subprocess
    import sys

    (tmp_path / "t.jsonl").write_text(json.dumps(ROWS["swe_gym"]) + "\n{oops\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "agentmt.cli.main", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True)
    r = run("rollout", "import", tmp_path / "t.jsonl", "--out", tmp_path / "imp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"imported 1 of 2 rows (1 resolved; dropped: 1 bad_json_line) -> {tmp_path / 'imp'}"
    r = run("envdata", "render", tmp_path / "imp", "--out", tmp_path / "env")
    assert r.returncode == 0 and r.stdout.startswith("1 pass ("), r.stderr
    assert len(list(io.read_rows(tmp_path / "env" / "sft" / "pass"))) == 1
    r = run("rollout", tmp_path / "missing", "--out", tmp_path / "x")
    assert r.returncode == 2 and r.stderr.startswith("agentmt: error:"), r.stderr  # one line, the user's to fix
