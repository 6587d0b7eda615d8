import json

import pytest

from agentmt import io
from agentmt.errors import InputError
from agentmt.types import Commit, FileChange, FileSnapshot, Issue, PullRequest


def _pr(n: int) -> PullRequest:
    return PullRequest(
        id=f"o/r#{n}", repo="o/r", number=n, title=f"t{n}", body="b", author="a",
        base_sha="b" * 40, snapshot_sha="s" * 40, head_sha="h" * 40, merge_sha="m" * 40,
        merge_kind="merge",
        commits=[Commit(sha="c" * 40, message="m", author="a", date="2024-01-01T00:00:00Z",
                        changes=[FileChange(status="modified", old_path="x.py", new_path="x.py",
                                            diff="@@ -1 +1 @@\n-a\n+b\n")])],
        relevant_files=[FileSnapshot(path="x.py", content="a\n")],
        head_files=[FileSnapshot(path="x.py", content="b\n")],
        issue=Issue(number=1, title="i", body="ib"),
    )


def test_records_roundtrip_through_parquet_shards(tmp_path):
    prs = [_pr(i) for i in range(3)]
    io.write_records(tmp_path / io.shard_name(0), prs, PullRequest)
    back = list(io.read_records(tmp_path, PullRequest))
    assert back == prs
    assert isinstance(back[0].commits[0].changes[0], FileChange)
    assert back[0].changed_paths == ["x.py"]


def test_manifest_and_completion_markers(tmp_path):
    m = io.Manifest(stage="demo", config={"k": 1}, inputs=["in"])
    m.counts["seen"] += 2
    m.drop("too_big")
    assert not io.is_done(tmp_path, "part-00000.parquet")
    io.mark_done(tmp_path, "part-00000.parquet", {"rows": 2})
    assert io.is_done(tmp_path, "part-00000.parquet")
    assert io.done_info(tmp_path, "part-00000.parquet") == {"rows": 2}
    m.write(tmp_path)
    data = io.read_manifest(tmp_path)
    assert data["drops"] == {"too_big": 1} and data["counts"] == {"seen": 2}
    assert data["agentmt_version"]


def test_missing_or_empty_inputs_are_user_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        list(io.read_rows(tmp_path / "nope"))
    with pytest.raises(InputError, match="no .parquet"):
        list(io.read_rows(tmp_path))
    with pytest.raises(InputError, match="manifest.json is missing"):
        io.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(InputError, match="not valid JSON"):
        io.read_manifest(tmp_path)


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "f.json"
    io.write_json(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_jsonl_shards_are_read_too(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"x": 1}\n\n{"x": 2}\n')
    assert [r["x"] for r in io.read_rows(tmp_path)] == [1, 2]
